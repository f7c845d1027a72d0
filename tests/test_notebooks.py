"""The tutorial notebooks: committed as they last ran, cleanly; alike in both languages; still running."""

import io
import re
import time
import tokenize
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

DOCS = Path(__file__).resolve().parents[1] / "docs"
NOTEBOOKS = [DOCS / "tutorial.ipynb", DOCS / "tutorial.zh-CN.ipynb"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def code_without_prose(source: str) -> list[tuple[int, str]]:
    """The tokens of a code cell less its comments and docstrings, which are in the reader's language."""
    kept: list[tuple[int, str]] = []
    statement_start = True
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.NL):
            continue
        if token.type == tokenize.STRING and statement_start:
            continue  # a string standing alone as a statement: a docstring
        statement_start = token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
        kept.append((token.type, token.string))
    return kept


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_committed_notebook_ran_top_to_bottom_without_errors(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    in_order = list(range(1, len(code) + 1))
    assert [cell.execution_count for cell in code] == in_order, "run it top to bottom: make notebooks"
    for cell in code:
        assert cell.outputs, f"cell {cell.id} has no output"
        for output in cell.outputs:
            error = f"{output.get('ename')}: {output.get('evalue')}"
            assert output.output_type != "error", f"cell {cell.id}: {error}"
            is_stderr = output.output_type == "stream" and output.name == "stderr"
            assert not is_stderr, f"cell {cell.id} wrote to stderr: {output.text[:300]}"
    # Pictures at a modest resolution, and progress bars kept as their last line.
    assert path.stat().st_size < 800_000


def test_both_languages_have_the_same_cells_and_the_same_code():
    english, chinese = (nbformat.read(path, as_version=4) for path in NOTEBOOKS)
    assert [(c.id, c.cell_type) for c in english.cells] == [(c.id, c.cell_type) for c in chinese.cells]
    for en, zh in zip(english.cells, chinese.cells, strict=True):
        if en.cell_type == "code":
            assert code_without_prose(en.source) == code_without_prose(zh.source), f"cell {en.id}"
        else:
            english_prose = en.source.replace("[简体中文版]", "")  # the link to the other one
            assert CJK.search(zh.source) and not CJK.search(english_prose), f"cell {en.id}"


def test_prose_is_ignored_when_comparing_code():
    assert code_without_prose('def f():\n    """Doc."""\n    return 1  # one\n') == code_without_prose(
        'def f():\n    """文档。"""\n    return 1  # 一\n'
    )
    assert code_without_prose('print("a")') != code_without_prose('print("b")')


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_notebook_runs_on_a_small_training_subset(path, tmp_path, monkeypatch, mnist):
    monkeypatch.setenv("DIGITREC_TUTORIAL_QUICK", "1")  # the first cell reads it: a few seconds of training
    monkeypatch.setenv("DIGITREC_TUTORIAL_DIR", str(tmp_path / "runs"))
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    # Raises CellExecutionError, with the cell and its traceback, at the first error.
    workdir = {"metadata": {"path": str(tmp_path)}}
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources=workdir)
    client.execute()
    assert time.perf_counter() - started < 120  # ~20 s on 2 cores: CI's budget for it
    assert (tmp_path / "runs" / "lenet5.onnx").is_file()
