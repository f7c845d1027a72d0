"""A service many people share: each visitor's own history, anonymous clients, the admin, retention."""

from __future__ import annotations

import io
import logging
import time
import warnings
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from digitrec.api import Settings, create_app
from digitrec.api.visitors import VISITOR_COOKIE, owner_of
from digitrec.errors import ConfigError
from digitrec.history import HistoryStore, NewPrediction

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TOKEN = "s3cret-admin-token-for-tests"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def shared(tmp_path):
    """(app, visitor A, visitor B, anonymous API client) on one server with an admin token."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'h.sqlite3'}", admin_token=TOKEN))
    with TestClient(app, base_url="http://localhost") as a:
        b, anonymous = (TestClient(app, base_url="http://localhost") for _ in range(2))
        a.get("/")
        b.get("/")
        yield app, a, b, anonymous


def _predict(client: TestClient, png: bytes, path: str = "/api/predict") -> dict:
    response = client.post(path, files={"file": ("d.png", png, "image/png")})
    assert response.status_code == 200, response.text
    return response.json()


def _ids(client: TestClient, path: str = "/api/history", **headers: str) -> list[int]:
    response = client.get(path, params={"limit": 200}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_two_visitors_see_only_their_own_items(shared, digit_png):
    _app, a, b, _anonymous = shared
    assert a.cookies[VISITOR_COOKIE] != b.cookies[VISITOR_COOKIE]
    mine = [_predict(a, digit_png(i)[0])["history_id"] for i in range(2)]
    theirs = [_predict(b, digit_png(2)[0])["history_id"]]
    assert _ids(a) == mine[::-1] and a.get("/api/history").json()["total"] == 2
    assert _ids(b) == theirs and b.get("/api/history").json()["total"] == 1


def test_guessing_anothers_id_answers_404_as_for_no_item(shared, digit_png):
    _app, a, b, _anonymous = shared
    item = _predict(a, digit_png(0)[0])["history_id"]
    missing = item + 1000
    for method, path, body in [("GET", "/api/history/{}", None), ("POST", "/api/history/{}/feedback", {"label": "3"}),
                               ("DELETE", "/api/history/{}", None)]:  # fmt: skip
        guessed = b.request(method, path.format(item), json=body)
        absent = b.request(method, path.format(missing), json=body)
        assert guessed.status_code == absent.status_code == 404
        assert guessed.json()["detail"].replace(str(item), "N") == absent.json()["detail"].replace(str(missing), "N")
    detail = a.get(f"/api/history/{item}").json()
    assert detail["correct_label"] is None  # B's feedback and delete changed nothing


def test_anonymous_api_clients_are_recorded_without_owner_and_listed_to_the_admin_only(shared, digit_png):
    _app, a, _b, anonymous = shared
    answer = _predict(anonymous, digit_png(0)[0])
    assert answer["saved"] is True and isinstance(answer["history_id"], int)
    assert anonymous.get("/api/history").json() == {"items": [], "total": 0, "limit": 20, "offset": 0}
    assert anonymous.get(f"/api/history/{answer['history_id']}").status_code == 404
    assert anonymous.post(f"/api/history/{answer['history_id']}/feedback", json={"label": "1"}).status_code == 404
    assert answer["history_id"] not in _ids(a)
    listed = a.get("/api/admin/history", headers=ADMIN).json()["items"]
    assert [(item["id"], item["owner"]) for item in listed] == [(answer["history_id"], None)]


def test_the_seed_compatible_predict_records_under_the_visitor_when_it_has_the_cookie(shared, digit_png):
    _app, a, _b, anonymous = shared
    png, label = digit_png(1)
    mine = _predict(a, png, "/predict")
    assert mine["predicted_digit"] == int(label) and mine["history_id"] in _ids(a)
    other = _predict(anonymous, png, "/predict")
    assert other["history_id"] not in _ids(a)


def test_the_admin_lists_and_deletes_everyones_items_with_the_right_token(shared, digit_png):
    _app, a, b, anonymous = shared
    ids = [_predict(client, digit_png(0)[0])["history_id"] for client in (a, b, anonymous)]
    page = anonymous.get("/api/admin/history", headers=ADMIN).json()
    assert page["total"] == 3 and [item["id"] for item in page["items"]] == ids[::-1]
    owners = [item["owner"] for item in page["items"]][::-1]
    assert owners[0] == owner_of(a.cookies[VISITOR_COOKIE])[:12] and owners[1] != owners[0] and owners[2] is None
    assert anonymous.get(f"/api/admin/history/{ids[0]}", headers=ADMIN).json()["id"] == ids[0]
    assert anonymous.delete(f"/api/admin/history/{ids[0]}", headers=ADMIN).status_code == 204
    assert _ids(a) == [] and _ids(b) == [ids[1]]
    assert anonymous.delete(f"/api/admin/history/{ids[0]}", headers=ADMIN).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-of-the-same-kind"}, {"Authorization": f"Basic {TOKEN}"},
     {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": f"Bearer {TOKEN[:-1]}"}, {"Authorization": "Bearer"}],
    ids=["none", "wrong", "not-bearer", "longer", "shorter", "empty"],
)  # fmt: skip
def test_without_the_right_token_every_admin_route_answers_401(shared, digit_png, headers):
    _app, a, _b, _anonymous = shared
    item = _predict(a, digit_png(0)[0])["history_id"]
    for method, path in [("GET", "/api/admin/history"), ("GET", "/api/admin/history/export"),
                         ("GET", f"/api/admin/history/{item}"), ("DELETE", f"/api/admin/history/{item}")]:  # fmt: skip
        response = a.request(method, path, headers=headers)  # a visitor's cookie does not help either
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "admin token" in response.json()["detail"]
    assert _ids(a) == [item]


def test_without_a_configured_token_the_admin_routes_are_off(client, digit_png):
    item = _predict(client, digit_png(0)[0])["history_id"]
    for headers in ({}, ADMIN):
        for method, path in [("GET", "/api/admin/history"), ("DELETE", f"/api/admin/history/{item}"),
                             ("GET", "/api/admin/history/export")]:  # fmt: skip
            response = client.request(method, path, headers=headers)
            assert response.status_code == 404 and "turned off" in response.json()["detail"]
    assert _ids(client) == [item]


def test_the_admin_token_is_never_logged(shared, digit_png, caplog):
    _app, a, _b, _anonymous = shared
    caplog.set_level(logging.DEBUG)
    _predict(a, digit_png(0)[0])
    a.get("/api/admin/history", headers=ADMIN)
    a.get("/api/admin/history", headers={"Authorization": f"Bearer {TOKEN}-guess"})
    assert "without the admin token" in caplog.text
    assert TOKEN not in caplog.text and TOKEN not in repr(Settings(admin_token=TOKEN))


def test_the_token_comes_from_a_file_and_bad_settings_are_refused(tmp_path, digit_png):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    url = f"sqlite:///{tmp_path / 'h.sqlite3'}"
    with TestClient(create_app(Settings(database_url=url, admin_token_file=token_file)), base_url="http://localhost") as c:
        assert c.get("/api/admin/history", headers=ADMIN).status_code == 200
    for bad, match in [({"admin_token": "short"}, "at least 16"), ({"admin_token": "has a space in it!"}, "spaces"),
                       ({"admin_token_file": tmp_path / "missing"}, "cannot read the admin token file")]:  # fmt: skip
        with pytest.raises(ConfigError, match=match):
            create_app(Settings(database_url=url, **bad))
    with pytest.raises(ConfigError, match="not both"):
        Settings(admin_token=TOKEN, admin_token_file=token_file)
    env = Settings.from_env({"DIGITREC_ADMIN_TOKEN_FILE": str(token_file), "DIGITREC_HISTORY_DAYS": "30"})
    assert (env.admin_token_file, env.history_days) == (token_file, 30)


def _zip_names(response) -> list[str]:
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    return sorted(n for n in zipfile.ZipFile(io.BytesIO(response.content)).namelist() if n.endswith(".png"))


def test_export_holds_the_callers_corrections_and_the_admins_holds_all(shared, digit_png):
    _app, a, b, anonymous = shared
    mine = _predict(a, digit_png(0)[0])["history_id"]
    theirs = _predict(b, digit_png(1)[0])["history_id"]
    a.post(f"/api/history/{mine}/feedback", json={"label": "4"})
    b.post(f"/api/history/{theirs}/feedback", json={"label": "6"})
    assert _zip_names(a.get("/api/history/export")) == [f"4/{mine}.png"]
    assert _zip_names(b.get("/api/history/export")) == [f"6/{theirs}.png"]
    assert _zip_names(anonymous.get("/api/history/export")) == []
    assert _zip_names(anonymous.get("/api/admin/history/export", headers=ADMIN)) == [f"4/{mine}.png", f"6/{theirs}.png"]


def test_forget_me_deletes_all_my_items_and_gives_me_a_new_id(shared, digit_png):
    _app, a, b, anonymous = shared
    for i in range(3):
        _predict(a, digit_png(i)[0])
    kept = _predict(b, digit_png(3)[0])["history_id"]
    old_cookie = a.cookies[VISITOR_COOKIE]
    response = a.delete("/api/history")
    assert response.status_code == 200 and response.json() == {"deleted": 3}
    assert a.cookies[VISITOR_COOKIE] != old_cookie and "HttpOnly" in response.headers["set-cookie"]
    assert _ids(a) == [] and _ids(b) == [kept]
    assert _ids(anonymous, "/api/admin/history", **ADMIN) == [kept]
    assert anonymous.delete("/api/history").json() == {"deleted": 0}
    assert VISITOR_COOKIE not in anonymous.cookies


def test_the_page_gives_an_httponly_lax_cookie_and_keeps_it(client):
    first = client.cookies[VISITOR_COOKIE]
    response = client.get("/")
    cookie = response.headers["set-cookie"]
    assert f"{VISITOR_COOKIE}={first}" in cookie  # the same id, its lifetime renewed
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Max-Age=" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    assert response.headers["cache-control"] == "no-store"
    client.cookies.set(VISITOR_COOKIE, "made-up")
    assert client.get("/").cookies[VISITOR_COOKIE] not in ("made-up", first)
    assert client.get("/api/health").headers.get("set-cookie") is None  # API answers never hand one out


@pytest.mark.parametrize("trusted", [False, True])
def test_the_cookie_is_secure_over_https_or_behind_a_trusted_proxy_that_says_so(tmp_path, trusted):
    proxies = ("testclient",) if trusted else ()
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'h.sqlite3'}", forwarded_allow_ips=proxies))
    with TestClient(app, base_url="http://localhost") as client:
        forwarded = client.get("/", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"]
    with TestClient(app, base_url="https://localhost") as client:
        direct = client.get("/").headers["set-cookie"]
    assert ("Secure" in forwarded) is trusted
    assert "Secure" in direct


def _old_items(url: str, days: float, count: int, owner: str | None = None) -> list[int]:
    new = NewPrediction("draw", "digit", "7", 0.9, [0.1] * 10, "m", "v", b"png", b"thumb", owner=owner)
    with HistoryStore(url) as store:
        ids = store.add_many([new] * count)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE predictions SET created_at = :then WHERE id IN ({})".format(",".join(map(str, ids)))),
                           {"then": (datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None)})  # fmt: skip
    engine.dispose()
    return ids


def test_retention_purges_old_items_at_start_while_predictions_go_on(tmp_path, digit_png):
    url = f"sqlite:///{tmp_path / 'h.sqlite3'}"
    old = _old_items(url, days=31, count=1200, owner="someone")
    recent = _old_items(url, days=29, count=2)
    settings = Settings(database_url=url, history_days=30, admin_token=TOKEN)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        client.get("/")
        answered = _predict(client, digit_png(0)[0])  # while the purge runs
        deadline = time.monotonic() + 30
        while client.get("/api/admin/history", headers=ADMIN).json()["total"] > 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        remaining = _ids(client, "/api/admin/history", **ADMIN)
    assert answered["saved"] is True
    assert sorted(remaining) == sorted(recent + [answered["history_id"]])
    assert not set(old) & set(remaining)


def test_without_retention_nothing_is_purged(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.sqlite3'}"
    old = _old_items(url, days=3650, count=2)
    with TestClient(create_app(Settings(database_url=url, admin_token=TOKEN)), base_url="http://localhost") as client:
        assert sorted(_ids(client, "/api/admin/history", **ADMIN)) == old
        assert client.app.state.context._housekeeper is None  # no thread for a single user of make run


def test_items_from_before_visitor_ids_become_the_admins_after_the_upgrade(tmp_path, digit_png):
    from alembic import command

    from digitrec.history._migrate import _config

    url = f"sqlite:///{tmp_path / 'h.sqlite3'}"
    old = _old_items(url, days=1, count=3)
    engine = create_engine(url)  # back to the schema of the version before owners, Alembic's record and all
    with engine.begin() as connection:
        command.downgrade(_config(connection), "0001")
        connection.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    with TestClient(create_app(Settings(database_url=url, admin_token=TOKEN)), base_url="http://localhost") as client:
        client.get("/")
        assert _ids(client) == []  # the single user of make run: the old drawings are no longer in the panel
        assert client.get(f"/api/history/{old[0]}").status_code == 404
        mine = _predict(client, digit_png(0)[0])["history_id"]
        assert _ids(client) == [mine]
        assert sorted(_ids(client, "/api/admin/history", **ADMIN)) == sorted([*old, mine])


def test_digitrec_serve_takes_the_sharing_settings_and_hands_them_to_workers(monkeypatch, tmp_path, capsys):
    import uvicorn

    from digitrec.api import app as app_module
    from digitrec.cli import main, serve_cmd

    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    monkeypatch.setattr(serve_cmd, "limit_malloc_arenas", lambda count: False)
    served, options = [], []
    monkeypatch.setattr(app_module, "serving_app", lambda settings: served.append(settings))
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: options.append(kwargs))
    flags = ["--history-days", "7", "--rate-limit", "60", "--forwarded-allow-ips", "10.0.0.1,10.1.0.0/16",
             "--admin-token-file", str(token_file)]  # fmt: skip
    assert main(["serve", "--no-history", *flags]) == 0
    settings = served[0]
    assert (settings.history_days, settings.rate_limit, settings.admin_token_file) == (7, "60", token_file)
    assert settings.forwarded_allow_ips == ("10.0.0.1", "10.1.0.0/16")
    assert options[0]["proxy_headers"] is False  # the app applies forwarded headers itself, from trusted proxies
    assert Settings.from_env(serve_cmd._as_environment(settings)) == settings  # what each worker reads back
    monkeypatch.setenv("DIGITREC_ADMIN_TOKEN", TOKEN)
    assert main(["serve", "--admin-token-file", str(token_file)]) == 2  # one or the other
    monkeypatch.setattr(serve_cmd, "_as_environment", lambda settings: {})  # leave this process's environment be
    assert main(["serve", "--no-history", "--workers", "2", "--rate-limit", "60"]) == 0
    assert "each of the 2 workers counts requests on its own" in capsys.readouterr().err
