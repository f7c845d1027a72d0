"""A soak run of a real server: thousands of mixed requests, no errors, memory levels off.

Runs benchmarks/soak.py (the same script `make bench` runs with 20,000 requests)
with fewer requests, so the suite stays short; the bound is stated there.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
REQUESTS = 3000
MAX_GROWTH_MIB = 25  # RSS growth allowed after the warm-up (the first tenth of the requests)


@pytest.mark.slow
def test_thousands_of_mixed_requests_give_no_errors_and_no_memory_growth(tmp_path, mnist):
    out = tmp_path / "soak.json"
    run = subprocess.run(
        [sys.executable, "soak.py", "--requests", str(REQUESTS), "--max-growth-mib", str(MAX_GROWTH_MIB),
         "--json", str(out)],
        check=False, cwd=BENCHMARKS, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.exists(), run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["requests"] == REQUESTS
    assert result["errors"] == 0, result["error_examples"]
    assert result["growth_mib"] <= MAX_GROWTH_MIB, result["rss_samples_mib"]
    assert len(result["rss_samples_mib"]) >= 10
    assert run.returncode == 0, run.stdout[-2000:]
