"""Schemathesis generates requests from our OpenAPI schema: no input may produce a 5xx."""

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


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path} -> {response.status_code}: {response.text[:300]}"
