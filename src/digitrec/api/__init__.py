"""The web service: FastAPI app factory and settings. Imports no PyTorch."""

from digitrec.api.app import create_app
from digitrec.api.settings import Settings

__all__ = ["Settings", "create_app"]
