"""Anonymous visitors: a random id in a cookie, under which their predictions are recorded.

The drawing page (`GET /`) gives each browser a visitor id on its first visit:
256 random bits in the `digitrec_visitor` cookie, HttpOnly (page scripts never
see it), SameSite=Lax (other sites' requests do not carry it), and Secure
when the page was served over HTTPS, directly or behind a trusted proxy that
says so (X-Forwarded-Proto, see Settings.forwarded_allow_ips). Requests that
carry it act on that visitor's history only. Clients without it (scripts,
other front ends) are anonymous: what they predict is recorded without an
owner, which only the admin sees.

The database stores a SHA-256 digest of the id (the owner id), so nothing in
it works as a cookie.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Annotated

from fastapi import Cookie, Depends, Request, Response

VISITOR_COOKIE = "digitrec_visitor"
COOKIE_MAX_AGE_S = 400 * 24 * 3600  # the longest browsers keep a cookie (RFC 6265bis caps it at 400 days)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32): 32 bytes in unpadded base64url


def new_visitor_id() -> str:
    return secrets.token_urlsafe(32)


def owner_of(visitor_id: str | None) -> str | None:
    """The owner id of a visitor's items (64 hex digits); None for no id, or one this server never makes."""
    if visitor_id is None or not _TOKEN.fullmatch(visitor_id):
        return None
    return hashlib.sha256(visitor_id.encode("ascii")).hexdigest()


def request_owner(request: Request) -> str | None:
    """The owner id of the visitor who sent `request`, None when anonymous."""
    return owner_of(request.cookies.get(VISITOR_COOKIE))


def give_visitor_id(request: Request, response: Response, visitor_id: str | None = None) -> None:
    """Set the visitor cookie on `response`: `visitor_id`, else the request's own (renewed), else a new one."""
    if visitor_id is None:
        sent = request.cookies.get(VISITOR_COOKIE)
        visitor_id = sent if owner_of(sent) is not None else new_visitor_id()
    response.set_cookie(
        VISITOR_COOKIE, visitor_id, max_age=COOKIE_MAX_AGE_S, path="/",
        httponly=True, samesite="lax", secure=request.url.scheme == "https",
    )  # fmt: skip


async def visitor_owner(
    visitor: Annotated[
        str | None,
        Cookie(alias=VISITOR_COOKIE, description="your visitor id: the drawing page sets it; without it you are "
                                                 "anonymous and have no history of your own"),  # fmt: skip
    ] = None,
) -> str | None:
    return owner_of(visitor)


OwnerDep = Annotated[str | None, Depends(visitor_owner)]
