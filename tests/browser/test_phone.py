"""A phone in portrait: the layout stacks, and finger drawing never scrolls the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from strokes import draw_with_touch, one_upwards, seven

pytestmark = pytest.mark.browser

RECORD_POINTER_TYPES = """() => {
  window.pointerTypes = [];
  const canvas = document.getElementById('canvas');
  canvas.addEventListener('pointerdown', e => window.pointerTypes.push(e.pointerType));
}"""


@pytest.mark.parametrize(("name", "strokes", "digit"), [("one", one_upwards(), "1"), ("seven", seven(), "7")])
def test_touch_drawing_is_recognised_and_does_not_scroll(phone_page, tmp_path, name, strokes, digit):
    context, page = phone_page
    # Scroll a little so the page *could* move either way, with the canvas still in view.
    page.evaluate("window.scrollTo(0, 40)")
    scroll_before = page.evaluate("window.scrollY")
    assert scroll_before > 0
    assert page.evaluate("document.documentElement.scrollHeight > window.innerHeight")
    page.evaluate(RECORD_POINTER_TYPES)
    cdp = context.new_cdp_session(page)

    with page.expect_response(lambda r: "/api/predict" in r.url) as answer:
        draw_with_touch(cdp, page, strokes)

    assert answer.value.json()["label"] == digit
    expect(page.locator("#answer")).to_have_text(digit)
    assert page.evaluate("window.pointerTypes") == ["touch"] * len(strokes)
    assert page.evaluate("window.scrollY") == scroll_before
    page.screenshot(path=tmp_path / f"phone-{name}.png", full_page=True)


def test_phone_layout_stacks_and_fills_the_width(phone_page, tmp_path):
    _, page = phone_page
    viewport_width = page.viewport_size["width"]
    canvas = page.locator("#canvas").bounding_box()
    assert canvas["width"] >= 0.8 * viewport_width  # the canvas fills the width
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport_width  # no sideways scrolling
    draw_card = page.locator(".draw-card").bounding_box()
    result_card = page.locator(".result-card").bounding_box()
    assert result_card["y"] >= draw_card["y"] + draw_card["height"]  # stacked, not side by side
    ratio = page.evaluate("window.devicePixelRatio")
    assert page.locator("#canvas").evaluate("c => c.width") == round(canvas["width"] * ratio)
    page.screenshot(path=tmp_path / "phone-empty.png", full_page=True)
