"""Typed library errors -> HTTP statuses, in one place. Clients get {"detail": "..."}, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from digitrec.api.schemas import ErrorOut
from digitrec import errors

log = logging.getLogger(__name__)


class AdminError(errors.DigitrecError):
    """A request for an admin operation, refused (see digitrec.api.admin)."""


class AdminOffError(AdminError):
    """No admin token is configured, so there are no admin operations."""


class AdminTokenError(AdminError):
    """The request did not present the admin token."""


# Most specific first: the first class in an error's MRO that is listed wins.
STATUS: dict[type[errors.DigitrecError], int] = {
    errors.ImageTooLargeError: 413,
    errors.UnsupportedImageTypeError: 415,
    errors.MissingImageError: 422,
    errors.EmptyDrawingError: 422,
    errors.TooManyDigitsError: 422,
    errors.ImageDecodeError: 400,
    errors.ImageError: 400,
    errors.HistoryNotFoundError: 404,
    errors.HistoryDisabledError: 404,
    errors.HistoryInputError: 422,
    errors.HistoryUnavailableError: 503,
    errors.ModelUnavailableError: 503,
    AdminOffError: 404,
    AdminTokenError: 401,
    errors.DigitrecError: 400,
}
# Headers that go with an error's status.
HEADERS: dict[type[errors.DigitrecError], dict[str, str]] = {
    AdminTokenError: {"WWW-Authenticate": 'Bearer realm="digitrec admin"'},
}

ERROR_RESPONSES: dict[int | str, dict] = {
    code: {"model": ErrorOut, "description": description}
    for code, description in {
        400: "undecodable image or bad base64",
        413: "image too large (bytes or pixels)",
        415: "unsupported image or request type",
        422: "missing image, or no digit found in it",
        503: "no model loaded",
    }.items()
}


# Characters of an error's detail at most. The messages are sentences that quote little of what the
# client sent (a few dozen characters); this bounds whatever slips through (a 100 KB label was echoed).
MAX_DETAIL = 400


def public_detail(text: str) -> str:
    """An error message as clients get it: cut to MAX_DETAIL characters."""
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def status_for(exc: errors.DigitrecError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def validation_message(exc: RequestValidationError) -> str:
    """'limit: Input should be less than or equal to 200; ...' from FastAPI's list of problems."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        problems.append(f"{where[:60]}: {error.get('msg', 'invalid')}")
    return public_detail("invalid request: " + "; ".join(problems))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.DigitrecError)
    async def typed_error(request: Request, exc: errors.DigitrecError) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:
            log.warning("%s %s -> %d: %s", request.method, request.url.path, status, exc)
        headers = HEADERS.get(type(exc))
        return JSONResponse({"detail": public_detail(str(exc))}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # One sentence, like every other error here (and as the OpenAPI schema says), not FastAPI's list.
        return JSONResponse({"detail": validation_message(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the server log, never to the client.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal server error"}, status_code=500)
