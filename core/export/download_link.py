"""The one-time link to a workbook too large for Telegram: signed, so a plain browser
can open it (issue 18).

The link carries the export run, the admin it is for and its expiry, with an HMAC-SHA256
over the three under a key derived from the bot token (as the dashboard's evidence
links are, with a key of its own). Opening it needs no Telegram login: the signature is
the credential, and the run's row decides the rest (this admin, still an admin, not yet
downloaded, not expired, the file still there; core.export.runs). The link is spent only
by a completed GET (bot.export_download).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_DECIMAL = re.compile(r"[0-9]{1,19}")


@dataclass(frozen=True)
class ExportLink:
    run_id: int
    admin_tg_id: int
    expires: int  # Unix time


def _key(bot_token: str) -> bytes:
    return hmac.new(b"DubanExportLink", bot_token.encode(), hashlib.sha256).digest()


def _signature(link: ExportLink, bot_token: str) -> str:
    message = f"{link.run_id}:{link.admin_tg_id}:{link.expires}".encode()
    return hmac.new(_key(bot_token), message, hashlib.sha256).hexdigest()


def signed_url(base_url: str, link: ExportLink, bot_token: str) -> str:
    query = {
        "run": str(link.run_id),
        "admin": str(link.admin_tg_id),
        "exp": str(link.expires),
        "sig": _signature(link, bot_token),
    }
    return f"{base_url}?{urlencode(query)}"


def verify(query: Mapping[str, str], bot_token: str) -> ExportLink | None:
    """The link a query names, if its signature is genuine (expiry not checked here);
    None for anything malformed or forged."""
    values = [query.get(name, "") for name in ("run", "admin", "exp")]
    signature = query.get("sig", "")
    if not all(_DECIMAL.fullmatch(value) for value in values):
        return None
    if not _HEX_DIGEST.fullmatch(signature):
        return None
    link = ExportLink(int(values[0]), int(values[1]), int(values[2]))
    wanted = _signature(link, bot_token)
    if not hmac.compare_digest(wanted.encode(), signature.encode()):
        return None
    return link
