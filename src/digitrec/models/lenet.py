"""The modern LeNet variant: ReLU and max pooling instead of tanh and averaging."""

from __future__ import annotations

import torch
from torch import nn

from digitrec.models import register


class LeNet(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5),  # 28 -> 24
            nn.ReLU(),
            nn.MaxPool2d(2),  # 24 -> 12
            nn.Conv2d(6, 16, kernel_size=5),  # 12 -> 8
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8 -> 4
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 4 * 4, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register("lenet", "LeNet with ReLU and max pooling: 6 and 16 5x5 filters, 120-84-10")
def lenet() -> nn.Module:
    return LeNet()
