"""Visitors sharing one real server: each browser sees its own history; "forget me" empties it.

Each Playwright context is a browser profile of its own, with its own
cookies: two contexts are two people, and a new one is a private window.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from strokes import draw_with_mouse, one, seven, zero

pytestmark = pytest.mark.browser

COOKIE = "digitrec_visitor"


def draw_and_wait(page, strokes) -> int:
    page.keyboard.press("Escape")  # a fresh canvas
    with page.expect_response(lambda r: r.url.endswith("/api/predict")) as answer:
        draw_with_mouse(page, strokes)
    return answer.value.json()["history_id"]


def shown_ids(page) -> set[int]:
    return {int(i) for i in page.locator("#history li").evaluate_all("items => items.map(li => li.dataset.id)")}


def test_two_visitors_see_only_their_own_drawings_and_a_private_window_none(open_page, server_url, tmp_path):
    alice = open_page(server_url, locale="en-US")
    bob = open_page(server_url, locale="en-US")
    hers = {draw_and_wait(alice, one()), draw_and_wait(alice, seven())}
    his = {draw_and_wait(bob, zero())}

    expect(alice.locator("#history li")).to_have_count(2)
    expect(bob.locator("#history li")).to_have_count(1)
    assert shown_ids(alice) == hers and shown_ids(bob) == his
    expect(alice.locator(".history-note")).to_have_text("Only you, in this browser, see this history.")

    private = open_page(server_url, locale="en-US")  # no cookies: a private window, or another person
    expect(private.locator("#history-empty")).to_be_visible()
    expect(private.locator("#history li")).to_have_count(0)

    # The id is in an HttpOnly, SameSite=Lax cookie that page scripts cannot read.
    cookie = next(c for c in alice.context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]  # plain http here
    assert COOKIE not in alice.evaluate("document.cookie")
    # Guessing ids from another browser finds nothing, and changes nothing.
    for item in hers:
        assert bob.request.get(f"{server_url}/api/history/{item}").status == 404
        assert bob.request.delete(f"{server_url}/api/history/{item}").status == 404
    alice.reload()
    expect(alice.locator("#history li")).to_have_count(2)
    alice.screenshot(path=tmp_path / "alice.png", full_page=True)
    private.screenshot(path=tmp_path / "private.png", full_page=True)


def test_forget_me_empties_my_history_and_leaves_others(open_page, server_url, tmp_path):
    alice = open_page(server_url, locale="en-US")
    bob = open_page(server_url, locale="en-US")
    forgotten = draw_and_wait(alice, one())
    kept = draw_and_wait(bob, seven())
    expect(alice.locator("#history li")).to_have_count(1)

    alice.click("#forget")  # asks first; Cancel deletes nothing
    expect(alice.locator("#forget-confirm")).to_be_visible()
    expect(alice.locator("#forget")).to_have_attribute("aria-expanded", "true")
    alice.click("#forget-no")
    expect(alice.locator("#forget-confirm")).to_be_hidden()
    expect(alice.locator("#history li")).to_have_count(1)

    old_id = next(c["value"] for c in alice.context.cookies() if c["name"] == COOKIE)
    alice.click("#forget")
    with alice.expect_response(lambda r: r.request.method == "DELETE" and r.url.endswith("/api/history")) as done:
        alice.click("#forget-yes")
    assert done.value.status == 200 and done.value.json() == {"deleted": 1}
    expect(alice.locator("#history li")).to_have_count(0)
    expect(alice.locator("#forget-done")).to_have_text("Done: 1 deleted. This browser starts afresh.")
    expect(alice.locator("#feedback")).to_be_hidden()  # its item is gone
    alice.screenshot(path=tmp_path / "forgotten.png", full_page=True)
    assert next(c["value"] for c in alice.context.cookies() if c["name"] == COOKIE) != old_id

    bob.reload()
    expect(bob.locator(f"#history li[data-id='{kept}']")).to_be_visible()
    assert bob.request.get(f"{server_url}/api/history/{kept}").status == 200

    again = draw_and_wait(alice, zero())  # a new history begins under the new id
    expect(alice.locator("#history li")).to_have_count(1)
    assert shown_ids(alice) == {again}
    expect(alice.locator("#forget-done")).to_be_hidden()
    assert alice.request.get(f"{server_url}/api/history/{forgotten}").status == 404


def test_forget_me_is_translated(open_page, server_url):
    page = open_page(server_url, locale="zh-CN")
    expect(page.locator("#forget")).to_have_text("忘记我")
    page.click("#forget")
    expect(page.locator("#forget-yes")).to_have_text("全部删除")
