import numpy as np

from digitrec.nondigits import GLYPHS, HELD_OUT_FONTS, _training_fonts, nondigit_images


def test_nondigits_are_mnist_laid_out_and_the_same_for_the_same_seed():
    first = nondigit_images(30, seed=3)
    assert first.shape == (30, 28, 28) and first.dtype == np.uint8
    assert np.array_equal(first, nondigit_images(30, seed=3))
    assert not np.array_equal(first, nondigit_images(30, seed=4))
    # As to_mnist leaves a digit: full ink somewhere, a black border.
    assert (first.reshape(30, -1).max(1) == 255).all()
    assert first[:, 0].max() == 0 and first[:, :, -1].max() == 0


def test_the_letters_and_fonts_kept_for_evaluation_are_never_drawn():
    assert not set("KRY&") & set(GLYPHS)
    assert not {p.name for p in _training_fonts()} & set(HELD_OUT_FONTS)
    assert not set("0123456789OoIlSZBGTbgq") & set(GLYPHS)  # nothing a digit could be
