"""Datasets: MNIST, Fashion-MNIST and custom image folders, verified and in memory.

Public API:
    load_dataset(name, data_dir=None) -> DatasetBundle
    load_image_folder(path, val_fraction=0.2, seed=0) -> DatasetBundle
    fetch(dataset, data_dir=None) -> dict[str, Path]
    train_val_split(n, val_size, seed) -> (train_idx, val_idx)
    read_idx(path_or_bytes) -> np.ndarray
"""

from .bundle import ArraySplit, DatasetBundle
from .datasets import DATASETS, FOLDER_PREFIX, load_dataset
from .folder import load_image_folder
from .idx import read_idx
from .sources import FetchOptions, cache_root, dataset_cache_dir, fetch
from .split import train_val_split

__all__ = [
    "DATASETS",
    "FOLDER_PREFIX",
    "ArraySplit",
    "DatasetBundle",
    "FetchOptions",
    "cache_root",
    "dataset_cache_dir",
    "fetch",
    "load_dataset",
    "load_image_folder",
    "read_idx",
    "train_val_split",
]
