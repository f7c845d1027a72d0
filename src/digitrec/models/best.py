"""BestNet: our strongest single model.

In the style of the batch-normalised CNNs behind published ~99.7% single-model
MNIST results (e.g. C. Deotte's Kaggle study "How to choose CNN architecture
MNIST"): no pooling layers; pairs of 3x3 convolutions, then a strided 5x5
convolution that learns its own downsampling; dropout after each stage.
Trained with rotation/translation/scale/shear augmentation (see presets.py).

Shapes: 28 -> 26 -> 24 -> 12 (stride 2) -> 10 -> 8 -> 4 (stride 2) -> 1 (4x4 conv).
"""

from __future__ import annotations

import torch
from torch import nn

from digitrec.models import register
from digitrec.models.fast import conv_bn


def _strided(in_channels: int, out_channels: int) -> nn.Sequential:
    # 5x5, stride 2, padding 2 halves the map exactly (24 -> 12, 8 -> 4).
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 5, stride=2, padding=2, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


class BestNet(nn.Module):
    def __init__(self, num_classes: int = 10, dropout: float = 0.4) -> None:
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(1, 32, 3),  # 28 -> 26
            conv_bn(32, 32, 3),  # 26 -> 24
            _strided(32, 32),  # 24 -> 12
            nn.Dropout(dropout),
            conv_bn(32, 64, 3),  # 12 -> 10
            conv_bn(64, 64, 3),  # 10 -> 8
            _strided(64, 64),  # 8 -> 4
            nn.Dropout(dropout),
            conv_bn(64, 128, 4),  # 4 -> 1
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(128, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register("best", "BestNet: BN CNN, no pooling, 3x3 pairs + strided 5x5 (32, 64), 4x4 conv 128")
def best() -> nn.Module:
    return BestNet()
