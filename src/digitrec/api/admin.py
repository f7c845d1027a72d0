"""The admin: whoever presents `Authorization: Bearer <token>` with the configured token.

The token comes from DIGITREC_ADMIN_TOKEN or from the file named by
DIGITREC_ADMIN_TOKEN_FILE (for secrets mounted as files). Without either, the
admin operations are off (404). Tokens are compared as SHA-256 digests with
hmac.compare_digest, so the time taken says nothing about how much of a
guess was right; neither the token nor a presented one is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from digitrec.api.errors import AdminOffError, AdminTokenError
from digitrec.api.settings import Settings
from digitrec.errors import ConfigError

MIN_TOKEN_CHARS = 16
TOKEN_HINT = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"


@dataclass(frozen=True)
class AdminToken:
    """The configured admin token, kept as its digest; `digest` None: admin operations off."""

    digest: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> AdminToken:
        """The token of `settings` (read from its file if one is named); ConfigError if it is unusable."""
        token = settings.admin_token
        if settings.admin_token_file is not None:
            try:
                token = settings.admin_token_file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
                raise ConfigError(f"cannot read the admin token file {settings.admin_token_file}: {reason}") from None
        if token is None:
            return cls()
        if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
            raise ConfigError(f"the admin token must be at least {MIN_TOKEN_CHARS} characters without spaces; "
                              f"{TOKEN_HINT}")  # fmt: skip
        return cls(_digest(token))

    @property
    def enabled(self) -> bool:
        return self.digest is not None

    def check(self, presented: str | None) -> None:
        """Return if `presented` is the token; else AdminOffError (none configured) or AdminTokenError."""
        if self.digest is None:
            raise AdminOffError(
                "admin operations are turned off on this server; the operator turns them on by setting "
                "DIGITREC_ADMIN_TOKEN or DIGITREC_ADMIN_TOKEN_FILE"
            )
        if presented is None or not hmac.compare_digest(_digest(presented), self.digest):
            raise AdminTokenError("this needs the admin token: send it as 'Authorization: Bearer <token>'")


def _digest(token: str) -> bytes:
    # Equal-length digests: compare_digest then takes the same time whatever the guess's length.
    return hashlib.sha256(token.encode("utf-8", errors="surrogatepass")).digest()
