"""Custom image datasets: a folder of class subfolders, or a list file.

Either layout becomes a DatasetBundle shaped like MNIST: (N, 28, 28) uint8
images, white strokes on a black background, int64 labels.

  digits/0/a.png, digits/1/b.png ...  -> classes from the subfolder names
  labels.txt: "imgs/a.png 3" per line -> paths relative to the list's folder
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitrec.errors import DataError, ImageError
from digitrec.imaging import decode_image
from digitrec.preprocess import to_mnist

from .bundle import ArraySplit, DatasetBundle
from .split import train_val_split

logger = logging.getLogger(__name__)

SIDE = 28  # MNIST's image side in pixels
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm"}
)
# A broken, hostile or blank image (typed errors of decoding and preprocessing), or a
# file that cannot be read: any of these skips the image.
_UNREADABLE = (ImageError, OSError)
_DIGIT = re.compile(r"[0-9]")
_MAX_REPORTED_LINES = 10


@dataclass(frozen=True)
class _Entry:
    """One image to load: how to name it, where it is, its label."""

    name: str  # path as the user wrote it (relative), for messages and the digest
    path: Path
    label: int


def load_image_folder(path: Path, val_fraction: float = 0.2, seed: int = 0) -> DatasetBundle:
    """Load a folder of class subfolders or a `path label` list file.

    Class subfolders: classes are the sorted subfolder names, labels their
    indices; when every name is a single digit the labels are the digits
    themselves and classes are "0".."9", so MNIST-trained models apply.
    List file: labels are integers >= 0; classes are "0".."9", or more when
    a label exceeds 9. Unreadable images are logged and counted in
    `bundle.skipped`. A seeded shuffle puts `val_fraction` of the images in
    `test` and the rest in `train`.
    """
    path = Path(path)
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"val_fraction must be in [0, 1), got {val_fraction}")
    if path.is_dir():
        entries, classes = _entries_from_dir(path)
        name = path.resolve().name
    elif path.is_file():
        entries, classes = _entries_from_list(path)
        name = path.stem
    else:
        raise DataError(f"{path}: no such folder or list file")
    images, labels, skipped, digest = _load_entries(entries)
    if len(labels) == 0:
        raise DataError(
            f"{path}: no readable images ({len(entries)} listed, {skipped} unreadable); "
            "expected class subfolders of images or a list file of 'path label' lines"
        )
    train, test = _split(images, labels, val_fraction, seed)
    logger.info(
        "%s: %d images in %d classes (%d train, %d test, %d skipped)",
        path, len(labels), len(classes), len(train), len(test), skipped,
    )
    return DatasetBundle(name, classes, train, test, {path.name: digest}, skipped)


def _entries_from_dir(root: Path) -> tuple[list[_Entry], tuple[str, ...]]:
    """Images in each class subfolder, in sorted order."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataError(f"{root}: has no class subfolders (e.g. {root}/0/, {root}/1/ ...)")
    names = [folder.name for folder in folders]
    if all(_DIGIT.fullmatch(n) for n in names):
        classes = tuple(str(d) for d in range(10))
        labels = [int(n) for n in names]
    else:
        classes = tuple(names)
        labels = list(range(len(names)))
    entries = [
        _Entry(f"{folder.name}/{file.name}", file, label)
        for folder, label in zip(folders, labels)
        for file in sorted(folder.iterdir())
        if file.is_file() and file.suffix.lower() in IMAGE_SUFFIXES
    ]
    return entries, classes


def _entries_from_list(list_file: Path) -> tuple[list[_Entry], tuple[str, ...]]:
    """Parse `path label` lines; blank lines and `#` comments are ignored."""
    entries: list[_Entry] = []
    problems: list[str] = []
    text = list_file.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        # rsplit: the label is the last field, so paths may contain spaces.
        parts = line.rsplit(maxsplit=1)
        if len(parts) != 2 or not parts[1].isdigit():
            problems.append(f"line {number}: {line!r}")
            continue
        entries.append(_Entry(parts[0], list_file.parent / parts[0], int(parts[1])))
    if problems:
        shown = "; ".join(problems[:_MAX_REPORTED_LINES])
        more = len(problems) - _MAX_REPORTED_LINES
        suffix = f"; and {more} more" if more > 0 else ""
        raise DataError(
            f"{list_file}: {len(problems)} malformed line(s), expected 'path label' with an "
            f"integer label >= 0: {shown}{suffix}"
        )
    top = max((e.label for e in entries), default=0)
    classes = tuple(str(i) for i in range(max(10, top + 1)))
    return entries, classes


def _load_entries(entries: list[_Entry]) -> tuple[np.ndarray, np.ndarray, int, str]:
    """(images (N, 28, 28) uint8, labels (N,) int64, skipped count, digest)."""
    images: list[np.ndarray] = []
    labels: list[int] = []
    digest = hashlib.sha256()
    skipped = 0
    for entry in entries:
        try:
            data = entry.path.read_bytes()
            images.append(_decode(data))
        except _UNREADABLE as exc:
            logger.warning("skipping %s: %s", entry.path, _describe(exc))
            skipped += 1
            continue
        labels.append(entry.label)
        digest.update(f"{entry.name}\t{entry.label}\t{hashlib.sha256(data).hexdigest()}\n".encode())
    stacked = np.stack(images) if images else np.zeros((0, SIDE, SIDE), np.uint8)
    return stacked, np.asarray(labels, dtype=np.int64), skipped, digest.hexdigest()


def _describe(exc: BaseException) -> str:
    """Why an image could not be used."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _decode(data: bytes) -> np.ndarray:
    """Encoded image -> (28, 28) uint8 exactly as the service would show it to the model.

    The same decoding and MNIST-style preprocessing as `digitrec predict` and the
    service (polarity, lighting, cropping, stroke width, centring), so a model
    trained on these images sees at training time what it will see when serving.
    """
    return to_mnist(decode_image(data)).image


def _split(
    images: np.ndarray, labels: np.ndarray, val_fraction: float, seed: int
) -> tuple[ArraySplit, ArraySplit]:
    """Seeded split into (train, test); train always keeps at least one image."""
    n = len(labels)
    val_size = min(int(round(n * val_fraction)), n - 1)
    train_idx, test_idx = train_val_split(n, val_size, seed)
    return (
        ArraySplit(images[train_idx], labels[train_idx]),
        ArraySplit(images[test_idx], labels[test_idx]),
    )
