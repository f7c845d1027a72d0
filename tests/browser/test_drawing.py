"""Drawing with a real mouse: digits are recognised, undo/clear/empty canvas behave."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from digitrec.imaging import decode_image
from strokes import draw_with_mouse, one, seven, zero

pytestmark = pytest.mark.browser


def is_api_call(request) -> bool:
    return "/api/predict" in request.url or "/api/read" in request.url


def recognise(page, strokes, endpoint: str = "/api/predict") -> dict:
    """Draw, let the page predict on its own (~400 ms after the pen lifts), return the JSON."""
    with page.expect_response(lambda r: endpoint in r.url and r.request.method == "POST") as answer:
        draw_with_mouse(page, strokes)
    response = answer.value
    assert response.status == 200, response.text()
    return response.json()


def sent_png(body: bytes) -> bytes:
    """The PNG file in a request's multipart body: from its signature to the end of its IEND chunk."""
    start = body.index(PNG_SIGNATURE)
    return body[start : body.index(b"IEND", start) + 8]  # the chunk's type, then its CRC


def sent_png_size(body: bytes) -> tuple[int, int]:
    """(width, height) of the PNG in a request's multipart body, from its IHDR chunk."""
    start = body.index(PNG_SIGNATURE) + 16  # signature, IHDR's length and type
    return int.from_bytes(body[start : start + 4], "big"), int.from_bytes(body[start + 4 : start + 8], "big")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


SHAPES = [("one", one(), "1"), ("seven", seven(), "7"), ("zero", zero(), "0")]


@pytest.mark.parametrize(("name", "strokes", "digit"), SHAPES)
def test_drawn_digit_is_recognised(page, tmp_path, name, strokes, digit):
    result = recognise(page, strokes)

    expect(page.locator("#answer")).to_have_text(digit)
    assert result["label"] == digit
    bars = page.locator("#probabilities > [data-digit]")
    expect(bars).to_have_count(10)
    expect(page.locator(f"#probabilities > [data-digit='{digit}']")).to_have_class("winner")
    expect(page.locator(f"#probabilities > [data-digit='{digit}'] .bar-value")).to_contain_text("%")
    model_input = page.locator("#model-input")
    assert model_input.get_attribute("src").startswith("data:image/png;base64,")
    assert model_input.evaluate("img => img.naturalWidth") == 28
    assert model_input.evaluate("img => getComputedStyle(img).imageRendering") == "pixelated"
    expect(page.locator("#uncertain")).to_be_hidden()  # the shapes are clear, the model is sure
    expect(page.locator("#meta")).to_contain_text(result["model"]["name"])
    expect(page.locator("#message")).to_be_hidden()
    page.screenshot(path=tmp_path / f"desktop-{name}.png", full_page=True)
    assert page.js_errors == []


def test_canvas_is_hidpi_and_exports_opaque_white(browser, server_url, open_page):
    page = open_page(server_url, device_scale_factor=2, locale="en-US")
    size = page.locator("#canvas").evaluate("c => [c.width, c.height, c.clientWidth, c.clientHeight]")
    assert size[0] == 2 * size[2] and size[1] == 2 * size[3]
    corner = page.locator("#canvas").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, 1, 1).data)"
    )
    assert corner == [255, 255, 255, 255]
    assert page.locator("#canvas").evaluate("c => getComputedStyle(c).touchAction") == "none"


@pytest.mark.parametrize("scale", [1, 3])
def test_the_drawing_is_sent_at_most_280_px_on_its_shorter_side(open_page, server_url, scale):
    page = open_page(server_url, device_scale_factor=scale, locale="en-US")
    backing = page.locator("#canvas").evaluate("c => [c.width, c.height]")
    bodies = []
    page.route("**/api/predict", lambda route: (bodies.append(route.request.post_data_buffer), route.continue_()))
    assert recognise(page, seven())["label"] == "7"
    width, height = sent_png_size(bodies[-1])
    assert min(width, height) == min(280, *backing)  # never the 3x backing store of a phone-like screen
    assert abs(width / height - backing[0] / backing[1]) < 0.01  # the same drawing, only smaller


def test_the_drawing_is_sent_as_an_8_bit_grey_png(page):
    bodies = []
    page.route("**/api/predict", lambda route: (bodies.append(route.request.post_data_buffer), route.continue_()))
    assert recognise(page, seven())["label"] == "7"
    png = sent_png(bodies[-1])
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "L" and image.size == sent_png_size(bodies[-1])
        image.verify()  # chunk CRCs
    levels = decode_image(png)  # libspng where installed: it checks the zlib stream's checksum too
    assert levels.min() == 0 and levels.max() == 255  # black ink on white paper
    assert page.js_errors == []


def test_the_grey_png_holds_the_levels_of_the_colour_png(page):
    """The page's encoder against canvas.toBlob on the same drawing, decoded and converted by Pillow."""
    strokes = [{"size": 0.06, "points": [{"x": 0.2 + 0.01 * i, "y": 0.3 + 0.02 * (i % 7)} for i in range(50)]}]
    sent = page.evaluate(
        """async (strokes) => {
            const { exportDrawing } = await import("/static/js/canvas.js");
            const bytes = async ({ blob }) => Array.from(new Uint8Array(await blob.arrayBuffer()));
            const grey = await bytes(await exportDrawing(strokes, 211, 157));
            const encoder = window.CompressionStream;
            window.CompressionStream = undefined;  // what a browser without it sends
            try {
                return [grey, await bytes(await exportDrawing(strokes, 211, 157))];
            } finally {
                window.CompressionStream = encoder;
            }
        }""",
        strokes,
    )
    grey, colour = (Image.open(io.BytesIO(bytes(png))) for png in sent)
    assert (grey.mode, grey.size, colour.size) == ("L", (211, 157), (211, 157))
    assert colour.mode in ("RGB", "RGBA")
    expected = np.asarray(colour.convert("RGB").convert("L"))
    assert len(np.unique(expected)) > 10  # anti-aliased edges: many levels to get right
    assert np.array_equal(np.asarray(grey), expected)


def test_grey_levels_are_pillows_luma_for_any_colour(page):
    rgb = np.random.default_rng(0).integers(0, 256, size=(16, 64, 3), dtype=np.uint8)
    rgba = np.dstack([rgb, np.full((16, 64), 255, np.uint8)])
    levels = page.evaluate(
        """async ([data, width, height]) => {
            const { greyLevels } = await import("/static/js/png.js");
            return Array.from(greyLevels(new ImageData(new Uint8ClampedArray(data), width, height)));
        }""",
        [rgba.ravel().tolist(), 64, 16],
    )
    assert levels == np.asarray(Image.fromarray(rgb).convert("L")).ravel().tolist()


def test_a_browser_without_compression_streams_sends_the_canvas_png(open_page, server_url):
    page = open_page(server_url, locale="en-US")
    page.add_init_script("delete window.CompressionStream")
    page.reload()
    page.wait_for_selector("#probabilities li[data-digit='9']", state="attached")  # the modules ran
    assert page.evaluate("typeof CompressionStream") == "undefined"
    bodies = []
    page.route("**/api/predict", lambda route: (bodies.append(route.request.post_data_buffer), route.continue_()))
    assert recognise(page, seven())["label"] == "7"
    with Image.open(io.BytesIO(sent_png(bodies[-1]))) as image:
        assert image.mode in ("RGB", "RGBA")


def test_empty_canvas_asks_for_a_digit_without_calling_the_server(page):
    requests = []
    page.on("request", lambda r: requests.append(r.url) if is_api_call(r) else None)

    page.click("#predict")

    expect(page.locator("#message")).to_have_text("Draw a digit first.")
    expect(page.locator("#answer")).to_have_text("")
    page.wait_for_timeout(600)  # longer than the auto-predict delay
    assert requests == []


def test_undo_removes_the_only_stroke(page):
    recognise(page, one())
    expect(page.locator("#answer")).to_have_text("1")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if is_api_call(r) else None)

    page.click("#undo")

    assert page.locator("#canvas").evaluate(_ink_pixels) == 0
    expect(page.locator("#answer")).to_have_text("")
    page.click("#predict")
    expect(page.locator("#message")).to_have_text("Draw a digit first.")
    page.wait_for_timeout(600)
    assert requests == []


def test_undo_with_ctrl_z_keeps_earlier_strokes(page):
    recognise(page, seven())
    ink_of_seven = page.locator("#canvas").evaluate(_ink_pixels)
    recognise(page, one(x=0.85))  # a stray stroke
    assert page.locator("#canvas").evaluate(_ink_pixels) > ink_of_seven

    with page.expect_response(lambda r: "/api/predict" in r.url) as answer:
        page.keyboard.press("Control+z")  # the remaining "7" is predicted again

    assert answer.value.json()["label"] == "7"
    assert page.locator("#canvas").evaluate(_ink_pixels) == ink_of_seven
    expect(page.locator("#answer")).to_have_text("7")


def test_escape_clears_the_canvas(page):
    recognise(page, zero())
    page.keyboard.press("Escape")
    assert page.locator("#canvas").evaluate(_ink_pixels) == 0
    expect(page.locator("#answer")).to_have_text("")
    expect(page.locator("#result-placeholder")).to_be_visible()


def test_controls_work_from_the_keyboard(page):
    page.locator("#clear").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "predict"
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_have_text("Draw a digit first.")
    page.locator("#multi").focus()
    page.keyboard.press("Space")
    expect(page.locator("#multi")).to_be_checked()


def test_several_digits_are_read_with_boxes(page, tmp_path):
    page.check("#multi")
    width, height = page.locator("#canvas").evaluate("c => [c.clientWidth, c.clientHeight]")
    assert width >= 2.5 * height  # the canvas is wide in this mode
    # "1", "7", "0" side by side, in fractions of the wide canvas.
    strokes = one(x=0.2, top=0.2, bottom=0.8) + seven(left=0.38, right=0.58, top=0.2, bottom=0.8) + zero(
        cx=0.8, rx=0.08, ry=0.3
    )
    bodies = []
    page.route("**/api/read", lambda route: (bodies.append(route.request.post_data_buffer), route.continue_()))
    with page.expect_response(lambda r: "/api/read" in r.url) as answer:
        draw_with_mouse(page, strokes)
        page.click("#predict")  # do not wait for the pause after each stroke

    result = answer.value.json()
    assert result["text"] == "170"
    sent_width, _ = sent_png_size(bodies[-1])
    expect(page.locator("#read-text")).to_have_text("170")
    boxes = page.locator("#canvas-boxes .box")
    expect(boxes).to_have_count(3)
    frame = page.locator("#canvas").bounding_box()
    for box_element, digit in zip(boxes.all(), result["digits"]):
        shown = box_element.bounding_box()
        x0 = digit["box"][0] / sent_width * frame["width"]  # boxes are in the sent image's pixels
        assert abs(shown["x"] - frame["x"] - x0) < 2  # boxes are scaled to the displayed canvas
    expect(page.locator("#read-digits li")).to_have_count(3)
    page.screenshot(path=tmp_path / "desktop-multi.png", full_page=True)


# Pixels darker than mid-grey on the canvas's backing store.
_ink_pixels = """c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++;
  return n;
}"""


def test_an_older_answer_never_overwrites_a_newer_one(page):
    held = []
    page.route("**/api/predict", lambda route: held.append(route))  # held until the test answers
    draw_with_mouse(page, one())
    _wait_until(page, lambda: len(held) == 1)
    page.keyboard.press("Escape")
    draw_with_mouse(page, zero())
    _wait_until(page, lambda: len(held) == 2)

    # The newer request is answered first, then the older one.
    held[1].fulfill(response=held[1].fetch())
    expect(page.locator("#answer")).to_have_text("0")
    with contextlib.suppress(PlaywrightError):  # the page may already have aborted it
        held[0].fulfill(response=held[0].fetch())
    page.wait_for_timeout(300)
    expect(page.locator("#answer")).to_have_text("0")


def test_uncertain_answers_are_flagged(page):
    def answer_unsure(route):
        response = route.fetch()
        body = {**response.json(), "uncertain": True}
        route.fulfill(response=response, json=body)

    page.route("**/api/predict", answer_unsure)
    draw_with_mouse(page, one())
    expect(page.locator("#uncertain")).to_be_visible()
    expect(page.locator("#announce")).to_contain_text("but only")
    page.keyboard.press("Escape")
    expect(page.locator("#uncertain")).to_be_hidden()


def _wait_until(page, condition, timeout_ms: int = 10_000) -> None:
    """Let Playwright dispatch events (route handlers run then) until `condition()` holds."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("condition not met in time")
