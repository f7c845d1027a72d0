"""`POST /predict`: the reference systems' own contract, so their front ends work unchanged.

- multipart field `file` -> JSON that includes `predicted_digit`;
- a raw `data:image/png;base64,...` body (text or form-encoded) -> the digit as plain text.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from digitrec.api.context import ContextDep
from digitrec.api.errors import ERROR_RESPONSES
from digitrec.api.payload import ImagePayload, data_url_from_text, read_body, read_image_payload
from digitrec.api.routes import predict_payload
from digitrec.api.visitors import request_owner
from digitrec.imaging import decode_data_url

router = APIRouter(tags=["compatibility"])
# Fields added to PredictionOut after the seed contract was fixed: its clients get the body they always had.
NOT_IN_SEED_CONTRACT = {"outcome", "reason"}

COMPAT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}}  # fmt: skip
            },
            "text/plain": {"schema": {"type": "string", "example": "data:image/png;base64,iVBOR..."}},
        },
    }
}


@router.post("/predict", response_model=None, responses=ERROR_RESPONSES, openapi_extra=COMPAT_BODY)
async def seed_predict(request: Request, ctx: ContextDep) -> JSONResponse | PlainTextResponse:
    """Seed-compatible prediction: JSON with `predicted_digit` for uploads, plain text for data URLs."""
    ctx.ensure_model()
    limit = ctx.settings.max_upload_bytes
    owner = request_owner(request)  # read here, not declared: the seed contract's schema stays as it was
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        payload = await read_image_payload(request, limit)
        result = await predict_payload(ctx, payload, owner)
        body = result.model_dump(mode="json", exclude=NOT_IN_SEED_CONTRACT)
        return JSONResponse({"predicted_digit": result.digit, **body})
    text = (await read_body(request, limit)).decode("utf-8", errors="replace")
    data = decode_data_url(data_url_from_text(text))
    result = await predict_payload(ctx, ImagePayload(data, "draw"), owner)
    return PlainTextResponse(str(result.digit))
