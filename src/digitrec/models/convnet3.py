"""Three conv-ReLU-maxpool blocks (32, 64, 64 channels), dense 128, then 10."""

from __future__ import annotations

import torch
from torch import nn

from digitrec.models import register


def _block(in_channels: int, out_channels: int) -> nn.Sequential:
    # padding=1 keeps the size through the conv; the pool halves it (floor).
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


class ConvNet3(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _block(1, 32),  # 28 -> 14
            _block(32, 64),  # 14 -> 7
            _block(64, 64),  # 7 -> 3
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 3 * 3, 128),
            nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register("convnet3", "three conv3x3-ReLU-maxpool blocks (32, 64, 64), dense 128, 10")
def convnet3() -> nn.Module:
    return ConvNet3()
