"""Uploading a photo: the answer shows as for a drawing, with a thumbnail; bad files get friendly errors."""

from __future__ import annotations

import base64
import random

import pytest
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SVG = b"<svg xmlns='http://www.w3.org/2000/svg' width='9' height='9'/>"  # an image, but not one we accept


def photo_of_a_four(path, size=(640, 480)):
    """A phone-photo-like "4": dark ink on slightly uneven off-white paper, saved as JPEG."""
    width, height = size
    paper = Image.new("RGB", size, (236, 230, 218))
    shade = ImageDraw.Draw(paper)
    rng = random.Random(4)
    for _ in range(400):  # paper grain
        x, y = rng.randrange(width), rng.randrange(height)
        tone = rng.randint(222, 242)
        shade.point((x, y), fill=(tone, tone - 4, tone - 14))
    ink = (38, 38, 52)
    pen = ImageDraw.Draw(paper)
    cx, top, bottom = width // 2, int(height * 0.2), int(height * 0.8)
    span = bottom - top
    bar_y = top + 0.62 * span
    arm = [(cx + 0.05 * span, top), (cx - 0.3 * span, bar_y), (cx + 0.3 * span, bar_y)]
    pen.line(arm, fill=ink, width=16, joint="curve")
    pen.line([(cx + 0.12 * span, top + 0.3 * span), (cx + 0.12 * span, bottom)], fill=ink, width=16)
    paper.filter(ImageFilter.GaussianBlur(1.2)).save(path, "JPEG", quality=88)
    return path


def test_uploaded_photo_is_recognised_with_a_thumbnail(page, server_url, tmp_path):
    photo = photo_of_a_four(tmp_path / "four.jpg")

    with page.expect_response(lambda r: "/api/predict" in r.url) as answer:
        page.set_input_files("#upload", photo)

    result = answer.value.json()
    assert result["label"] == "4", result["probabilities"]
    latest = page.request.get(f"{server_url}/api/history?limit=1").json()["items"][0]
    assert (latest["id"], latest["source"]) == (result["history_id"], "upload")
    expect(page.locator("#answer")).to_have_text("4")
    thumb = page.locator("#upload-thumb")
    expect(thumb).to_be_visible()
    assert thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [640, 480]
    expect(page.locator("#probabilities > [data-digit='4']")).to_have_class("winner")
    page.screenshot(path=tmp_path / "desktop-upload.png", full_page=True)


@pytest.mark.parametrize(
    ("name", "mime", "content", "status", "friendly"),
    [
        ("drawing.svg", "image/svg+xml", SVG, 415, "Unsupported file"),
        ("notes.txt", "text/plain", b"not an image", 400, "The image could not be read."),
    ],
)  # fmt: skip
def test_unreadable_files_get_a_friendly_message(page, name, mime, content, status, friendly):
    with page.expect_response(lambda r: "/api/predict" in r.url) as answer:
        page.set_input_files("#upload", {"name": name, "mimeType": mime, "buffer": content})

    assert answer.value.status == status
    detail = answer.value.json()["detail"]
    message = page.locator("#message")
    expect(message).to_contain_text(friendly)
    expect(message).to_contain_text(f"Server: {detail}")  # the server's own sentence, too
    expect(page.locator("#answer")).to_have_text("")


def test_blank_photo_says_no_digit_found(page, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), (240, 238, 232)).save(blank)

    with page.expect_response(lambda r: "/api/predict" in r.url) as answer:
        page.set_input_files("#upload", blank)

    assert answer.value.status == 422
    expect(page.locator("#message")).to_contain_text("No digit found in the image.")


def test_dropped_image_is_recognised(page, tmp_path):
    photo = photo_of_a_four(tmp_path / "four.jpg")
    payload = base64.b64encode(photo.read_bytes()).decode()
    drop = """async (b64) => {
      const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'four.jpg', { type: 'image/jpeg' }));
      const zone = document.getElementById('drop-zone');
      zone.dispatchEvent(new DragEvent('dragenter', { bubbles: true, dataTransfer: transfer }));
      const lit = zone.classList.contains('dragging');
      zone.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: transfer }));
      return lit;
    }"""

    with page.expect_response(lambda r: "/api/predict" in r.url) as answer:
        highlighted = page.evaluate(drop, payload)

    assert highlighted
    assert answer.value.json()["label"] == "4"
    expect(page.locator("#answer")).to_have_text("4")
    expect(page.locator("#upload-thumb")).to_be_visible()
    expect(page.locator("#drop-zone")).not_to_have_class("dragging")
