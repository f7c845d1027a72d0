"""Real `digitrec serve` processes for the fault and browser tests: start, wait for health, stop."""

from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    port: int, url: str, *extra: str, log: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """`digitrec serve` on 127.0.0.1:`port` with history at `url`; returns once /api/health answers.

    With `log`, the server's output goes there and a failure to start shows its end.
    """
    out = log.open("wb") if log else subprocess.DEVNULL
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "digitrec", "serve", "--port", str(port), "--database-url", url,
             "--log-level", "warning", *extra],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    finally:
        if log:
            out.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"digitrec serve exited with {process.returncode} before answering{_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return process
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"digitrec serve did not answer /api/health within {START_TIMEOUT_S:.0f} s{_tail(log)}")


def _tail(log: Path | None) -> str:
    return f":\n{log.read_text()[-3000:]}" if log and log.exists() else ""


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def png_bytes(image) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()
