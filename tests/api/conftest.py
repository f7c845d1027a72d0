"""API fixtures: a real app (shipped model, SQLite history in a temp dir) behind TestClient."""

from __future__ import annotations

import warnings

import pytest
from PIL import Image

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx versions
    from fastapi.testclient import TestClient

from digitrec.api import Settings, create_app
from payloads import encode


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'history.sqlite3'}")


@pytest.fixture
def client(settings):
    """A visitor: the page gave it its visitor cookie, which it sends with every request, as a browser does."""
    with TestClient(create_app(settings), base_url="http://localhost") as test_client:
        test_client.get("/")
        yield test_client


@pytest.fixture
def digit_png(mnist):
    """PNG bytes of MNIST test digit `index`, drawn black on a white 280x280 canvas, and its label."""

    def make(index: int, canvas: int = 280, height: int = 150) -> tuple[bytes, str]:
        ink = Image.fromarray(mnist.test.images[index]).resize((height, height), Image.Resampling.BICUBIC)
        image = Image.new("L", (canvas, canvas), 255)
        image.paste(Image.eval(ink, lambda v: 255 - v), ((canvas - height) // 2, (canvas - height) // 2))
        return encode(image), str(mnist.test.labels[index])

    return make


@pytest.fixture
def blank_png() -> bytes:
    return encode(Image.new("L", (280, 280), 255))
