import os
import platform
import threading
import time

import anyio
import pytest
from fastapi.testclient import TestClient

from digitrec.api import Settings, create_app
from digitrec.api.context import AppContext
from digitrec.cli.serve_cmd import limit_malloc_arenas
from digitrec.errors import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _preflight(client, origin):
    return client.options(
        "/predict", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )


def test_reference_front_end_origins_are_allowed_by_default(client):
    for origin in ("http://localhost:5173", "http://127.0.0.1:5173"):
        response = _preflight(client, origin)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == origin
        assert response.headers["access-control-allow-credentials"] == "true"


def test_other_origins_are_refused(client):
    response = _preflight(client, "https://evil.example")
    assert "access-control-allow-origin" not in response.headers
    simple = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_origins_come_from_the_environment(tmp_path):
    settings = Settings.from_env({"DIGITREC_CORS_ORIGINS": "https://a.example, https://b.example",
                                  "DIGITREC_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"})  # fmt: skip
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        assert _preflight(client, "https://b.example").headers["access-control-allow-origin"] == "https://b.example"
        assert "access-control-allow-origin" not in _preflight(client, "http://localhost:5173").headers


def test_a_wildcard_origin_with_credentials_is_refused():
    with pytest.raises(ConfigError, match="wildcard"):
        Settings.from_env({"DIGITREC_CORS_ORIGINS": "*"})


def test_environment_variables_are_parsed_and_checked():
    settings = Settings.from_env({"DIGITREC_PORT": "9000", "DIGITREC_HISTORY": "off", "DIGITREC_MODEL": "a.onnx,b.onnx",
                                  "DIGITREC_MAX_UPLOAD_BYTES": "1000"})  # fmt: skip
    assert (settings.port, settings.history, settings.max_upload_bytes) == (9000, False, 1000)
    assert [p.name for p in settings.models] == ["a.onnx", "b.onnx"]
    assert settings.host == "127.0.0.1"  # this machine only, unless asked
    with pytest.raises(ConfigError, match="DIGITREC_PORT"):
        Settings.from_env({"DIGITREC_PORT": "eighty"})
    with pytest.raises(ConfigError, match="port"):
        Settings.from_env({"DIGITREC_PORT": "70000"})


def test_malloc_arenas_are_capped_for_this_process_and_its_workers(monkeypatch):
    assert Settings.from_env({}).malloc_arenas == 1
    assert Settings.from_env({"DIGITREC_MALLOC_ARENAS": "0"}).malloc_arenas == 0
    with pytest.raises(ConfigError, match="malloc_arenas"):
        Settings.from_env({"DIGITREC_MALLOC_ARENAS": "-1"})
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")  # so that the variable is restored after the test ...
    monkeypatch.delenv("MALLOC_ARENA_MAX")  # ... and starts out unset
    assert limit_malloc_arenas(0) is False and "MALLOC_ARENA_MAX" not in os.environ
    took = limit_malloc_arenas(2)  # glibc here; elsewhere the setting does nothing
    assert os.environ["MALLOC_ARENA_MAX"] == "2"
    assert took is (platform.libc_ver()[0] == "glibc")


def test_settings_load_without_the_web_stack():
    """`digitrec serve --workers N` supervises its workers from a process that reads only the settings."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from digitrec.api import Settings\n"
        "Settings.from_env({'DIGITREC_WORKERS': '2'})\n"
        "print(sorted(m for m in ('fastapi', 'onnxruntime', 'sqlalchemy') if m in sys.modules))\n"
        "from digitrec.api import create_app\n"
        "print(callable(create_app))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["[]", "True"]


def test_a_serving_process_freezes_what_startup_built(tmp_path):
    """Full garbage collections under load would otherwise walk the whole startup heap (tens of ms each)."""
    import subprocess
    import sys

    code = (
        "import gc\n"
        "from digitrec.api.app import app_from_env\n"
        "before = gc.get_freeze_count()\n"
        "app_from_env()\n"
        "print(before, gc.get_freeze_count(), len(gc.get_objects()))\n"
    )
    env = {**os.environ, "DIGITREC_HISTORY": "0"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    before, frozen, tracked = map(int, result.stdout.split())
    assert before == 0
    assert frozen > 10_000  # the modules, the model and the app
    assert tracked < frozen  # what a full collection still walks: a small part


def test_digitrec_serve_freezes_the_startup_heap_before_it_serves(monkeypatch):
    import gc

    import uvicorn

    from digitrec.cli import main, serve_cmd

    monkeypatch.setattr(serve_cmd, "limit_malloc_arenas", lambda count: False)  # not in the test process
    frozen_when_serving = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: frozen_when_serving.append(gc.get_freeze_count()))
    try:
        assert main(["serve", "--no-history", "--port", "8123"]) == 0
    finally:
        gc.unfreeze()  # this test process goes on building apps
    assert len(frozen_when_serving) == 1 and frozen_when_serving[0] > 10_000


def test_concurrency_is_a_positive_setting():
    assert Settings.from_env({}).concurrency == 2
    assert Settings.from_env({"DIGITREC_CONCURRENCY": "4"}).concurrency == 4
    with pytest.raises(ConfigError, match="concurrency"):
        Settings.from_env({"DIGITREC_CONCURRENCY": "0"})


def test_inline_max_pixels_is_zero_or_more():
    assert Settings.from_env({}).inline_max_pixels == 512 * 512
    assert Settings.from_env({"DIGITREC_INLINE_MAX_PIXELS": "0"}).inline_max_pixels == 0
    with pytest.raises(ConfigError, match="inline_max_pixels"):
        Settings.from_env({"DIGITREC_INLINE_MAX_PIXELS": "-1"})


def test_no_more_requests_are_recognised_at_once_than_the_concurrency():
    active, peak, lock = 0, 0, threading.Lock()

    def slow(_ctx, payload):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1
        return payload

    ctx = AppContext(Settings(history=False, concurrency=2), None, None, None, None)

    async def burst():
        async with anyio.create_task_group() as tasks:
            for i in range(8):
                tasks.start_soon(ctx.recognise, slow, ctx, i)

    anyio.run(burst)
    assert peak == 2


def test_an_uncertainty_threshold_outside_0_1_is_refused_at_start():
    with pytest.raises(ConfigError, match="uncertain_below"):
        Settings.from_env({"DIGITREC_UNCERTAIN_BELOW": "1.5"})


def test_the_thresholds_default_to_the_library_and_come_from_the_environment():
    from digitrec.inference import NOT_DIGIT_BELOW, UNCERTAIN_BELOW

    defaults = Settings.from_env({})
    assert (defaults.uncertain_below, defaults.not_digit_below) == (UNCERTAIN_BELOW, NOT_DIGIT_BELOW)
    assert Settings.from_env({"DIGITREC_NOT_DIGIT_BELOW": "0.45"}).not_digit_below == 0.45
    with pytest.raises(ConfigError, match="not_digit_below"):
        Settings.from_env({"DIGITREC_NOT_DIGIT_BELOW": "-0.1"})


def test_digitrec_serve_takes_the_not_a_digit_threshold(monkeypatch):
    import uvicorn

    from digitrec.api import app as app_module
    from digitrec.cli import main, serve_cmd

    monkeypatch.setattr(serve_cmd, "limit_malloc_arenas", lambda count: False)
    served = []
    monkeypatch.setattr(app_module, "serving_app", lambda settings: served.append(settings))
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    assert main(["serve", "--no-history", "--not-digit-below", "0.4", "--uncertain-below", "0.8"]) == 0
    assert (served[0].not_digit_below, served[0].uncertain_below) == (0.4, 0.8)
    # Worker processes read the settings back from the environment.
    assert serve_cmd._as_environment(served[0])["DIGITREC_NOT_DIGIT_BELOW"] == "0.4"
