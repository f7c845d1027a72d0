"""DigitNet: a small two-conv network common in PyTorch MNIST tutorials."""

from __future__ import annotations

import torch
from torch import nn

from digitrec.models import register


class DigitNet(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 10, kernel_size=5),  # 28 -> 24
            nn.ReLU(),
            nn.MaxPool2d(2),  # 24 -> 12
            nn.Conv2d(10, 20, kernel_size=3),  # 12 -> 10
            nn.ReLU(),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(20 * 10 * 10, 500),
            nn.ReLU(),
            nn.Linear(500, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register("digitnet", "conv 10@5x5, max-pool, conv 20@3x3, fc 500, fc 10")
def digitnet() -> nn.Module:
    return DigitNet()
