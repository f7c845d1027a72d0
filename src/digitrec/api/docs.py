"""/docs: Swagger UI from files installed with the package, so it works offline and under the page's CSP.

FastAPI's own /docs loads Swagger UI from a public CDN (blank without the
network) and starts it with an inline script, which the Content-Security-Policy
of security.py forbids. The files come from `fastapi-offline`, a maintained
package of them (FastAPI's documented self-hosting recipe, packaged); the page
is ours, started by web/js/docs.js.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs/assets"
DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>digitrec API</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script src="/static/js/docs.js"></script>
</body>
</html>
"""


def swagger_ui_dir() -> Path:
    """The folder of swagger-ui-bundle.js and swagger-ui.css (the fastapi-offline package's)."""
    return Path(str(resources.files("fastapi_offline").joinpath("static")))


def install_docs(app: FastAPI) -> None:
    """Serve /docs and its assets; build the app with docs_url=None so FastAPI's CDN page is not there too."""
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_dir()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)
