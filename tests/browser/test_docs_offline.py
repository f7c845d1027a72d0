"""/docs renders with every request to another server blocked, and nothing breaks the page's CSP."""

from __future__ import annotations

import pytest

from strokes import draw_with_mouse, seven

pytestmark = pytest.mark.browser


def _offline_context(browser, server_url: str):
    """A browser context that can reach only the test server; returns it and the list of blocked URLs."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    blocked: list[str] = []

    def route(route) -> None:
        if route.request.url.startswith(server_url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", route)
    return context, blocked


def _errors_of(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_docs_render_with_the_network_blocked(browser, server_url):
    context, blocked = _offline_context(browser, server_url)
    try:
        page = context.new_page()
        errors = _errors_of(page)
        page.goto(f"{server_url}/docs")
        page.wait_for_selector("#operations-recognition-predict_api_predict_post")  # an operation, rendered
        assert page.locator(".opblock").count() >= 8
        assert "digitrec" in page.locator(".info .title").inner_text()
        assert blocked == []  # nothing was even asked of another server
        assert errors == []  # no script refused by the Content-Security-Policy, no failed load
    finally:
        context.close()


def test_the_drawing_page_works_under_its_policy_with_the_network_blocked(browser, server_url):
    context, blocked = _offline_context(browser, server_url)
    try:
        page = context.new_page()
        errors = _errors_of(page)
        response = page.goto(server_url)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.wait_for_selector("#probabilities li[data-digit='9']", state="attached")  # the modules ran
        with page.expect_response(lambda r: "/api/predict" in r.url) as answer:
            draw_with_mouse(page, seven())
        assert answer.value.status == 200 and answer.value.json()["label"] == "7"
        page.wait_for_selector("#single-result:not([hidden])")  # shown, bars styled, image from a data: URL
        assert blocked == [] and errors == []
    finally:
        context.close()


def test_the_page_cannot_be_framed_by_another_site(browser, server_url):
    """A page of another origin that frames ours (clickjacking) gets an empty frame."""
    context = browser.new_context()
    try:
        page = context.new_page()
        # about:blank is another origin than the server; its frame of the page must stay empty.
        page.set_content(f'<iframe id="victim" src="{server_url}/" width="800" height="600"></iframe>')
        page.wait_for_timeout(1500)
        assert page.frame_locator("#victim").locator("#canvas").count() == 0
    finally:
        context.close()
