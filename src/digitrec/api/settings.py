"""Service settings: defaults, then DIGITREC_* environment variables, then command-line flags."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limits import RateLimitItem, parse_many

from digitrec.errors import ConfigError
from digitrec.inference import NOT_DIGIT_BELOW, UNCERTAIN_BELOW

# The reference Vue app runs on Vite's dev server and calls http://localhost:8000.
DEFAULT_CORS_ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173")
# Host names a request may be addressed to without configuring any: this machine's. Any
# other name is answered 400, so a DNS-rebinding page cannot reach a server on 127.0.0.1.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
ANY_ADDRESS = ("0.0.0.0", "::", "")
ENV_PREFIX = "DIGITREC_"
OFF = ("", "0", "off", "none")  # a rate limit of none


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    models: tuple[Path, ...] = ()  # ONNX or .pt files; empty: the shipped model; several: ensemble
    database_url: str | None = None  # None: SQLite in the user data dir
    history: bool = True
    max_upload_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 25_000_000
    max_batch: int = 64
    # Pixels of all the images of one /api/predict/batch request together: a batch costs no more
    # CPU than the largest single image (benchmarks/adversarial.py).
    max_batch_pixels: int = 25_000_000
    # Seconds a request body may take to arrive (408 after): uvicorn has no such timeout.
    body_timeout_s: float = 60.0
    cors_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS
    allowed_hosts: tuple[str, ...] = ()  # host names served beyond LOCAL_HOSTS ("*.example.org" patterns, "*": any)
    uncertain_below: float = UNCERTAIN_BELOW  # a confidence under this is flagged uncertain
    not_digit_below: float = NOT_DIGIT_BELOW  # top-two probability under this: "not a digit"
    threads: int = 1  # ONNX Runtime threads per model call: the event loop needs the other core
    # Large images (see inline_max_pixels) decoded and preprocessed at once per process, in
    # threads. That work holds the GIL, so on a few cores more threads only take turns at it.
    concurrency: int = 2
    # Images up to this many pixels (a drawing canvas) are decoded and preprocessed on the
    # event loop: their millisecond or two of work holds the GIL in a thread too, and the
    # hop to a thread and back cost more CPU than that work (benchmarks/http_budget.py).
    inline_max_pixels: int = 512 * 512
    # glibc malloc arenas for the process (0: glibc's default of 8 per core). Each thread that
    # allocates may get an arena of its own that holds on to freed memory. Under closed-loop
    # load two arenas peaked about 5 MiB below glibc's default, and one (the event loop and
    # the answering thread both allocate) 3 MiB below two, at the same throughput.
    malloc_arenas: int = 1
    log_level: str = "info"
    # Sharing the service (docs/operations.md, "Sharing it safely"). The admin's bearer token,
    # given as is or as a file holding it; neither: the admin operations are off.
    admin_token: str | None = field(default=None, repr=False)
    admin_token_file: Path | None = None
    history_days: int | None = None  # items older than this many days are deleted; None: kept
    # Requests per minute per client address ("60"), or the limits package's notation
    # ("10/second;300/hour"); "" or "0": no limit. Counted for /api/* (but health) and /predict.
    rate_limit: str = ""
    # Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses, networks,
    # "*"), as uvicorn's --forwarded-allow-ips; none by default: the peer is the client.
    forwarded_allow_ips: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if "*" in self.cors_origins:
            raise ConfigError(
                "a wildcard CORS origin is not allowed (the API answers with credentials); "
                "list the origins, e.g. DIGITREC_CORS_ORIGINS=http://localhost:5173,https://example.org"
            )
        for name in ("uncertain_below", "not_digit_below"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be 1-65535, got {self.port}")
        for name in ("workers", "max_upload_bytes", "max_pixels", "max_batch", "max_batch_pixels", "threads",
                     "concurrency", "body_timeout_s"):  # fmt: skip
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        for pattern in self.allowed_hosts:
            if pattern != "*" and ("*" in pattern[1:] or (pattern.startswith("*") and not pattern.startswith("*."))
                                   or any(c in pattern for c in "/ ,")
                                   or (":" in pattern and not pattern.startswith("["))):  # fmt: skip
                raise ConfigError(
                    f"allowed host {pattern!r} is not a host name; give names such as digits.example.org "
                    "or *.example.org, without scheme or port"
                )
        if self.inline_max_pixels < 0:
            raise ConfigError(f"inline_max_pixels must be 0 (all in threads) or more, got {self.inline_max_pixels}")
        if self.malloc_arenas < 0:
            raise ConfigError(f"malloc_arenas must be 0 (glibc's default) or more, got {self.malloc_arenas}")
        if self.admin_token is not None and self.admin_token_file is not None:
            raise ConfigError("set the admin token (DIGITREC_ADMIN_TOKEN) or a file holding it "
                              "(DIGITREC_ADMIN_TOKEN_FILE), not both")  # fmt: skip
        if self.history_days is not None and self.history_days <= 0:
            raise ConfigError(f"history_days must be positive (or unset, to keep everything), got {self.history_days}")
        self.rate_limits()  # raises ConfigError for a limit it cannot read

    def rate_limits(self) -> list[RateLimitItem]:
        """The configured rate limits per client address; empty when there are none."""
        text = self.rate_limit.strip()
        if text.lower() in OFF:
            return []
        try:
            return [parse_many(f"{int(text)}/minute")[0]] if text.isdigit() else parse_many(text)
        except ValueError:
            raise ConfigError(
                f"rate limit {text[:60]!r} is not one: give requests per minute (60), or limits such as "
                "10/second;300/hour"
            ) from None

    @property
    def served_hosts(self) -> tuple[str, ...]:
        """Host names (Host header, without port) this server answers: LOCAL_HOSTS, its own address, the configured."""
        own = () if self.host in ANY_ADDRESS or self.host in LOCAL_HOSTS else (_bracketed(self.host),)
        return LOCAL_HOSTS + own + self.allowed_hosts

    def host_warning(self) -> str | None:
        """What to say at start-up when listening on every interface with only the local host names served."""
        if self.host not in ANY_ADDRESS or self.allowed_hosts:
            return None
        return (
            f"listening on {self.host or 'every address'} with no host names configured: requests addressed to "
            "anything but localhost, 127.0.0.1 or [::1] are answered 400. Name the hosts clients use with "
            "--allowed-hosts or DIGITREC_ALLOWED_HOSTS (e.g. digits.example.org,10.0.0.11)"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, overridden by DIGITREC_<FIELD> variables, overridden by `overrides`."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, raw, f.type)
        # DIGITREC_MODEL (singular) reads better for the common case of one file.
        if "models" not in values and environ.get(ENV_PREFIX + "MODEL"):
            values["models"] = _parse("models", environ[ENV_PREFIX + "MODEL"], "tuple[Path, ...]")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _parse(name: str, raw: str, annotation: Any) -> Any:
    kind = str(annotation).removesuffix(" | None")
    try:
        if kind == "Path":
            return Path(raw)
        if kind.startswith("tuple[Path"):
            return tuple(Path(p.strip()) for p in raw.split(",") if p.strip())
        if kind.startswith("tuple[str"):
            return tuple(p.strip() for p in raw.split(",") if p.strip())
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        return raw
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind}") from exc


def _bracketed(address: str) -> str:
    """An IPv6 address as it appears in a Host header ([::1]); names and IPv4 as they are."""
    return f"[{address}]" if ":" in address and not address.startswith("[") else address
