"""benchmarks/run_all.py's report: rerunning some benchmarks keeps the other sections' figures."""

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def run_all(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    common = importlib.import_module("_common")
    module = importlib.import_module("run_all")
    monkeypatch.setattr(common, "OUT_DIR", tmp_path / "out")  # no results at all
    monkeypatch.setattr(module, "REPORT", tmp_path / "BENCHMARKS.md")
    yield module
    sys.modules.pop("run_all", None)


def test_a_section_without_results_keeps_the_figures_already_reported(run_all):
    run_all.REPORT.write_text(
        "# Benchmarks\n\n## Speed of recognition\n\nCommand: x\n\n| page canvas | **1.23 ms** |\n\n"
        "### Bytes to answer against an earlier revision, side by side\n\nratio 0.55\n\n## HTTP load\n\n42 req/s\n"
    )
    run_all.write_report()
    report = run_all.REPORT.read_text()
    sections = run_all.report_sections(report)
    assert sections["## Speed of recognition"][:5] == ["## Speed of recognition", "", "Command: x", "", "| page canvas | **1.23 ms** |"]
    assert "ratio 0.55" in sections["### Bytes to answer against an earlier revision, side by side"]
    assert "42 req/s" in sections["## HTTP load"]
    assert sections["## Soak"][-2] == "_not run yet_"  # never reported: nothing to keep


def test_without_a_previous_report_every_section_says_it_was_not_run(run_all):
    run_all.write_report()
    sections = run_all.report_sections(run_all.REPORT.read_text())
    assert len(sections) == len(run_all.SECTIONS)
    assert all("_not run yet_" in lines for lines in sections.values())
