"""History endpoints: list, fetch, correct, delete, export corrected items as a dataset."""

from __future__ import annotations

import io

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from digitrec.api.context import ContextDep
from digitrec.api.schemas import ErrorOut, FeedbackIn, HistoryDetailOut, HistoryItemOut, HistoryPageOut

router = APIRouter(prefix="/api/history", tags=["history"])

RESPONSES: dict[int | str, dict] = {
    404: {"model": ErrorOut, "description": "no such item, or history turned off"},
    422: {"model": ErrorOut, "description": "invalid label or page"},
    503: {"model": ErrorOut, "description": "history database unavailable"},
}


@router.get("", response_model=HistoryPageOut, responses=RESPONSES)
def list_history(
    ctx: ContextDep, limit: int = Query(20, ge=1, le=200), offset: int = Query(0, ge=0, le=2**62)
) -> HistoryPageOut:
    """Recent predictions, newest first."""
    items, total = ctx.history.list(limit=limit, offset=offset)
    return HistoryPageOut(items=[HistoryItemOut.of(i) for i in items], total=total, limit=limit, offset=offset)


@router.get("/export", responses={**RESPONSES, 200: {"content": {"application/zip": {}}}})
async def export_history(ctx: ContextDep) -> StreamingResponse:
    """Corrected digits as an image-folder dataset (zip) that `digitrec train --dataset` accepts."""
    buffer = io.BytesIO()
    await run_in_threadpool(ctx.history.export_corrected, buffer)
    buffer.seek(0)
    headers = {"Content-Disposition": 'attachment; filename="digitrec-corrections.zip"'}
    return StreamingResponse(buffer, media_type="application/zip", headers=headers)


@router.get("/{item_id}", response_model=HistoryDetailOut, responses=RESPONSES)
def get_item(item_id: int, ctx: ContextDep) -> HistoryDetailOut:
    """One prediction with its probabilities and the image the model saw."""
    return HistoryDetailOut.of(ctx.history.get(item_id))


@router.post("/{item_id}/feedback", response_model=HistoryDetailOut, responses=RESPONSES)
def feedback(item_id: int, body: FeedbackIn, ctx: ContextDep) -> HistoryDetailOut:
    """Store the true answer for a prediction."""
    ctx.history.correct(item_id, body.label)
    return HistoryDetailOut.of(ctx.history.get(item_id))


@router.delete("/{item_id}", status_code=204, responses=RESPONSES)
def delete_item(item_id: int, ctx: ContextDep) -> Response:
    ctx.history.delete(item_id)
    return Response(status_code=204)
