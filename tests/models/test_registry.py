import pytest
import torch
from torch import nn

from digitrec.errors import UnknownModelError
from digitrec.models import available_models, count_parameters, create_model, register

ZOO = ("mlp", "lenet5", "lenet", "digitnet", "convnet3", "fast", "best")


def test_zoo_has_every_documented_model():
    assert set(ZOO) <= set(available_models())


@pytest.mark.parametrize("name", ZOO)
def test_each_model_maps_a_batch_of_digits_to_ten_logits(name):
    model = create_model(name).eval()
    with torch.no_grad():
        out = model(torch.randn(3, 1, 28, 28))
    assert out.shape == (3, 10)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", ZOO)
def test_each_model_accepts_channels_last_input(name):
    model = create_model(name).to(memory_format=torch.channels_last).eval()
    x = torch.randn(2, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        assert model(x).shape == (2, 10)


def test_classic_architectures_have_their_textbook_parameter_counts():
    # 784*128+128 + 128*10+10
    assert count_parameters(create_model("mlp")) == 101_770
    # C1 156 + C3 2416 + C5 48120 + F6 10164 + out 850 (LeCun et al. 1998, with full C3 connections)
    assert count_parameters(create_model("lenet5")) == 61_706


def test_fast_is_the_smallest_convnet():
    sizes = {name: count_parameters(create_model(name)) for name in ZOO}
    assert sizes["fast"] == min(sizes.values())


def test_unknown_model_error_lists_the_choices():
    with pytest.raises(UnknownModelError) as info:
        create_model("lenet9")
    message = str(info.value)
    assert "lenet9" in message and "lenet5" in message


def test_a_name_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="twice"):
        register("mlp", "again")(lambda: nn.Identity())


def test_models_are_fresh_instances():
    a, b = create_model("lenet"), create_model("lenet")
    assert a is not b
    assert a.features[0].weight.data_ptr() != b.features[0].weight.data_ptr()
