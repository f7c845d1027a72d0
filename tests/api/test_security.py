"""Protections from other web pages (digitrec.api.security): hosts, cross-site requests, headers."""

from __future__ import annotations

import re
import warnings
from html.parser import HTMLParser

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from digitrec.api import Settings, create_app
from digitrec.api.app import web_dir
from digitrec.errors import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "localhost.evil.example", "10.1.2.3"])
def test_a_foreign_host_is_answered_400(client, host):
    response = client.get("/api/health", headers={"Host": host})
    assert response.status_code == 400
    assert client.post("/api/predict", headers={"Host": host}, files={"file": ("d.png", b"x")}).status_code == 400


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "localhost"])
def test_this_machines_names_are_served(client, host):
    assert client.get("/api/health", headers={"Host": host}).status_code == 200


def test_configured_host_names_are_served(tmp_path):
    settings = Settings.from_env({"DIGITREC_ALLOWED_HOSTS": "digits.example.org,*.lab.example",
                                  "DIGITREC_DATABASE_URL": f"sqlite:///{tmp_path}/h.sqlite3"})  # fmt: skip
    with TestClient(create_app(settings), base_url="http://digits.example.org") as client:
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/health", headers={"Host": "a.lab.example"}).status_code == 200
        assert client.get("/api/health", headers={"Host": "evil.example"}).status_code == 400


def test_a_specific_bind_address_is_served_and_bad_names_are_refused_at_start():
    assert "10.0.0.11" in Settings(host="10.0.0.11").served_hosts
    for bad in ("http://digits.example.org", "digits.example.org:8000", "a.*.example", "x/y"):
        with pytest.raises(ConfigError, match="not a host name"):
            Settings(allowed_hosts=(bad,))


def test_redirects_name_no_host(client):
    response = client.get("/api/health/", follow_redirects=False)
    assert response.status_code in (307, 308)
    assert response.headers["location"] == "/api/health"


@pytest.mark.parametrize("method, path", [("POST", "/api/predict"), ("POST", "/predict"), ("POST", "/api/read"),
                                          ("POST", "/api/predict/batch"), ("POST", "/api/history/1/feedback"),
                                          ("DELETE", "/api/history/1"), ("DELETE", "/api/history"),
                                          ("DELETE", "/api/admin/history/1")])  # fmt: skip
def test_a_cross_site_browser_request_is_refused(client, method, path):
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://localhost.evil.example"}):  # fmt: skip
        response = client.request(method, path, headers=headers, json={"label": "7"})
        assert response.status_code == 403, (headers, response.text)
        assert "cross-site" in response.json()["detail"]


def test_the_own_page_configured_origins_and_clients_without_origin_pass(client, digit_png):
    png, label = digit_png(0)
    for headers in ({}, {"Origin": "http://localhost"}, {"Origin": "http://localhost:5173"},
                    {"Origin": "http://127.0.0.1:5173", "Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-origin"}):  # fmt: skip
        response = client.post("/api/predict", headers=headers, files={"file": ("d.png", png, "image/png")})
        assert response.status_code == 200, (headers, response.text)
    # The seed front end's plain-text contract, from its Vite origin.
    seed = client.post("/predict", headers={"Origin": "http://localhost:5173"}, files={"file": ("d.png", png)})
    assert seed.status_code == 200 and seed.json()["predicted_digit"] == int(label)
    # Reading is not refused: the browser's CORS rules keep the answer from a foreign page.
    assert client.get("/api/history", headers={"Origin": "https://evil.example"}).status_code == 200


def test_behind_a_tls_proxy_the_https_origin_of_the_same_host_passes(tmp_path, digit_png):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/h.sqlite3", allowed_hosts=("digits.example.org",))
    png, _label = digit_png(0)
    with TestClient(create_app(settings), base_url="http://digits.example.org") as client:
        response = client.post("/api/predict", headers={"Origin": "https://digits.example.org"},
                               files={"file": ("d.png", png, "image/png")})  # fmt: skip
        assert response.status_code == 200


def test_the_page_gets_a_strict_content_security_policy(client):
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_json_and_errors_get_nosniff_and_no_framing(client):
    for response in (client.get("/api/health"), client.get("/api/history/999999"),
                     client.get("/api/health", headers={"Host": "evil.example"})):  # fmt: skip
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        names = {name for name, _value in attrs}
        if tag == "script" and "src" not in names or tag == "style" or "style" in names:
            self.inline.append(tag)
        self.inline += [name for name in names if name.startswith("on")]  # onclick= and the like


def test_the_page_and_docs_have_nothing_inline_for_the_policy_to_block(client):
    for page in ((web_dir() / "index.html").read_text(), client.get("/docs").text):
        finder = _InlineFinder()
        finder.feed(page)
        assert finder.inline == []
    assert not re.search(r"https?://", client.get("/docs").text)  # nothing from another server


def test_docs_assets_are_served_from_the_package(client):
    for path in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/static/js/docs.js"):
        response = client.get(path)
        assert response.status_code == 200 and len(response.content) > 100
    assert client.get("/redoc").status_code == 404  # it loaded from a CDN too; /docs is the documentation


def test_serving_on_every_interface_without_host_names_warns_once(monkeypatch, capsys):
    import uvicorn

    from digitrec.api import app as app_module
    from digitrec.cli import main, serve_cmd

    monkeypatch.setattr(serve_cmd, "limit_malloc_arenas", lambda count: False)
    monkeypatch.setattr(app_module, "serving_app", lambda settings: settings)
    options = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: options.append(kwargs))
    assert main(["serve", "--no-history", "--host", "0.0.0.0"]) == 0  # main() sends its log to stderr
    assert capsys.readouterr().err.count("WARNING digitrec.cli.serve_cmd: listening on 0.0.0.0 with no host names") == 1
    assert options[0]["timeout_keep_alive"] == 5
    assert main(["serve", "--no-history", "--host", "0.0.0.0", "--allowed-hosts", "digits.example.org"]) == 0
    assert "no host names" not in capsys.readouterr().err
