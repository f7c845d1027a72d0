"""Schemathesis generates requests from our OpenAPI schema: no input may produce a 5xx.

A second app has an admin token and a rate limit configured: the fuzzer's
requests to the admin routes (with whatever Authorization header it makes up)
must never get in, and those to the visitor routes never fail.
"""

import tempfile
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from hypothesis import HealthCheck, settings

from digitrec.api import Settings, create_app

# Built when the module is collected: schemathesis reads the schema to make one test per operation.
_DATABASE = Path(tempfile.mkdtemp(prefix="digitrec-fuzz-")) / "history.sqlite3"
# Schemathesis addresses its requests to the host "testserver", which the app must be told to serve.
_SETTINGS = Settings(database_url=f"sqlite:///{_DATABASE}", allowed_hosts=("testserver",))
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_SETTINGS))

_SHARED_DATABASE = Path(tempfile.mkdtemp(prefix="digitrec-fuzz-shared-")) / "history.sqlite3"
_SHARED = Settings(database_url=f"sqlite:///{_SHARED_DATABASE}", allowed_hosts=("testserver",),
                   admin_token="fuzz-admin-token-nobody-guesses", rate_limit="100000/minute")  # fmt: skip
shared_schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_SHARED))


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path} -> {response.status_code}: {response.text[:300]}"


@shared_schema.include(path_regex="^/api/(admin/)?history").parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_visitor_and_admin_routes_never_fail_and_admin_ones_never_let_a_guess_in(case):
    response = case.call()
    where = f"{case.method} {case.path} -> {response.status_code}: {response.content[:300]!r}"  # zips are bytes
    assert response.status_code < 500, where
    if case.path.startswith("/api/admin/"):
        # Refused for want of the token (or a method the route does not have), whatever else was sent.
        assert response.status_code in (401, 405), where
