"""benchmarks/synth_real.py: deterministic sets of the stated sizes and kinds, from MNIST test digits only."""

import importlib
import inspect
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from digitrec.imaging import decode_image

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SETS = {  # generator: (least default size, its kinds' constant)
    "tight_set": (1000, "TIGHT_KINDS"),
    "lowres_set": (1000, "LOWRES_KINDS"),
    "ruled_set": (600, "RULED_KINDS"),
    "ruled_lines_set": (300, "RULED_LINE_KINDS"),
    "nondigit_set": (300, None),
}
N = 12  # per set: every kind several times, in about a second


@pytest.fixture(scope="module")
def synth_real(mnist):
    """The module, with each set made twice with its default seed (`made`, `again`) and once with another."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        module = importlib.import_module("synth_real")
        # The test split alone: reading a training digit would fail.
        patch.setattr(module, "load_dataset", lambda name: SimpleNamespace(test=mnist.test))
        made = {name: getattr(module, name)(N) for name in SETS}
        again = {name: getattr(module, name)(N) for name in SETS}
        other_seed = {name: getattr(module, name)(N, seed=99) for name in SETS}
    nondigit = importlib.import_module("synth_nondigit")
    return SimpleNamespace(module=module, nondigit=nondigit, made=made, again=again, other_seed=other_seed)


@pytest.mark.parametrize("name", SETS)
def test_a_seed_gives_the_same_bytes_and_another_seed_others(synth_real, name):
    assert [s.data for s in synth_real.made[name]] == [s.data for s in synth_real.again[name]]
    assert [s.data for s in synth_real.made[name]] != [s.data for s in synth_real.other_seed[name]]


@pytest.mark.parametrize("name", SETS)
def test_default_sizes_and_kinds_taking_turns(synth_real, name):
    least, kinds_name = SETS[name]
    assert inspect.signature(getattr(synth_real.module, name)).parameters["n"].default >= least
    kinds = getattr(synth_real.module, kinds_name) if kinds_name else synth_real.nondigit.NONDIGIT_KINDS
    samples = synth_real.made[name]
    assert len(samples) == N
    assert [s.kind for s in samples] == [kinds[i % len(kinds)] for i in range(N)]


@pytest.mark.parametrize("name", SETS)
def test_every_sample_decodes_as_png_or_jpeg(synth_real, name):
    for s in synth_real.made[name]:
        assert Image.open(io.BytesIO(s.data)).format in {"PNG", "JPEG"}
        assert decode_image(s.data).ndim == 2


@pytest.mark.parametrize("name", ["tight_set", "lowres_set", "ruled_set", "ruled_lines_set"])
def test_labels_are_those_of_the_mnist_test_digits_used(synth_real, mnist, name):
    for s in synth_real.made[name]:
        indices = s.meta["indices"] if "indices" in s.meta else [s.meta["index"]]
        assert s.label == "".join(str(int(mnist.test.labels[i])) for i in indices)
        if name == "ruled_lines_set":
            assert 3 <= len(s.label) <= 8


def test_the_stated_ranges(synth_real):
    for s in synth_real.made["tight_set"]:
        assert 28 <= max(s.meta["size"]) <= 300
        assert all(-2 <= m <= 3 for m in s.meta["margins"]) and min(s.meta["margins"]) <= 0
    assert all(8 <= s.meta["digit_px"] <= 16 for s in synth_real.made["lowres_set"])
    assert any(s.meta["zoom"] == 1 for s in synth_real.made["lowres_set"])


def test_non_digits_are_labelled_so_and_the_reserved_fonts_exist(synth_real):
    module = synth_real.module
    assert {s.label for s in synth_real.made["nondigit_set"]} == {module.NOT_A_DIGIT}
    assert all((synth_real.nondigit.FONT_DIR / font).is_file() for font in module.RESERVED_FONTS)
