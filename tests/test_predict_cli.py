import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from digitrec.cli import main


def _save_digit(mnist, index: int, path, background=255) -> int:
    ink = Image.fromarray(mnist.test.images[index]).resize((140, 140), Image.Resampling.BICUBIC)
    canvas = Image.new("L", (280, 280), background)
    canvas.paste(Image.eval(ink, lambda v: 255 - v) if background == 255 else ink, (60, 70))
    canvas.save(path)
    return int(mnist.test.labels[index])


def test_json_output_has_one_object_per_image(tmp_path, capsys, mnist):
    labels = [_save_digit(mnist, i, tmp_path / f"d{i}.png") for i in range(3)]
    code = main(["predict", "--json", "--top-k", "2", *(str(tmp_path / f"d{i}.png") for i in range(3))])
    assert code == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["digit"] for r in records] == [str(y) for y in labels]
    for r in records:
        assert set(r) >= {"file", "digit", "confidence", "probabilities", "uncertain", "top_k"}
        assert len(r["probabilities"]) == 10 and len(r["top_k"]) == 2


def test_a_folder_is_expanded_and_a_bad_file_is_skipped_with_exit_code_1(tmp_path, capsys, mnist):
    _save_digit(mnist, 0, tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(b"not a png at all")
    _save_digit(mnist, 1, tmp_path / "c.png", background=0)  # white on black works too
    code = main(["predict", "--json", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1
    assert [json.loads(line)["file"].split("/")[-1] for line in captured.out.splitlines()] == ["a.png", "c.png"]
    assert "b.png" in captured.err


def test_missing_file_and_empty_image_are_reported(tmp_path, capsys):
    Image.new("L", (100, 100), 255).save(tmp_path / "blank.png")
    code = main(["predict", str(tmp_path / "blank.png"), str(tmp_path / "nope.png")])
    err = capsys.readouterr().err
    assert code == 1
    assert "nope.png" in err and "blank.png" in err and "no digit" in err.lower()


def test_stdin_preview_and_plot(tmp_path, capsys, monkeypatch, mnist):
    label = _save_digit(mnist, 4, tmp_path / "x.png")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO((tmp_path / "x.png").read_bytes())))
    code = main(["predict", "-", "--save-preview", str(tmp_path / "prev"), "--plot", str(tmp_path / "plots")])
    assert code == 0
    assert capsys.readouterr().out.startswith(f"-: {label}")
    preview = np.asarray(Image.open(tmp_path / "prev" / "stdin.png"))
    assert preview.shape == (28, 28)
    assert (tmp_path / "plots" / "stdin.png").stat().st_size > 0


def _save_line(mnist, path) -> str:
    canvas = Image.new("L", (360, 140), 255)
    for i, index in enumerate((0, 1, 2)):
        ink = Image.fromarray(mnist.test.images[index]).resize((100, 100), Image.Resampling.BICUBIC)
        canvas.paste(Image.eval(ink, lambda v: 255 - v), (15 + 115 * i, 20))
    canvas.save(path)
    return "".join(str(mnist.test.labels[i]) for i in (0, 1, 2))


def test_multi_digit_reading_from_the_cli(tmp_path, capsys, mnist):
    text = _save_line(mnist, tmp_path / "line.png")
    assert main(["predict", "--multi", "--json", str(tmp_path / "line.png")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["text"] == text
    assert len(record["digits"]) == 3 and len(record["digits"][0]["box"]) == 4
    assert (record["outcome"], record["reason"]) == ("digit", None)
    assert [(d["outcome"], d["reason"]) for d in record["digits"]] == [("digit", None)] * 3


# A not-a-digit threshold of 1.0 flags any image, digits included (see tests/api/test_outcomes.py).
def test_json_says_the_outcome_and_why(tmp_path, capsys, mnist):
    _save_digit(mnist, 0, tmp_path / "d.png")
    assert main(["predict", "--json", str(tmp_path / "d.png")]) == 0
    sure = json.loads(capsys.readouterr().out)
    assert (sure["outcome"], sure["reason"], sure["uncertain"]) == ("digit", None, False)
    assert main(["predict", "--json", "--not-digit-below", "1.0", str(tmp_path / "d.png")]) == 0
    forced = json.loads(capsys.readouterr().out)
    assert (forced["outcome"], forced["uncertain"]) == ("not_a_digit", True)
    assert "does not look like a digit" in forced["reason"]


def test_text_says_not_a_digit_plainly_and_uncertain_with_the_reason(tmp_path, capsys, mnist):
    label = _save_digit(mnist, 0, tmp_path / "d.png")
    assert main(["predict", "--not-digit-below", "1.0", str(tmp_path / "d.png")]) == 0
    assert re.fullmatch(r".*d\.png: not a digit  \(no digit above \d+%\)\n", capsys.readouterr().out)
    assert main(["predict", "--threshold", "0.999", "--not-digit-below", "0", str(tmp_path / "d.png")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'd.png'}: {label}  (") and f"  (uncertain: not sure: {label} (" in out


def test_multi_says_when_no_mark_is_a_digit(tmp_path, capsys, mnist):
    _save_line(mnist, tmp_path / "line.png")
    args = ["predict", "--multi", "--not-digit-below", "1.0", str(tmp_path / "line.png")]
    assert main(args) == 0
    assert re.fullmatch(r".*line\.png: not a digit  \(no digit above \d+%\)\n", capsys.readouterr().out)
    assert main([*args, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["outcome"] == "not_a_digit" and record["reason"].startswith("none of the 3 marks")
    assert [d["outcome"] for d in record["digits"]] == ["not_a_digit"] * 3


def test_a_broken_model_file_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "m.onnx").write_bytes(b"junk")
    assert main(["predict", "--model", str(tmp_path / "m.onnx"), str(tmp_path)]) == 1
    assert "m.onnx" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["predict"], ["predict", "--top-k"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
