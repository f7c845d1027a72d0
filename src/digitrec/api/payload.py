"""Getting the image bytes out of a request: multipart upload, JSON data URL, or a raw data URL body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from digitrec.api.schemas import ImageIn
from digitrec.errors import ImageDecodeError, ImageTooLargeError, MissingImageError, UnsupportedImageTypeError
from digitrec.history import SOURCES
from digitrec.imaging import decode_data_url


@dataclass(frozen=True)
class ImagePayload:
    data: bytes
    source: str
    filename: str | None = None


async def read_image_payload(request: Request, max_bytes: int) -> ImagePayload:
    """The one image of a predict/read request: multipart field `file` or JSON {"image": data URL}."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise MissingImageError("no image: send the image as the multipart field 'file'")
        source = str(form.get("source") or "upload")
        return ImagePayload(await read_upload(upload, max_bytes), _source(source), upload.filename)
    if content_type.startswith("application/json"):
        body = await read_body(request, max_bytes)
        try:
            parsed = ImageIn.model_validate_json(body)
        except ValidationError as exc:
            raise MissingImageError(
                'no image: send JSON {"image": "data:image/png;base64,..."} '
                f"({exc.errors()[0]['msg']} at {'.'.join(map(str, exc.errors()[0]['loc'])) or 'body'})"
            ) from exc
        return ImagePayload(_checked(decode_data_url(parsed.image), max_bytes), parsed.source)
    raise UnsupportedImageTypeError(
        f"unsupported request type {content_type[:60] or '(none)'!r}: send multipart/form-data with a 'file' "
        'field, or application/json {"image": "data:image/png;base64,..."}'
    )


async def read_files(request: Request, max_bytes: int, max_files: int) -> list[tuple[str | None, bytes | Exception]]:
    """All files of a multipart batch request in order; an oversized one is kept as its error."""
    form = await request.form(max_files=max_files + 1)
    uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
    if not uploads:
        raise MissingImageError("no images: send one or more multipart fields named 'files'")
    if len(uploads) > max_files:
        raise ImageTooLargeError(f"at most {max_files} images per batch", max_files, len(uploads), "files")
    results: list[tuple[str | None, bytes | Exception]] = []
    for upload in uploads:
        try:
            results.append((upload.filename, await read_upload(upload, max_bytes)))
        except ImageTooLargeError as exc:
            results.append((upload.filename, exc))
    return results


async def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    return _checked(await upload.read(max_bytes + 1), max_bytes)


async def read_body(request: Request, max_bytes: int) -> bytes:
    # Base64 makes an image a third larger, plus the JSON around it.
    limit = max_bytes * 4 // 3 + 4096
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ImageTooLargeError(f"the request is larger than {limit} bytes", limit, size, "bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def data_url_from_text(text: str) -> str:
    """A data URL sent as a raw text or form-encoded body (the reference front ends do both)."""
    text = text.strip()
    if text.startswith('"'):
        try:
            text = str(json.loads(text))
        except ValueError:
            pass
    if text.startswith("data:"):
        return text
    for _, value in parse_qsl(text, keep_blank_values=True):
        if value.startswith("data:"):
            # parse_qsl turned base64's '+' into spaces; decode_data_url puts them back.
            return value
    unquoted = unquote(text)
    if unquoted.startswith("data:"):
        return unquoted
    raise MissingImageError("no image: the body is not a data:image/...;base64 URL")


def _checked(data: bytes, max_bytes: int) -> bytes:
    if len(data) > max_bytes:
        raise ImageTooLargeError(
            f"the image is larger than the {max_bytes}-byte limit", max_bytes, len(data), "bytes"
        )
    if not data:
        raise ImageDecodeError("the image is empty (0 bytes)")
    return data


def _source(value: str) -> str:
    return value if value in SOURCES else "api"
