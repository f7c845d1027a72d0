"""Feedback and the history panel, checked against the server's own record."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from strokes import draw_with_mouse, one, seven, zero

pytestmark = pytest.mark.browser


def draw_and_wait(page, strokes) -> dict:
    with page.expect_response(lambda r: "/api/predict" in r.url) as answer:
        draw_with_mouse(page, strokes)
    return answer.value.json()


def test_wrong_answer_feedback_is_saved(page, server_url, tmp_path):
    result = draw_and_wait(page, one())
    item_id = result["history_id"]
    assert isinstance(item_id, int)
    expect(page.locator(f"#history li[data-id='{item_id}']")).to_be_visible()  # refreshed after predicting

    page.click("#feedback-no")
    expect(page.locator("#feedback-digits button[data-digit]")).to_have_count(10)
    with page.expect_response(lambda r: r.url.endswith(f"/api/history/{item_id}/feedback")) as posted:
        page.click("#feedback-digits button[data-digit='7']")

    assert posted.value.status == 200
    assert posted.value.request.post_data_json == {"label": "7"}
    expect(page.locator("#feedback-done")).to_contain_text("7")
    stored = page.request.get(f"{server_url}/api/history/{item_id}").json()
    assert stored["correct_label"] == "7"
    expect(page.locator(f"#history li[data-id='{item_id}'] .correction")).to_have_text("corrected to 7")
    page.screenshot(path=tmp_path / "desktop-feedback.png", full_page=True)


def test_history_item_right_wrong_and_delete(page, server_url):
    first = draw_and_wait(page, seven())["history_id"]
    page.keyboard.press("Escape")
    second = draw_and_wait(page, zero())["history_id"]
    item = page.locator(f"#history li[data-id='{first}']")
    expect(item.locator("img.thumb")).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))

    item.locator("button.right").click()
    expect(item.locator(".correction")).to_have_text("confirmed")
    assert page.request.get(f"{server_url}/api/history/{first}").json()["correct_label"] == "7"

    item.locator("button.wrong").click()
    item.locator(".digit-picker button[data-digit='1']").click()
    expect(item.locator(".correction")).to_have_text("corrected to 1")
    assert page.request.get(f"{server_url}/api/history/{first}").json()["correct_label"] == "1"

    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        page.locator(f"#history li[data-id='{second}'] button.delete").click()
    assert deleted.value.status == 204
    expect(page.locator(f"#history li[data-id='{second}']")).to_have_count(0)
    assert page.request.get(f"{server_url}/api/history/{second}").status == 404
    export = page.locator("#history-export")
    assert export.get_attribute("href") == "/api/history/export"
    assert page.request.get(f"{server_url}/api/history/export").status == 200


def test_history_panel_hides_when_history_is_off(no_history_server_url, open_page):
    page = open_page(no_history_server_url, locale="en-US")
    with page.expect_response(lambda r: "/api/predict" in r.url) as answer:
        draw_with_mouse(page, one())

    assert answer.value.json()["history_id"] is None
    expect(page.locator("#answer")).to_have_text("1")
    expect(page.locator("#history-panel")).to_be_hidden()
    expect(page.locator("#feedback")).to_be_hidden()  # nothing to attach feedback to
    expect(page.locator("#message")).to_be_hidden()
