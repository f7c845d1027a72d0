"""Real-browser fixtures: one real `digitrec serve` process and Debian's Chromium, per session.

The browser comes from the Debian package (`apt-get install chromium`) rather than
`playwright install`, which downloads browsers; without it these tests skip.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import free_port, start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
# Playwright's default is 30 s per action; a hung page should fail well before that,
# yet the machine may be busy training in the background, so not too tight either.
ACTION_TIMEOUT_MS = 15_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@contextlib.contextmanager
def _serve(tmp: Path, *extra: str) -> Iterator[str]:
    """Run `python -m digitrec serve` on a free port; yield its base URL, then stop it."""
    port = free_port()
    # One inference thread: the tests send one request at a time, and training may share the CPU.
    env = {**os.environ, "DIGITREC_THREADS": "1", "OMP_NUM_THREADS": "1"}
    process = start_server(port, f"sqlite:///{tmp}/history.sqlite3", "--log-level", "info", *extra,
                           log=tmp / "server.log", env=env)  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _serve(tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="session")
def no_history_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _serve(tmp_path_factory.mktemp("server-no-history"), "--no-history") as url:
        yield url


@pytest.fixture(scope="session")
def not_digit_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server that answers everything "not a digit" (no image's two likeliest digits reach 1.0)."""
    with _serve(tmp_path_factory.mktemp("server-not-digit"), "--not-digit-below", "1.0") as url:
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
