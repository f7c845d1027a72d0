"""English and 简体中文, and friendly messages when the server is away or refuses."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from strokes import draw_with_mouse, one

pytestmark = pytest.mark.browser


def test_language_switch_changes_every_string_and_is_remembered(page, tmp_path):
    expect(page.locator("#predict")).to_have_text("Recognize")
    page.click("#predict")  # a message on screen must be re-translated too
    expect(page.locator("#message")).to_have_text("Draw a digit first.")

    page.select_option("#lang", "zh")

    expect(page.locator("#predict")).to_have_text("识别")
    expect(page.locator("#undo")).to_have_text("撤销")
    expect(page.locator("#message")).to_have_text("请先写一个数字。")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.locator("#canvas").get_attribute("aria-label") == "手写数字的书写区域"
    assert page.title() == "手写数字识别"
    page.screenshot(path=tmp_path / "desktop-zh.png", full_page=True)

    page.reload()
    expect(page.locator("#predict")).to_have_text("识别")  # remembered in localStorage
    expect(page.locator("#lang")).to_have_value("zh")

    page.select_option("#lang", "en")
    expect(page.locator("#predict")).to_have_text("Recognize")
    assert page.evaluate("document.documentElement.lang") == "en"


def test_chinese_browser_gets_chinese(server_url, open_page):
    page = open_page(server_url, locale="zh-CN")
    expect(page.locator("#predict")).to_have_text("识别")
    expect(page.locator("#lang")).to_have_value("zh")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"


def test_results_are_re_rendered_in_the_new_language(page):
    with page.expect_response(lambda r: "/api/predict" in r.url):
        draw_with_mouse(page, one())
    expect(page.locator("#meta")).to_contain_text(" ms · model ")

    page.select_option("#lang", "zh")

    expect(page.locator("#meta")).to_contain_text("毫秒 · 模型")
    expect(page.locator("#history li .right").first).to_have_text("正确")
    expect(page.locator("#answer")).to_have_text("1")


def test_unreachable_server_gets_a_friendly_message(page):
    page.route("**/api/**", lambda route: route.abort())
    draw_with_mouse(page, one())
    expect(page.locator("#message")).to_have_text(
        "Cannot reach the server. Check that it is running and try again."
    )
    expect(page.locator("#answer")).to_have_text("")


@pytest.mark.parametrize(
    ("status", "detail", "english", "chinese"),
    [
        (413, "the image is 11000000 bytes; at most 10485760 bytes are accepted", "The image is too large.",
         "图片太大了。"),
        (503, "no model is loaded", "The model is not loaded yet.", "模型尚未加载"),
        (500, "internal server error", "The server had a problem.", "服务器出了问题。"),
    ],
)  # fmt: skip
def test_server_errors_are_explained(page, status, detail, english, chinese):
    # Statuses a healthy test server never sends, answered here in the API's own error shape.
    page.route(
        "**/api/predict",
        lambda route: route.fulfill(
            status=status, content_type="application/json", body=json.dumps({"detail": detail})
        ),
    )
    draw_with_mouse(page, one())
    message = page.locator("#message")
    expect(message).to_contain_text(english)
    expect(message).to_contain_text(f"Server: {detail}")

    page.select_option("#lang", "zh")
    expect(message).to_contain_text(chinese)
    expect(message).to_contain_text(f"服务器：{detail}")
