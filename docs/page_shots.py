"""Screenshots of the drawing page for the docs (used by figures.py, `make docs-figures`).

A real `digitrec serve` on a free port of 127.0.0.1 with its history in a temporary
folder, driven by Debian's Chromium through Playwright (no browser download), the
digits drawn stroke by stroke with the mouse (desktop) or a finger (phone), as
tests/browser does. Skipped with a message when Playwright or Chromium is missing.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

log = logging.getLogger("figures")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
DESKTOP = {"width": 1280, "height": 820}
PHONE = {"width": 390, "height": 844}
START_TIMEOUT_S = 60.0

Stroke = list[tuple[float, float]]  # points as fractions of the canvas width and height
SEVEN: list[Stroke] = [[(0.28, 0.22), (0.72, 0.22), (0.44, 0.82)]]
# A "2": an arc over the top from left to right, a diagonal down to the left, a bar along the bottom.
_ARC = [math.pi + 0.35 - k * (math.pi + 0.8) / 16 for k in range(17)]  # radians, left to lower right
TWO: list[Stroke] = [
    [(0.5 + 0.19 * math.cos(a), 0.36 - 0.16 * math.sin(a)) for a in _ARC] + [(0.3, 0.8), (0.74, 0.8)]
]


def take(out: Path) -> list[Path]:
    """page.png (English), page-zh.png (简体中文), page-phone.png; [] when no browser is available."""
    if not CHROMIUM.exists():
        log.warning("skipped the page screenshots: %s is not installed (apt-get install chromium)", CHROMIUM)
        return []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        log.warning("skipped the page screenshots: Playwright is not installed (make install)")
        return []
    shots = [
        (desktop, "en-US", "page.png"),
        (desktop, "zh-CN", "page-zh.png"),
        (phone, "en-US", "page-phone.png"),
    ]
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for shoot, locale, name in shots:
                # A server of its own for each picture, so each history panel shows only its own digits.
                with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as url:
                    written.append(shoot(browser, url, locale, out / name))
        finally:
            browser.close()
    return written


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """`digitrec serve` on a free port with its history in `folder`; yields the base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "digitrec", "serve", "--port", str(port),
               "--database-url", f"sqlite:///{folder}/history.sqlite3", "--log-level", "warning"]  # fmt: skip
    env = {**os.environ, "DIGITREC_THREADS": "1", "OMP_NUM_THREADS": "1"}
    with (folder / "server.log").open("wb") as server_log:
        process = subprocess.Popen(command, stdout=server_log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, folder / "server.log")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_health(url: str, process: subprocess.Popen, server_log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"digitrec serve exited with {process.returncode}:\n{server_log.read_text()[-2000:]}"
            )
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/api/health", timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.25)
    raise SystemExit(
        f"digitrec serve did not answer within {START_TIMEOUT_S:.0f} s:\n{server_log.read_text()[-2000:]}"
    )


def open_page(browser, url: str, **context_options):
    context = browser.new_context(**context_options)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#probabilities li[data-digit='9']", state="attached")  # the modules ran
    return context, page


def canvas_points(page, stroke: Stroke, step_px: float) -> list[tuple[float, float]]:
    """A stroke in page pixels, with a point every `step_px` like a real pen's samples."""
    box = page.locator("#canvas").bounding_box()
    points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
    dense = [points[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        steps = max(1, int(math.hypot(x1 - x0, y1 - y0) / step_px))
        dense += [(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps) for k in range(1, steps + 1)]
    return dense


def draw_with_mouse(page, strokes: list[Stroke]) -> None:
    """Draw, and wait for the answer the page asks for on its own when the pen lifts."""
    with page.expect_response(lambda r: "/api/predict" in r.url and r.request.method == "POST"):
        for stroke in strokes:
            points = canvas_points(page, stroke, step_px=6)
            page.mouse.move(*points[0])
            page.mouse.down()
            for x, y in points[1:]:
                page.mouse.move(x, y)
            page.mouse.up()


def draw_with_finger(context, page, strokes: list[Stroke]) -> None:
    """One-finger strokes through Chrome DevTools (sync Playwright has no touch-move call)."""
    cdp = context.new_cdp_session(page)
    with page.expect_response(lambda r: "/api/predict" in r.url and r.request.method == "POST"):
        for stroke in strokes:
            points = canvas_points(page, stroke, step_px=8)
            cdp.send(
                "Input.dispatchTouchEvent",
                {"type": "touchStart", "touchPoints": [dict(zip("xy", points[0]))]},
            )
            for point in points[1:]:
                cdp.send(
                    "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [dict(zip("xy", point))]}
                )
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def desktop(browser, url: str, locale: str, path: Path) -> Path:
    """A 7 drawn first (so the history lists two items), then a 2: the page as it answers the 2."""
    context, page = open_page(browser, url, viewport=DESKTOP, locale=locale)
    try:
        draw_with_mouse(page, SEVEN)
        page.click("#clear")
        draw_with_mouse(page, TWO)
        page.locator('#history li').nth(1).wait_for()  # a string predicate would need eval, which the CSP forbids
        page.wait_for_timeout(500)  # the bars' width transition
        save_screenshot(page.screenshot(full_page=True), path)
    finally:
        context.close()
    return path


def phone(browser, url: str, locale: str, path: Path) -> Path:
    """A phone in portrait: the answer chip on the canvas, with the result card below the fold."""
    context, page = open_page(
        browser, url, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale=locale
    )
    try:
        draw_with_finger(context, page, TWO)
        page.wait_for_selector("#canvas-answer:not([hidden])")
        page.wait_for_timeout(500)
        save_screenshot(page.screenshot(full_page=False), path, scale=0.75)
    finally:
        context.close()
    return path


def save_screenshot(png: bytes, path: Path, scale: float = 1.0) -> None:
    """A 256-colour PNG: screenshots are flat colours and text, and a third of the size this way."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if scale != 1.0:
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
        )
    image.quantize(colors=256, dither=Image.Dither.NONE).save(path, optimize=True)
