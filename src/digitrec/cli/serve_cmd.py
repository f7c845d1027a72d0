"""`digitrec serve`: the web service and drawing page on http://127.0.0.1:8000."""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import logging
import os
from pathlib import Path

from digitrec.inference import NOT_DIGIT_BELOW, UNCERTAIN_BELOW

_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
# uvicorn's own limits, as tight as it allows. It has no timeout for reading a request's
# headers or body: the body's is BodyGuard's (--body-timeout); for slow headers, see
# docs/operations.md (a proxy in front). An idle keep-alive connection is closed after 5 s,
# and a shutdown waits at most 10 s for requests still running.
UVICORN_LIMITS = {"timeout_keep_alive": 5, "timeout_graceful_shutdown": 10}

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="start the web service and drawing page",
        description="Every option can also be set by an environment variable: DIGITREC_HOST, DIGITREC_PORT, "
        "DIGITREC_WORKERS, DIGITREC_MODEL, DIGITREC_DATABASE_URL, DIGITREC_HISTORY, DIGITREC_MAX_UPLOAD_BYTES, "
        "DIGITREC_MAX_PIXELS, DIGITREC_MAX_BATCH, DIGITREC_MAX_BATCH_PIXELS, DIGITREC_BODY_TIMEOUT_S, "
        "DIGITREC_CORS_ORIGINS and DIGITREC_ALLOWED_HOSTS (comma-separated), DIGITREC_UNCERTAIN_BELOW, "
        "DIGITREC_NOT_DIGIT_BELOW, DIGITREC_THREADS, DIGITREC_CONCURRENCY, DIGITREC_INLINE_MAX_PIXELS, "
        "DIGITREC_MALLOC_ARENAS, DIGITREC_HISTORY_DAYS, DIGITREC_RATE_LIMIT, DIGITREC_FORWARDED_ALLOW_IPS and "
        "DIGITREC_ADMIN_TOKEN_FILE. The admin token itself only by DIGITREC_ADMIN_TOKEN (a command line is "
        "visible to every user of the machine).",
    )
    p.add_argument("--host", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    p.add_argument("--workers", type=int, help="server processes (default 1)")
    p.add_argument("--model", dest="models", type=Path, action="append",
                   help="ONNX or .pt model; repeat for an ensemble (default: the shipped model)")  # fmt: skip
    p.add_argument("--database-url", help="history database (default: SQLite in the user data folder)")
    p.add_argument("--no-history", dest="history", action="store_const", const=False, help="keep no history")
    p.add_argument("--max-upload-bytes", type=int, help="largest accepted image (default 10 MiB)")
    p.add_argument("--max-pixels", type=int, help="largest accepted image in pixels (default 25 million)")
    p.add_argument("--max-batch", type=int, help="most images in one /api/predict/batch request (default 64)")
    p.add_argument("--max-batch-pixels", type=int,
                   help="most pixels of all the images of one batch request together (default 25 million)")
    p.add_argument("--body-timeout", dest="body_timeout_s", type=float,
                   help="seconds a request body may take to arrive, 408 after (default 60)")
    p.add_argument("--uncertain-below", type=float,
                   help=f"answers less confident than this are flagged uncertain (default {UNCERTAIN_BELOW})")
    p.add_argument("--not-digit-below", type=float,
                   help="images whose two likeliest digits hold less than this in all are answered "
                        f"not_a_digit (default {NOT_DIGIT_BELOW})")  # fmt: skip
    p.add_argument("--cors-origins", help="comma-separated origins allowed to call the API from a browser")
    p.add_argument("--allowed-hosts",
                   help="comma-separated host names clients reach this server by, beyond localhost, 127.0.0.1 "
                        "and [::1] (others get 400); '*.example.org' for subdomains, '*' for any")  # fmt: skip
    p.add_argument("--threads", type=int, help="ONNX Runtime threads per model call (default 1)")
    p.add_argument("--concurrency", type=int,
                   help="large images decoded and preprocessed at once per process (default 2)")  # fmt: skip
    p.add_argument("--inline-max-pixels", type=int,
                   help="images up to this size are prepared on the event loop, larger ones in threads "
                        "(default 262144, 512x512; 0: all in threads)")  # fmt: skip
    p.add_argument("--malloc-arenas", type=int,
                   help="glibc malloc arenas per process, 0 for glibc's default (default 1: less memory)")  # fmt: skip
    p.add_argument("--history-days", type=int,
                   help="delete history items older than this many days (default: keep them)")  # fmt: skip
    p.add_argument("--rate-limit",
                   help="requests per minute per client address to /api/* and /predict, e.g. 120, or limits "
                        "such as 10/second;600/hour (default: no limit)")  # fmt: skip
    p.add_argument("--forwarded-allow-ips",
                   help="comma-separated proxy addresses or networks whose X-Forwarded-For and "
                        "X-Forwarded-Proto are trusted, '*' for any (default: none)")  # fmt: skip
    p.add_argument("--admin-token-file", type=Path,
                   help="file holding the admin's bearer token (or set DIGITREC_ADMIN_TOKEN); without either, "
                        "admin operations are off")  # fmt: skip
    p.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from digitrec.api import Settings

    overrides = {
        "host": args.host, "port": args.port, "workers": args.workers, "database_url": args.database_url,
        "history": args.history, "max_upload_bytes": args.max_upload_bytes, "threads": args.threads,
        "concurrency": args.concurrency, "inline_max_pixels": args.inline_max_pixels,
        "max_pixels": args.max_pixels, "max_batch": args.max_batch, "max_batch_pixels": args.max_batch_pixels,
        "body_timeout_s": args.body_timeout_s, "allowed_hosts": _names(args.allowed_hosts),
        "uncertain_below": args.uncertain_below, "not_digit_below": args.not_digit_below,
        "malloc_arenas": args.malloc_arenas,
        "models": tuple(args.models) if args.models else None, "log_level": args.log_level,
        "cors_origins": _names(args.cors_origins), "history_days": args.history_days,
        "rate_limit": args.rate_limit, "forwarded_allow_ips": _names(args.forwarded_allow_ips),
        "admin_token_file": args.admin_token_file,
    }  # fmt: skip
    settings = Settings.from_env(**overrides)
    limit_malloc_arenas(settings.malloc_arenas)
    if (warning := settings.host_warning()) is not None:
        log.warning(warning)
    if settings.workers > 1 and not settings.history and settings.rate_limits():
        log.warning("with --no-history each of the %d workers counts requests on its own: a client may send up "
                    "to %d times the rate limit", settings.workers, settings.workers)  # fmt: skip
    print(f"digitrec: serving on http://{settings.host}:{settings.port} (API docs at /docs)", flush=True)
    # proxy_headers off: the app applies forwarded headers itself, from trusted proxies only (app.py).
    server = {"host": settings.host, "port": settings.port, "log_level": settings.log_level, "proxy_headers": False,
              **UVICORN_LIMITS}  # fmt: skip
    if settings.workers == 1:
        from digitrec.api.app import serving_app

        uvicorn.run(serving_app(settings), **server)
        return 0
    # Worker processes build their own app from the environment; this one only supervises them.
    os.environ.update(_as_environment(settings))
    uvicorn.run("digitrec.api.app:app_from_env", factory=True, workers=settings.workers, **server)
    return 0


def _names(text: str | None) -> tuple[str, ...] | None:
    return tuple(name.strip() for name in text.split(",") if name.strip()) if text else None


def limit_malloc_arenas(count: int) -> bool:
    """Cap glibc's malloc arenas in this process and in worker processes started from it.

    Returns whether this process took the cap: False for 0 (leave the default) or
    where the C library is not glibc (the setting then does nothing).
    """
    if count <= 0:
        return False
    os.environ["MALLOC_ARENA_MAX"] = str(count)  # read by glibc when a worker process starts
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, count))
    except (OSError, AttributeError):
        return False


def _as_environment(settings: object) -> dict[str, str]:
    env = {}
    for name, value in vars(settings).items():
        if value is None:
            continue
        if isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        env[f"DIGITREC_{name.upper()}"] = str(value)
    return env
