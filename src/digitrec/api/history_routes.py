"""History endpoints: the caller's own items: list, fetch, correct, delete, forget, export as a dataset.

A caller is a visitor (the page's cookie, see visitors.py) or anonymous. Each
acts on their own items only: another's item answers 404, exactly as one that
does not exist, so ids reveal nothing. Anonymous callers own nothing here:
their predictions are recorded without an owner, for the admin (admin_routes.py).
"""

from __future__ import annotations

import io

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from digitrec.api.context import ContextDep
from digitrec.api.schemas import ErrorOut, FeedbackIn, ForgetOut, HistoryDetailOut, HistoryItemOut, HistoryPageOut
from digitrec.api.visitors import OwnerDep, give_visitor_id, new_visitor_id
from digitrec.errors import HistoryNotFoundError
from digitrec.history import write_dataset_zip

router = APIRouter(prefix="/api/history", tags=["history"])

RESPONSES: dict[int | str, dict] = {
    404: {"model": ErrorOut, "description": "no such item of yours, or history turned off"},
    422: {"model": ErrorOut, "description": "invalid label or page"},
    503: {"model": ErrorOut, "description": "history database unavailable"},
}
PAGE = Query(20, ge=1, le=200)
OFFSET = Query(0, ge=0, le=2**62)


@router.get("", response_model=HistoryPageOut, responses=RESPONSES)
def list_history(ctx: ContextDep, owner: OwnerDep, limit: int = PAGE, offset: int = OFFSET) -> HistoryPageOut:
    """Your recent predictions, newest first."""
    history = ctx.history
    items, total = history.list(limit=limit, offset=offset, owner=owner) if owner else ([], 0)
    return HistoryPageOut(items=[HistoryItemOut.of(i) for i in items], total=total, limit=limit, offset=offset)


@router.delete("", response_model=ForgetOut, responses=RESPONSES)
def forget_me(request: Request, response: Response, ctx: ContextDep, owner: OwnerDep) -> ForgetOut:
    """Forget me: delete all your items, and take a new visitor id (the old one no longer owns anything)."""
    history = ctx.history
    if owner is None:
        return ForgetOut(deleted=0)
    deleted = history.forget(owner)
    give_visitor_id(request, response, new_visitor_id())
    return ForgetOut(deleted=deleted)


@router.get("/export", responses={**RESPONSES, 200: {"content": {"application/zip": {}}}})
async def export_history(ctx: ContextDep, owner: OwnerDep) -> StreamingResponse:
    """Your corrected digits as an image-folder dataset (zip) that `digitrec train --dataset` accepts."""
    history = ctx.history
    buffer = io.BytesIO()
    if owner is None:
        write_dataset_zip(buffer, [])
    else:
        await run_in_threadpool(history.export_corrected, buffer, owner)
    buffer.seek(0)
    headers = {"Content-Disposition": 'attachment; filename="digitrec-corrections.zip"'}
    return StreamingResponse(buffer, media_type="application/zip", headers=headers)


@router.get("/{item_id}", response_model=HistoryDetailOut, responses=RESPONSES)
def get_item(item_id: int, ctx: ContextDep, owner: OwnerDep) -> HistoryDetailOut:
    """One of your predictions with its probabilities and the image the model saw."""
    return HistoryDetailOut.of(ctx.history.get(item_id, _yours(owner, item_id)))


@router.post("/{item_id}/feedback", response_model=HistoryDetailOut, responses=RESPONSES)
def feedback(item_id: int, body: FeedbackIn, ctx: ContextDep, owner: OwnerDep) -> HistoryDetailOut:
    """Store the true answer for one of your predictions."""
    history = ctx.history
    history.correct(item_id, body.label, _yours(owner, item_id))
    return HistoryDetailOut.of(history.get(item_id, owner))


@router.delete("/{item_id}", status_code=204, responses=RESPONSES)
def delete_item(item_id: int, ctx: ContextDep, owner: OwnerDep) -> Response:
    """Delete one of your predictions."""
    ctx.history.delete(item_id, _yours(owner, item_id))
    return Response(status_code=204)


def _yours(owner: str | None, item_id: int) -> str:
    """The caller's owner id; an anonymous caller has no item (HistoryNotFoundError, 404)."""
    if owner is None:
        raise HistoryNotFoundError(item_id)
    return owner
