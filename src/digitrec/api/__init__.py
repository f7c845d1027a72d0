"""The web service: FastAPI app factory and settings. Imports no PyTorch.

`create_app` (and with it FastAPI, SQLAlchemy and ONNX Runtime) is imported on
first use: `digitrec serve --workers N` reads its settings in a process that
only supervises the workers, and that process need not hold the web stack.
"""

from digitrec.api.settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from digitrec.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
