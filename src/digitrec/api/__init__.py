"""The web service: FastAPI app factory and settings. Imports no PyTorch.

`create_app` builds the app (tests build many); `serving_app` also readies the
process to serve it (see `app.freeze_startup_heap`).

Both (and with them FastAPI, SQLAlchemy and ONNX Runtime) are imported on
first use: `digitrec serve --workers N` reads its settings in a process that
only supervises the workers, and that process need not hold the web stack.
"""

from typing import TYPE_CHECKING

from digitrec.api.settings import Settings

if TYPE_CHECKING:  # type checkers see the real function; at run time __getattr__ imports it
    from digitrec.api.app import create_app, serving_app

__all__ = ["Settings", "create_app", "serving_app"]


def __getattr__(name: str) -> object:
    if name in ("create_app", "serving_app"):
        from digitrec.api import app

        factory = getattr(app, name)
        globals()[name] = factory  # later lookups find it without this hook
        return factory
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
