"""LeNet-5 as LeCun et al. (1998) built it: tanh units and average pooling.

The 28x28 input is padded by 2 to the paper's 32x32, so C1 sees the same
geometry as in the paper. C5 is a 5x5 convolution over the 5x5 maps of S4,
which leaves 120 maps of 1x1 (equivalent to a dense layer, as in the paper).
"""

from __future__ import annotations

import torch
from torch import nn

from digitrec.models import register


class LeNet5(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2),  # C1: 32x32 (padded) -> 6@28x28
            nn.Tanh(),
            nn.AvgPool2d(2),  # S2: 6@14x14
            nn.Conv2d(6, 16, kernel_size=5),  # C3: 16@10x10
            nn.Tanh(),
            nn.AvgPool2d(2),  # S4: 16@5x5
            nn.Conv2d(16, 120, kernel_size=5),  # C5: 120@1x1
            nn.Tanh(),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(120, 84),  # F6
            nn.Tanh(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register("lenet5", "classic LeNet-5: tanh, average pooling, C5 as 5x5 conv, 120-84-10")
def lenet5() -> nn.Module:
    return LeNet5()
