"""The classic multilayer perceptron: 784 pixels -> 128 hidden units -> 10 classes."""

from __future__ import annotations

import torch
from torch import nn

from digitrec.models import register


class MLP(nn.Module):
    def __init__(self, hidden: int = 128, num_classes: int = 10) -> None:
        super().__init__()
        self.hidden = nn.Linear(28 * 28, hidden)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 1, 28, 28) -> (N, 10)
        x = torch.flatten(x, 1)
        return self.out(torch.relu(self.hidden(x)))


@register("mlp", "784-128-10 multilayer perceptron (ReLU)")
def mlp() -> nn.Module:
    return MLP()
