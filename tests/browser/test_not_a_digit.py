"""Not a digit: a letter or a scribble gets a notice in place of the big answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from strokes import cross, draw_with_mouse, one, seven

pytestmark = pytest.mark.browser

NOTICE = "This doesn't look like a digit."


def recognise(page, strokes, endpoint: str = "/api/predict") -> dict:
    with page.expect_response(lambda r: endpoint in r.url and r.request.method == "POST") as answer:
        draw_with_mouse(page, strokes)
    assert answer.value.status == 200, answer.value.text()
    return answer.value.json()


# The shipped model was trained with outlier exposure (nondigits.py) and spreads its belief on an X;
# the model before it read a drawn X as an 8 it doubted (its two likeliest digits held about 0.8).
def test_a_drawn_x_is_not_a_digit(page, tmp_path):
    result = recognise(page, cross())
    page.screenshot(path=tmp_path / "desktop-x.png", full_page=True)
    assert result["outcome"] == "not_a_digit", f"top two: {sorted(result['probabilities'])[-2:]}"
    expect(page.locator("#not-digit")).to_have_text(NOTICE)
    expect(page.locator("#answer-block")).to_be_hidden()
    expect(page.locator("#announce")).to_contain_text("doesn't look like a digit")


def test_a_clear_digit_is_not_called_not_a_digit(page):
    result = recognise(page, seven())
    assert (result["label"], result["outcome"]) == ("7", "digit")
    expect(page.locator("#answer")).to_have_text("7")
    expect(page.locator("#not-digit")).to_be_hidden()
    expect(page.locator("#announce")).to_contain_text("The answer is 7,")
    assert page.js_errors == []


def test_the_not_a_digit_notice_replaces_the_answer_and_is_announced(browser, not_digit_server_url, open_page, tmp_path):
    page = open_page(not_digit_server_url, locale="en-US")
    result = recognise(page, one())
    assert result["outcome"] == "not_a_digit"

    expect(page.locator("#not-digit")).to_be_visible()
    expect(page.locator("#not-digit")).to_have_text(NOTICE)
    expect(page.locator("#answer-block")).to_be_hidden()
    expect(page.locator("#uncertain")).to_be_hidden()  # the flag says more than "not sure"
    expect(page.locator("#announce")).to_contain_text("This doesn't look like a digit: no digit gets more than")
    expect(page.locator("#probabilities > [data-digit]")).to_have_count(10)  # the bars still show why
    expect(page.locator("#probabilities > .winner")).to_have_count(0)
    # Nothing to confirm: the feedback bar asks which digit was meant, if any.
    expect(page.locator("#feedback-yes")).to_be_hidden()
    expect(page.locator("#feedback-pick-label")).to_have_text("If you meant a digit, say which:")
    expect(page.locator("#feedback-digits button")).to_have_count(10)
    page.screenshot(path=tmp_path / "desktop-not-a-digit.png", full_page=True)

    page.select_option("#lang", "zh")
    expect(page.locator("#not-digit")).to_have_text("这看起来不像数字。")
    expect(page.locator("#announce")).to_contain_text("这看起来不像数字：任何数字的概率都不超过")
    expect(page.locator("#feedback-pick-label")).to_have_text("如果你写的是数字，请告诉我们是哪个：")

    page.keyboard.press("Escape")
    expect(page.locator("#not-digit")).to_be_hidden()


def test_a_line_of_marks_that_are_not_digits(not_digit_server_url, open_page):
    page = open_page(not_digit_server_url, locale="en-US")
    page.check("#multi")
    with page.expect_response(lambda r: "/api/read" in r.url) as answer:
        draw_with_mouse(page, one(x=0.3) + one(x=0.7))
        page.click("#predict")
    assert answer.value.json()["outcome"] == "not_a_digit"
    expect(page.locator("#not-digit")).to_have_text("These marks don't look like digits.")
    expect(page.locator("#read-answer-block")).to_be_hidden()
    expect(page.locator("#announce")).to_have_text("None of these marks looks like a digit.")
    expect(page.locator("#read-digits li.not-digit").first).to_contain_text("not a digit")
    expect(page.locator("#canvas-boxes .box-tag").first).to_contain_text("✗")


def test_on_a_phone_the_answer_over_the_canvas_says_not_a_digit(not_digit_server_url, open_page):
    page = open_page(not_digit_server_url, viewport={"width": 390, "height": 844}, locale="en-US")
    recognise(page, one())
    expect(page.locator("#canvas-answer")).to_be_visible()
    expect(page.locator("#canvas-answer")).to_have_text("Not a digit")
