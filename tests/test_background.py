"""Where the paper is without a margin: close crops, grey paper, markers, and both readings."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from digitrec.background import DARK_ON_LIGHT, LIGHT_ON_DARK, _frame, paper_background, readings
from digitrec.errors import EmptyDrawingError
from digitrec.preprocess import to_mnist, to_mnist_candidates


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.astype(float).ravel(), b.astype(float).ravel())[0, 1])


def mnist_ink(digit: np.ndarray, height: int = 160) -> np.ndarray:
    """An MNIST digit scaled to `height`, cropped to its ink: float 0..1, white ink."""
    big = Image.fromarray(digit).resize((height, height), Image.Resampling.BICUBIC)
    ink = np.asarray(big, dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(ink.max(1) > 0.2), np.flatnonzero(ink.max(0) > 0.2)
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def on_paper(ink: np.ndarray, margins=(0, 0, 0, 0), paper=250.0, level=20.0, noise=0.0) -> np.ndarray:
    """Ink laid on paper with (left, top, right, bottom) margins; 0 puts the ink against that edge."""
    left, top, right, bottom = margins
    layer = np.pad(ink, ((top, bottom), (left, right)))
    gray = paper * (1 - layer) + level * layer
    gray += np.random.default_rng(0).normal(0, noise, gray.shape) if noise else 0
    return np.clip(np.rint(gray), 0, 255).astype(np.uint8)


def marker_zero(blur: float = 0.0) -> np.ndarray:
    """A marker 0 cropped to its ring: the ring touches every edge and covers most of the frame."""
    image = Image.new("L", (150, 200), 0)
    ImageDraw.Draw(image).rounded_rectangle([0, 0, 149, 199], radius=45, outline=255, width=38)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return np.asarray(image, dtype=np.float32) / 255.0


@pytest.mark.parametrize("edges", [1, 2, 3, 4])
def test_ink_touching_the_edges_reads_as_with_a_margin(mnist, edges):
    ink = mnist_ink(mnist.test.images[0])  # a 7
    margins = [0 if side < edges else 30 for side in range(4)]  # left, top, right, bottom
    result = to_mnist(on_paper(ink, margins, noise=3))
    framed = to_mnist(on_paper(ink, (40, 40, 40, 40), noise=3))
    assert result.polarity == DARK_ON_LIGHT
    assert correlation(result.image, framed.image) > 0.95


def test_a_margin_of_paper_gives_one_reading(mnist):
    gray = on_paper(mnist_ink(mnist.test.images[0]), (40, 40, 40, 40))
    (reading,) = readings(gray, np.bincount(gray.ravel(), minlength=256), 32.0)
    assert reading.polarity == DARK_ON_LIGHT and reading.split is None and reading.background == 250


@pytest.mark.parametrize("paper, level", [(140, 20), (170, 70), (200, 110), (235, 150)])
def test_grey_paper_and_ink_that_is_not_black(mnist, paper, level):
    ink = mnist_ink(mnist.test.images[1])  # a 2, touching every edge
    result = to_mnist(on_paper(ink, paper=paper, level=level, noise=4))
    framed = to_mnist(on_paper(ink, (40, 40, 40, 40)))
    assert result.polarity == DARK_ON_LIGHT and correlation(result.image, framed.image) > 0.95


def test_a_marker_zero_whose_ring_covers_most_of_the_frame_keeps_its_hole():
    gray = on_paper(marker_zero(), paper=225, level=40, noise=3)
    frame = _frame(gray)
    assert (frame < 130).mean() > 0.5  # what makes this hard: the frame is mostly ink
    first, other = to_mnist_candidates(gray)  # cues disagree: both readings, the paper-is-light one first
    assert first.polarity == DARK_ON_LIGHT and other.polarity == LIGHT_ON_DARK
    assert first.image[14, 14] < 32 and first.image[14, 3:8].max() > 200  # a ring: dark centre, bright stroke
    assert np.array_equal(to_mnist(gray).image, first.image)


def test_a_blurred_marker_zero_keeps_its_hole():
    image = to_mnist(on_paper(marker_zero(blur=5.0), paper=200, level=30, noise=2)).image
    assert image[12:17, 12:17].mean() < 40 and image[14, 2:9].max() > 200


def test_the_model_picks_the_reading_it_is_surer_of(monkeypatch):
    """A light marker 0 on dark paper, cropped close: both readings go to the model in one call, the ring wins."""
    from digitrec.inference import Recognizer

    gray = on_paper(marker_zero(), paper=30, level=220, noise=3)
    candidates = to_mnist_candidates(gray)
    assert {c.polarity for c in candidates} == {DARK_ON_LIGHT, LIGHT_ON_DARK}
    recognizer = Recognizer()
    batches, probabilities = [], recognizer.probabilities
    monkeypatch.setattr(recognizer, "probabilities", lambda images: batches.append(len(images)) or probabilities(images))
    prediction = recognizer.predict_array(gray)
    assert batches == [2]
    assert prediction.label == "0" and prediction.preprocessing.polarity == LIGHT_ON_DARK
    assert prediction.image[14, 14] < 32


def noise(sigma: float, mean: float = 128.0) -> np.ndarray:
    return np.random.default_rng(3).normal(mean, sigma, (160, 120)).clip(0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    "gray",
    [np.full((90, 60), 255, np.uint8), np.full((90, 60), 170, np.uint8), noise(3, 170), noise(30),
     np.random.default_rng(4).integers(0, 256, (120, 120)).astype(np.uint8),
     np.where(np.random.default_rng(5).random((150, 150)) < 0.05, 0, 255).astype(np.uint8)],
    ids=["white", "grey", "grey-paper-noise", "noise30", "uniform-noise", "salt-and-pepper"],
)
def test_no_ink_is_still_empty(gray):
    with pytest.raises(EmptyDrawingError, match="no digit found"):
        to_mnist_candidates(gray)
    with pytest.raises(EmptyDrawingError, match="no digit found"):
        to_mnist(gray)


def test_paper_background_ignores_ink_however_dense():
    gray = np.full((120, 90), 180.0)
    gray[:, 20:70] = 40  # ink over more than half of the image
    gray += np.linspace(-10, 10, 90)[None, :]  # and a gentle gradient in the light
    level = paper_background(gray, gray > 110, 180.0)
    paper = gray > 110
    assert np.abs(level[paper] - gray[paper]).max() < 6
    assert 165 < level[:, 45].mean() < 195  # under the ink: the paper's level, not the ink's
