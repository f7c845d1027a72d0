"""The public loading API: built-in datasets by name, custom ones by path.

    load_dataset("mnist")                  # MNIST, fetched and verified as needed
    load_dataset("fashion-mnist")
    load_dataset("folder:~/my_digits")     # a custom image folder or list file
    load_dataset("~/my_digits/labels.txt") # same: any existing path works too

Built-in names win over paths, so a folder called "mnist" in the working
directory needs the "folder:" prefix (or "./mnist").
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from digitrec.errors import DataError, UnknownDatasetError

from .bundle import ArraySplit, DatasetBundle
from .folder import load_image_folder
from .idx import read_idx
from .sources import FetchOptions, fetch
from .specs import SPECS, DatasetSpec
from .split import train_val_split

logger = logging.getLogger(__name__)

DATASETS = ("mnist", "fashion-mnist")
FOLDER_PREFIX = "folder:"

__all__ = ["DATASETS", "ArraySplit", "DatasetBundle", "load_dataset", "train_val_split"]


def load_dataset(
    name: str = "mnist", data_dir: Path | None = None, *, options: FetchOptions | None = None
) -> DatasetBundle:
    """Load a built-in dataset by name, or a custom image dataset by path.

    name: "mnist", "fashion-mnist", "folder:PATH", or an existing PATH to a
    folder of class subfolders or a list file (see load_image_folder; the
    default 80/20 train/test split with seed 0 applies).
    data_dir: where to look first for a built-in dataset's files (else
    $DIGITREC_DATA); ignored for custom datasets.
    """
    if name in DATASETS:
        return _load_builtin(SPECS[name], data_dir, options)
    if name.startswith(FOLDER_PREFIX):
        return load_image_folder(Path(name[len(FOLDER_PREFIX) :]).expanduser())
    if Path(name).expanduser().exists():
        return load_image_folder(Path(name).expanduser())
    raise UnknownDatasetError(name, available=[*DATASETS, f"{FOLDER_PREFIX}PATH"])


def _load_builtin(
    spec: DatasetSpec, data_dir: Path | None, options: FetchOptions | None
) -> DatasetBundle:
    paths = fetch(spec.name, data_dir, options)
    train = _read_split(paths[spec.train_images.name], paths[spec.train_labels.name], spec)
    test = _read_split(paths[spec.test_images.name], paths[spec.test_labels.name], spec)
    digests = {file.name: file.sha256 for file in spec.files}
    logger.info("%s: %d train and %d test images", spec.name, len(train), len(test))
    return DatasetBundle(spec.name, spec.classes, train, test, digests)


def _read_split(images_path: Path, labels_path: Path, spec: DatasetSpec) -> ArraySplit:
    """Read one images/labels pair and check that they belong together."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DataError(
            f"{images_path}: expected uint8 images of shape (N, 28, 28), "
            f"got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: expected a 1-D label array, got shape {labels.shape}")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; the files do not belong together"
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= len(spec.classes)):
        raise DataError(
            f"{labels_path}: labels range over {labels.min()}..{labels.max()}, "
            f"expected 0..{len(spec.classes) - 1}"
        )
    return ArraySplit(images, labels.astype(np.int64))
