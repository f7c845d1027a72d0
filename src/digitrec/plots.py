"""Pictures people look at: training curves, confusion matrix, error gallery, reliability diagram."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; no display needed or wanted

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_curves(history: Sequence[dict[str, Any]], path: Path) -> None:
    """Loss and accuracy per epoch, train against validation."""
    epochs = [row["epoch"] for row in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [row["train_loss"] for row in history], "o-", label="train")
    ax_loss.plot(epochs, [row["val_loss"] for row in history], "o-", label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="Loss")
    ax_acc.plot(epochs, [100 * row["train_acc"] for row in history], "o-", label="train")
    ax_acc.plot(epochs, [100 * row["val_acc"] for row in history], "o-", label="validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    _save(fig, path)


def plot_confusion(matrix: np.ndarray, classes: Sequence[str], path: Path, title: str) -> None:
    """Counts with true class on rows and predicted class on columns."""
    fig, ax = plt.subplots(figsize=(7, 6))
    # Log scale: the diagonal holds ~1000 per class, errors a handful.
    shown = np.log1p(matrix)
    ax.imshow(shown, cmap="Blues")
    threshold = shown.max() / 2
    for true in range(len(classes)):
        for pred in range(len(classes)):
            count = int(matrix[true, pred])
            if count:
                colour = "white" if shown[true, pred] > threshold else "black"
                ax.text(pred, true, str(count), ha="center", va="center", color=colour, fontsize=8)
    ax.set_xticks(range(len(classes)), classes, rotation=45 if max(map(len, classes)) > 2 else 0)
    ax.set_yticks(range(len(classes)), classes)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    _save(fig, path)


def plot_gallery(
    images: np.ndarray,
    true: Sequence[int],
    pred: Sequence[int],
    confidence: Sequence[float],
    classes: Sequence[str],
    path: Path,
    columns: int = 8,
) -> None:
    """Grid of (28, 28) uint8 images titled 'true -> predicted (confidence)'."""
    count = len(images)
    rows = max(1, -(-count // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.3, rows * 1.5), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < count:
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=255)
            ax.set_title(
                f"{classes[true[i]]}→{classes[pred[i]]} {100 * confidence[i]:.0f}%",
                fontsize=7,
                color="crimson",
            )
    if count == 0:
        axes.flat[0].text(0.5, 0.5, "no errors", ha="center", va="center")
    fig.suptitle("Misclassified: true → predicted (confidence)", fontsize=9)
    fig.tight_layout()
    _save(fig, path)


def plot_reliability(
    bin_edges: Sequence[float], accuracy: Sequence[float | None], counts: Sequence[int], ece: float,
    path: Path, title: str,
) -> None:  # fmt: skip
    """Accuracy against confidence per bin: bars on the diagonal mean "90%" is right 90 times in 100."""
    edges = np.asarray(bin_edges)
    width = np.diff(edges)
    filled = [i for i, a in enumerate(accuracy) if a is not None]
    fig, (ax, ax_count) = plt.subplots(
        2, 1, figsize=(5.5, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )  # fmt: skip
    ax.bar(edges[:-1][filled], [100 * accuracy[i] for i in filled], width=width[filled], align="edge",
           color="#2b7bba", edgecolor="white", label="accuracy")  # fmt: skip
    ax.plot([0, 1], [0, 100], "--", color="crimson", label="perfect calibration")
    ax.set(ylabel="accuracy (%)", ylim=(0, 100), title=f"{title}\nexpected calibration error {100 * ece:.2f}%")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    ax_count.bar(edges[:-1], np.maximum(np.asarray(counts), 0.5), width=width, align="edge", color="#9ecae1")
    ax_count.set(xlabel="confidence", ylabel="images", yscale="log", xlim=(0, 1))
    ax_count.grid(alpha=0.3)
    fig.tight_layout()
    _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_prediction(
    original: np.ndarray,
    model_input: np.ndarray,
    probabilities: Sequence[float],
    classes: Sequence[str],
    path: Path,
    title: str,
) -> None:
    """The input, what the model saw (28x28) and the probability of every class."""
    fig, (ax_in, ax_seen, ax_bars) = plt.subplots(
        1, 3, figsize=(10, 3.2), gridspec_kw={"width_ratios": [1, 1, 1.6]}
    )
    ax_in.imshow(original, cmap="gray", vmin=0, vmax=255)
    ax_in.set_title("input", fontsize=9)
    ax_seen.imshow(model_input, cmap="gray", vmin=0, vmax=255)
    ax_seen.set_title("model input (28×28)", fontsize=9)
    for ax in (ax_in, ax_seen):
        ax.set_xticks([])
        ax.set_yticks([])
    best = int(np.argmax(probabilities))
    colours = ["#2b7bba" if i == best else "#9ecae1" for i in range(len(classes))]
    ax_bars.bar(range(len(classes)), [100 * p for p in probabilities], color=colours)
    ax_bars.set_xticks(range(len(classes)), classes)
    ax_bars.set(ylim=(0, 100), ylabel="probability (%)")
    ax_bars.grid(axis="y", alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)
