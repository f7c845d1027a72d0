"""FastNet: the smallest, quickest network here that reaches 99% test accuracy.

Two batch-normalised 5x5 convolutions with max pooling and one linear layer:
18k parameters. Batch norm lets it train at a high learning rate, so one
pass over MNIST is enough for 99% (see BENCHMARKS.md, time to 99%).
"""

from __future__ import annotations

import torch
from torch import nn

from digitrec.models import register


def conv_bn(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    # No conv bias: batch norm's shift does the same job.
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


class FastNet(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(1, 16, 5),  # 28 -> 24
            nn.MaxPool2d(2),  # 24 -> 12
            conv_bn(16, 32, 5),  # 12 -> 8
            nn.MaxPool2d(2),  # 8 -> 4
        )
        self.classifier = nn.Linear(32 * 4 * 4, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


@register("fast", "FastNet: two BN conv5x5 + max-pool blocks (16, 32), linear 10")
def fast() -> nn.Module:
    return FastNet()
