"""The recognition endpoints: /api/predict, /api/predict/batch, /api/read, /api/model, /api/health."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from digitrec.api.context import AppContext, ContextDep, PreparedInput
from digitrec.api.errors import ERROR_RESPONSES, public_detail, status_for
from digitrec.api.payload import ImagePayload, read_files, read_image_payload
from digitrec.api.schemas import BatchItemOut, BatchOut, HealthOut, ModelOut, PredictionOut, ReadingOut
from digitrec.api.visitors import OwnerDep
from digitrec.errors import DigitrecError, HistoryError
from digitrec.imaging import decode_image, encode_png
from digitrec.recording import record_digits, record_line
from digitrec.weights import model_card

router = APIRouter(prefix="/api", tags=["recognition"])

IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "source": {"type": "string", "enum": ["draw", "upload", "api"]},
                    },
                }
            },
            "application/json": {"schema": {"$ref": "#/components/schemas/ImageIn"}},
        },
    }
}
BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                }
            }
        },
    }
}


async def predict_payload(ctx: AppContext, payload: ImagePayload, owner: str | None) -> PredictionOut:
    """Decode and preprocess, then recognise and record as `owner`'s, off the event loop (see AppContext.answer)."""
    started = time.perf_counter()
    ready = await ctx.prepare(payload.data)
    answer = await ctx.answer(ready, payload.source, owner)
    elapsed_ms = 1000 * (time.perf_counter() - started)
    return PredictionOut.of(answer.prediction, ctx.model_info, elapsed_ms, answer.recorded, answer.preprocessed_png)


def read_payload(ctx: AppContext, payload: ImagePayload, owner: str | None) -> ReadingOut:
    started = time.perf_counter()
    gray = decode_image(payload.data, ctx.recognizer.config.limits)
    reading = ctx.recognizer.read_array(gray)
    elapsed_ms = 1000 * (time.perf_counter() - started)
    recorded = record_line(ctx.store, payload.source, gray, reading, ctx.model_info, owner)
    return ReadingOut.of(reading, ctx.model_info, elapsed_ms, recorded)


def json_response(body: BaseModel) -> Response:
    """The model serialised once: returning it as is would make FastAPI validate it again."""
    return Response(content=body.model_dump_json(), media_type="application/json")


@router.post("/predict", response_model=PredictionOut, responses=ERROR_RESPONSES, openapi_extra=IMAGE_BODY)
async def predict(request: Request, ctx: ContextDep, owner: OwnerDep) -> Response:
    """Recognise one digit: multipart field `file`, or JSON `{"image": "data:image/png;base64,..."}`."""
    ctx.ensure_model()  # 503 before reading a large body when no model is loaded
    payload = await read_image_payload(request, ctx.settings.max_upload_bytes)
    return json_response(await predict_payload(ctx, payload, owner))


@router.post("/predict/batch", response_model=BatchOut, responses=ERROR_RESPONSES, openapi_extra=BATCH_BODY)
async def predict_batch(request: Request, ctx: ContextDep, owner: OwnerDep) -> Response:
    """Several images (multipart fields `files`); results in the same order, each with its own outcome."""
    ctx.ensure_model()
    files = await read_files(request, ctx.settings.max_upload_bytes, ctx.settings.max_batch)
    ctx.check_batch_pixels(data for _filename, data in files if not isinstance(data, Exception))
    return json_response(BatchOut(results=await ctx.recognise(_predict_each, ctx, files, owner)))


def _predict_each(
    ctx: AppContext, files: list[tuple[str | None, bytes | Exception]], owner: str | None
) -> list[BatchItemOut]:
    """Each image decoded and prepared on its own (its errors are its own), then one model call.

    One at a time: only the 28x28 result and the thumbnail of an image are kept
    while the next is decoded, so a batch needs the memory of its largest image,
    not of all of them.
    """
    started = time.perf_counter()
    outcomes: list[PreparedInput | DigitrecError] = []
    for _filename, data in files:
        try:
            if isinstance(data, Exception):
                raise data
            outcomes.append(ctx.prepare_here(data))
        except DigitrecError as exc:
            outcomes.append(exc)
    ready = [outcome for outcome in outcomes if isinstance(outcome, PreparedInput)]
    predictions = ctx.recognizer.predict_candidates([item.readings for item in ready])
    elapsed_ms = 1000 * (time.perf_counter() - started)  # the whole batch's
    pngs = [encode_png(prediction.image) for prediction in predictions]
    digits = [("api", item.thumbnail_png, prediction, png)
              for item, prediction, png in zip(ready, predictions, pngs, strict=True)]  # fmt: skip
    recorded = record_digits(ctx.store, ctx.model_info, digits, [owner] * len(digits))  # one transaction
    answers = iter(zip(predictions, pngs, recorded, strict=True))
    results = []
    for (filename, _data), outcome in zip(files, outcomes, strict=True):
        if isinstance(outcome, DigitrecError):
            results.append(BatchItemOut(ok=False, filename=filename, error=public_detail(str(outcome)),
                                        status=status_for(outcome)))  # fmt: skip
            continue
        prediction, png, saved = next(answers)
        out = PredictionOut.of(prediction, ctx.model_info, elapsed_ms, saved, png)
        results.append(BatchItemOut(ok=True, filename=filename, prediction=out))
    return results


@router.post("/read", response_model=ReadingOut, responses=ERROR_RESPONSES, openapi_extra=IMAGE_BODY)
async def read(request: Request, ctx: ContextDep, owner: OwnerDep) -> Response:
    """Read a line of digits ("2025", a phone number): the string, per-digit boxes and confidences."""
    ctx.ensure_model()
    payload = await read_image_payload(request, ctx.settings.max_upload_bytes)
    return json_response(await ctx.recognise(read_payload, ctx, payload, owner))


@router.get("/model", responses=ERROR_RESPONSES)
def model(ctx: ContextDep) -> dict:
    """The model card of the loaded model (the shipped card when the shipped model is loaded)."""
    info = ctx.model_info
    card = model_card() if not ctx.settings.models else {}
    return {**card, "loaded": ModelOut.of(info).model_dump(), "classes": list(info.classes),
            "uncertain_below": ctx.settings.uncertain_below,
            "not_digit_below": ctx.settings.not_digit_below}  # fmt: skip


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
def health(ctx: ContextDep, response: Response) -> HealthOut:
    """Liveness, the loaded model and whether the history works.

    Status "degraded" (HTTP 503) only when no model could be loaded; a history
    that fails is reported (`history_status`) but leaves predictions working.
    """
    history_status, reachable, problem = history_health(ctx)
    model = ModelOut.of(ctx.loaded.info) if ctx.loaded is not None else None
    if model is None:
        response.status_code = 503
    return HealthOut(status="ok" if model else "degraded", model=model, history=ctx.settings.history,
                     history_status=history_status, history_detail=problem, history_reachable=reachable,
                     detail=ctx.model_error if model is None else problem)  # fmt: skip


def history_health(ctx: AppContext) -> tuple[str, bool | None, str | None]:
    """("on" | "off" | "failing", whether the database answered a read, why it fails) for /api/health."""
    if not ctx.settings.history:
        return "off", None, None
    if ctx.store is None:
        return "failing", False, f"the history database could not be opened: {ctx.history_error}"
    try:
        ctx.store.ping()
    except HistoryError as exc:
        return "failing", False, str(exc)
    problem = ctx.store.write_problem()
    return ("failing" if problem else "on"), True, problem
