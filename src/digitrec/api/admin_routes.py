"""Admin endpoints (`Authorization: Bearer <token>`, see admin.py): everyone's history, all corrections.

Without a configured token they answer 404; with one, 401 to a request
without it or with a wrong one, whatever else the request says.
"""

from __future__ import annotations

import io
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from digitrec.api.context import ContextDep
from digitrec.api.errors import AdminTokenError
from digitrec.api.schemas import AdminHistoryItemOut, AdminHistoryPageOut, ErrorOut, HistoryDetailOut

log = logging.getLogger(__name__)

_bearer = HTTPBearer(auto_error=False, scheme_name="admin", description="the token in DIGITREC_ADMIN_TOKEN")


async def require_admin(
    request: Request, ctx: ContextDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Let the request through only with the admin token (AdminOffError, AdminTokenError)."""
    try:
        ctx.admin.check(credentials.credentials if credentials is not None else None)
    except AdminTokenError:
        client = request.client.host if request.client else "unknown"
        log.warning("admin request without the admin token from %s: %s %s",
                    client, request.method, request.url.path)  # fmt: skip
        raise


router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])

RESPONSES: dict[int | str, dict] = {
    401: {"model": ErrorOut, "description": "no admin token, or a wrong one"},
    404: {"model": ErrorOut, "description": "no such item, history turned off, or admin operations off "
                                            "(no token configured)"},  # fmt: skip
    503: {"model": ErrorOut, "description": "history database unavailable"},
}


@router.get("/history", response_model=AdminHistoryPageOut, responses=RESPONSES)
def list_everyones_history(
    ctx: ContextDep, limit: int = Query(20, ge=1, le=200), offset: int = Query(0, ge=0, le=2**62)
) -> AdminHistoryPageOut:
    """Every visitor's and anonymous client's predictions, newest first, with a short owner id."""
    items, total = ctx.history.list(limit=limit, offset=offset)
    return AdminHistoryPageOut(items=[AdminHistoryItemOut.of(i) for i in items], total=total, limit=limit,
                               offset=offset)  # fmt: skip


@router.get("/history/export", responses={**RESPONSES, 200: {"content": {"application/zip": {}}}})
async def export_all_corrections(ctx: ContextDep) -> StreamingResponse:
    """Every corrected digit, whoever corrected it, as an image-folder dataset (zip) for fine-tuning."""
    history = ctx.history
    buffer = io.BytesIO()
    await run_in_threadpool(history.export_corrected, buffer)
    buffer.seek(0)
    headers = {"Content-Disposition": 'attachment; filename="digitrec-all-corrections.zip"'}
    return StreamingResponse(buffer, media_type="application/zip", headers=headers)


@router.get("/history/{item_id}", response_model=HistoryDetailOut, responses=RESPONSES)
def get_any_item(item_id: int, ctx: ContextDep) -> HistoryDetailOut:
    """Any prediction, whoever made it."""
    return HistoryDetailOut.of(ctx.history.get(item_id))


@router.delete("/history/{item_id}", status_code=204, responses=RESPONSES)
def delete_any_item(item_id: int, ctx: ContextDep) -> Response:
    """Delete any prediction, whoever made it."""
    ctx.history.delete(item_id)
    return Response(status_code=204)
