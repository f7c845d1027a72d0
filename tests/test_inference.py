import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitrec.errors import ConfigError, EmptyDrawingError, ImageDecodeError
from digitrec.inference import (
    DigitReading,
    Prediction,
    Recognizer,
    RecognizerConfig,
    _certainty,
    shifted_copies,
    softmax,
)
from digitrec.weights import shipped_checkpoint


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def mnist_on_canvas(digit: np.ndarray, canvas: int = 280, height: int = 120, at=(40, 30), transparent=False) -> bytes:
    """An MNIST test digit drawn black on white (or opaque on transparent) on a larger canvas."""
    ink = Image.fromarray(digit).resize((height, height), Image.Resampling.BICUBIC)
    if transparent:
        image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
        layer = Image.new("RGBA", ink.size, (0, 0, 0, 255))
        layer.putalpha(ink)
        image.alpha_composite(layer, at)
        return _png(image)
    image = Image.new("L", (canvas, canvas), 255)
    image.paste(Image.eval(ink, lambda v: 255 - v), at)
    return _png(image)


@pytest.fixture(scope="module")
def recognizer():
    return Recognizer()


def test_mnist_images_are_recognised_directly(recognizer, mnist):
    images, labels = mnist.test.images[:500], mnist.test.labels[:500]
    predictions = recognizer.predict_images(images)
    accuracy = np.mean([p.digit == y for p, y in zip(predictions, labels)])
    assert accuracy > 0.98


def test_prediction_carries_probabilities_top_k_and_the_model_input(recognizer, mnist):
    pred = recognizer.predict_bytes(mnist_on_canvas(mnist.test.images[0]))
    assert pred.label == str(mnist.test.labels[0])
    assert len(pred.probabilities) == 10 and sum(pred.probabilities) == pytest.approx(1.0, abs=1e-5)
    assert pred.confidence == max(pred.probabilities)
    assert pred.top_k[0] == (pred.label, pred.confidence) and len(pred.top_k) == 3
    assert pred.image.shape == (28, 28) and pred.image.dtype == np.uint8
    assert pred.preprocessing is not None and pred.preprocessing.polarity == "dark-on-light"


@pytest.mark.parametrize("placement", [dict(height=40, at=(5, 5)), dict(height=60, at=(210, 200)),
                                       dict(height=250, at=(15, 15))])  # fmt: skip
def test_small_off_centre_and_large_drawings_are_read(recognizer, mnist, placement):
    images, labels = mnist.test.images[:40], mnist.test.labels[:40]
    right = sum(recognizer.predict_bytes(mnist_on_canvas(img, **placement)).digit == y for img, y in zip(images, labels))
    assert right >= 38


def test_transparent_canvas_export_is_read(recognizer, mnist):
    images, labels = mnist.test.images[:30], mnist.test.labels[:30]
    right = sum(recognizer.predict_bytes(mnist_on_canvas(img, transparent=True)).digit == y for img, y in zip(images, labels))
    assert right >= 29


def test_blank_canvas_is_an_error_not_a_digit(recognizer):
    with pytest.raises(EmptyDrawingError):
        recognizer.predict_bytes(_png(Image.new("L", (280, 280), 255)))
    with pytest.raises(EmptyDrawingError):
        recognizer.predict_bytes(_png(Image.new("RGBA", (280, 280), (0, 0, 0, 0))))


def test_garbage_bytes_are_a_typed_error(recognizer):
    with pytest.raises(ImageDecodeError):
        recognizer.predict_bytes(b"definitely not an image")


def test_low_confidence_is_flagged_not_hidden(mnist):
    strict = Recognizer(RecognizerConfig(uncertain_below=1.0))
    pred = strict.predict_images(mnist.test.images[:1])[0]
    assert pred.uncertain and pred.label  # still answered
    assert not Recognizer(RecognizerConfig(uncertain_below=0.0)).predict_images(mnist.test.images[:1])[0].uncertain


def test_tta_and_ensembles_of_onnx_and_pytorch_models(mnist):
    images, labels = mnist.test.images[:200], mnist.test.labels[:200]
    ensemble = Recognizer(RecognizerConfig(models=(shipped_checkpoint(),), tta=True))
    accuracy = np.mean([p.digit == y for p, y in zip(ensemble.predict_images(images), labels)])
    assert accuracy > 0.97
    assert ensemble.info.runtime == "torch"


def test_reading_a_line_of_digits(recognizer, mnist):
    picks = [3, 2, 1, 18]  # MNIST test images of 0, 1, 2 and 3... whatever they are, read in order
    canvas = Image.new("L", (4 * 110 + 40, 160), 255)
    for i, index in enumerate(picks):
        ink = Image.fromarray(mnist.test.images[index]).resize((100, 100), Image.Resampling.BICUBIC)
        canvas.paste(Image.eval(ink, lambda v: 255 - v), (20 + i * 110, 30))
    line = recognizer.read_bytes(_png(canvas))
    assert line.text == "".join(str(mnist.test.labels[i]) for i in picks)
    boxes = [d.box for d in line.digits]
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)


def test_two_touching_ones_are_read_as_two_digits(recognizer):
    image = Image.new("L", (200, 140), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(60, 20), (50, 115)], fill=0, width=9)
    draw.line([(68, 20), (78, 115)], fill=0, width=9)
    assert recognizer.read_array(np.asarray(image)).text == "11"


def _reading(probabilities: list[float]) -> DigitReading:
    prediction = Prediction(
        digit=0, label="0", confidence=max(probabilities), probabilities=tuple(probabilities), top_k=(),
        uncertain=False, image=np.zeros((28, 28), np.uint8),
    )  # fmt: skip
    return DigitReading((0, 0, 1, 1), prediction)


def test_certainty_counts_odds_over_the_runner_up_not_the_probability():
    sure = [0.9999] + [0.0001 / 9] * 9  # a clean digit: odds of 90,000 to 1, beyond sure
    unsure = [0.98, 0.01] + [0.01 / 8] * 8  # nearly as probable, but odds only 98 to 1
    assert _certainty([_reading(sure)]) == pytest.approx(_certainty([_reading([0.99999] + [0.00001 / 9] * 9)]))
    assert _certainty([_reading(unsure)]) < _certainty([_reading(sure)]) - 0.5
    # Two sure digits cost little more than one: a split into digits the model is sure of wins.
    assert _certainty([_reading(sure)] * 2) > _certainty([_reading(unsure)])


def test_shifted_copies_move_ink_by_one_pixel():
    x = np.zeros((1, 1, 28, 28), dtype=np.float32)
    x[0, 0, 10, 10] = 1.0
    views = shifted_copies(x)
    positions = [tuple(np.argwhere(v[0, 0])[0]) for v in views]
    assert positions == [(10, 10), (11, 10), (9, 10), (10, 11), (10, 9)]


def test_softmax_is_stable_for_large_logits():
    probs = softmax(np.array([[1000.0, 0.0, -1000.0]]))
    assert np.isfinite(probs).all() and probs[0, 0] == pytest.approx(1.0)


def test_bad_threshold_is_rejected():
    with pytest.raises(ConfigError):
        Recognizer(RecognizerConfig(uncertain_below=1.5))
    with pytest.raises(ConfigError):
        Recognizer(RecognizerConfig(not_digit_below=-0.1))


def test_belief_spread_over_many_digits_is_not_a_digit_and_two_rivals_are_uncertain(recognizer):
    judge = recognizer._judge
    spread = np.array([0.16, 0.14, 0.12, 0.1, 0.1, 0.1, 0.08, 0.08, 0.06, 0.06])
    rivals = np.array([0.0, 0.0, 0.0, 0.0, 0.48, 0.0, 0.0, 0.0, 0.0, 0.52])
    sure = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.995, 0.005, 0.0])
    outcomes = {name: judge(p, np.argsort(-p)) for name, p in [("spread", spread), ("rivals", rivals), ("sure", sure)]}
    assert outcomes["spread"][0] == "not_a_digit" and "16%" in outcomes["spread"][1]
    assert outcomes["rivals"][0] == "uncertain" and "9 (52%) or 4 (48%)" in outcomes["rivals"][1]
    assert outcomes["sure"] == ("digit", None)


def test_the_outcome_reaches_predictions_and_lines(mnist):
    strict = Recognizer(RecognizerConfig(not_digit_below=1.0))  # every answer: not a digit
    pred = strict.predict_images(mnist.test.images[:1])[0]
    assert pred.outcome == "not_a_digit" and pred.uncertain and pred.reason
    lenient = Recognizer(RecognizerConfig(not_digit_below=0.0, uncertain_below=0.0))
    assert lenient.predict_images(mnist.test.images[:1])[0].outcome == "digit"


def test_the_inference_path_does_not_import_torch(tmp_path):
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).line([(140, 40), (140, 240)], fill=0, width=20)
    path = tmp_path / "one.png"
    image.save(path)
    code = (
        "import sys; from pathlib import Path; from digitrec.inference import Recognizer; "
        f"p = Recognizer().predict_bytes(Path({str(path)!r}).read_bytes()); "
        "print(p.label); assert 'torch' not in sys.modules, 'torch was imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
