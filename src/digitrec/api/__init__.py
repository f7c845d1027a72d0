"""The web service: FastAPI app factory and settings. Imports no PyTorch.

`create_app` (and with it FastAPI, SQLAlchemy and ONNX Runtime) is imported on
first use: `digitrec serve --workers N` reads its settings in a process that
only supervises the workers, and that process need not hold the web stack.
"""

from typing import TYPE_CHECKING

from digitrec.api.settings import Settings

if TYPE_CHECKING:  # type checkers see the real function; at run time __getattr__ imports it
    from digitrec.api.app import create_app

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from digitrec.api.app import create_app

        globals()["create_app"] = create_app  # later lookups find it without this hook
        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
