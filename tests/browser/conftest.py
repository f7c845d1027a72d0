"""Real-browser fixtures: one real `digitrec serve` process and Debian's Chromium, per session.

The browser comes from the Debian package (`apt-get install chromium`) rather than
`playwright install`, which downloads browsers; without it these tests skip.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
SERVER_START_TIMEOUT_S = 60.0
# Playwright's default is 30 s per action; a hung page should fail well before that,
# yet the machine may be busy training in the background, so not too tight either.
ACTION_TIMEOUT_MS = 15_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_health(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"digitrec serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/api/health", timeout=2.0).status_code == 200:
                return
        time.sleep(0.25)
    pytest.fail(f"digitrec serve did not answer /api/health within {SERVER_START_TIMEOUT_S:.0f} s:\n"
                f"{log.read_text()[-3000:]}")  # fmt: skip


@contextlib.contextmanager
def _serve(tmp: Path, *extra: str) -> Iterator[str]:
    """Run `python -m digitrec serve` on a free port; yield its base URL, then stop it."""
    port = _free_port()
    log = tmp / "server.log"
    command = [
        sys.executable, "-m", "digitrec", "serve", "--port", str(port),
        "--database-url", f"sqlite:///{tmp}/history.sqlite3", *extra,
    ]  # fmt: skip
    # One inference thread: the tests send one request at a time, and training may share the CPU.
    env = {**os.environ, "DIGITREC_THREADS": "1", "OMP_NUM_THREADS": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _serve(tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="session")
def no_history_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _serve(tmp_path_factory.mktemp("server-no-history"), "--no-history") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


def _open(browser, url: str, **context_options):
    context = browser.new_context(**context_options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(url)
    page.wait_for_selector("#probabilities li[data-digit='9']", state="attached")  # the modules ran
    return context, page, errors


@pytest.fixture
def page(browser, server_url: str):
    """The drawing page on a desktop-sized window, in English."""
    context, page, errors = _open(browser, server_url, viewport=DESKTOP, locale="en-US")
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, server_url: str):
    """The drawing page on a phone in portrait, with touch."""
    context, page, errors = _open(
        browser, server_url, viewport=PHONE, device_scale_factor=3, is_mobile=True, has_touch=True,
        locale="en-US",
    )
    page.js_errors = errors
    yield context, page
    context.close()


@pytest.fixture
def open_page(browser):
    """Open the page with any context options; every context is closed afterwards."""
    contexts = []

    def open_(url: str, **options):
        options.setdefault("viewport", DESKTOP)
        context, page, _ = _open(browser, url, **options)
        contexts.append(context)
        return page

    yield open_
    for context in contexts:
        context.close()
