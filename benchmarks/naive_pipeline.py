"""The naive preprocessing of the reference systems, kept for comparison.

Mirrors what the reference digit recognisers do with an uploaded image, bugs
included, so the synthetic sets (benchmarks/synth.py) can show what careful
preprocessing gains over it. Do not fix anything here: the point is to measure
the naive path as it is.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

MNIST_MEAN = 0.1307  # mean pixel of the MNIST training images, scaled to 0..1
MNIST_STD = 0.3081  # their standard deviation


def naive_to_mnist(
    data: bytes,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
    size: int = 28,
    resample: Image.Resampling | None = None,
) -> np.ndarray:
    """Encoded image bytes -> (size, size) float32 model input, the reference systems' way.

    Step by step as in their code: open with Pillow, `convert("L")`, resize the
    WHOLE image to 28x28, invert when the background looks white (mean > 127),
    scale to 0..1 and normalise with the MNIST mean and std. No cropping, no
    centring, no aspect ratio kept, so a small or off-centre digit stays small
    or off-centre. `convert("L")` drops alpha, so a transparent canvas export
    (transparent black background, black ink) comes out all black: the
    reference systems' bug, reproduced on purpose.

    `resample=None` calls `Image.resize` without a filter, as the reference code
    does (Pillow's default, BICUBIC since Pillow 7); pass e.g.
    `Image.Resampling.BILINEAR` to mimic code that names one.
    """
    img = Image.open(io.BytesIO(data)).convert("L")
    img = img.resize((size, size)) if resample is None else img.resize((size, size), resample)
    pixels = np.asarray(img, dtype=np.float32)
    # MNIST is white on black; a drawing page or paper is black on white.
    if pixels.mean() > 127:
        pixels = 255.0 - pixels
    return ((pixels / 255.0 - mean) / std).astype(np.float32)
