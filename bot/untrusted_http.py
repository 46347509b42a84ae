"""What arrives over HTTP, checked before anything trusts it (issue 18, point 5).

Every malformed credential — bytes over 0x7F, an empty value, a header or parameter
given twice, an oversized value — is a refusal (401/403), never an exception: no 500 and
no traceback in the log. A webhook body that carries the right secret but is no update
(not JSON, JSON nested past the parser's depth, no `update_id`) is kept as a dead letter
and answered 200, so Telegram stops resending it; without the secret it is refused.
Used by the webhook route (bot/intake/webhook.py) and the dashboard (bot/webapp/).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiMapping

from storage.db import Database
from storage.models import INBOX_DEAD, InboxUpdate

log = logging.getLogger(__name__)
# Telegram's secret_token is 1-256 characters; an initData is a few hundred bytes.
MAX_CREDENTIAL = 4096
# What of an unparseable body is kept in its dead letter, for the office to look at.
DEAD_LETTER_KEEP = 2000


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of a received credential with ours; False (never an
    exception) for anything that is not plain ASCII, empty, or oversized."""
    if not given or not expected or len(given) > MAX_CREDENTIAL or not given.isascii():
        return False
    return hmac.compare_digest(given.encode("ascii"), expected.encode())


def single_header(request: web.Request, name: str) -> str | None:
    """The header's one value; None when it is missing, empty, repeated, oversized or
    not ASCII (aiohttp hands bytes over 0x7F on as surrogates or Latin-1 letters)."""
    values = request.headers.getall(name, [])
    if len(values) != 1:
        return None
    value = values[0]
    if not value or len(value) > MAX_CREDENTIAL or not value.isascii():
        return None
    return value


def single_values(query: MultiMapping[str]) -> dict[str, str] | None:
    """The query's parameters, each given once and in ASCII; None otherwise."""
    values: dict[str, str] = {}
    for key, value in query.items():
        if key in values or not key.isascii() or not value.isascii():
            return None
        if len(value) > MAX_CREDENTIAL:
            return None
        values[key] = value
    return values


def parse_update(body: bytes) -> dict[str, Any] | None:
    """The update in a webhook body; None when it is none (no exception escapes: deeply
    nested JSON raises RecursionError in the parser)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if isinstance(payload, Mapping) and isinstance(payload.get("update_id"), int):
        return dict(payload)
    return None


async def keep_dead_letter(db: Database, body: bytes, reason: str) -> None:
    """Keep an unparseable body (with the right secret) as a dead inbox row: set aside,
    never handled, pruned with the other dead letters (DEAD_LETTER_KEEP_DAYS)."""
    now = dt.datetime.now(dt.UTC)
    text = body[:DEAD_LETTER_KEEP].decode("utf-8", "replace")
    async with db.unit() as unit:
        session = unit.session
        session.add(
            InboxUpdate(
                # No update id could be read: a negative one of its own, never Telegram's.
                update_id=-1 - secrets.randbelow(2**62),
                chat_key=0,
                payload={"unparseable": text, "length": len(body)},
                state=INBOX_DEAD,
                attempts=0,
                last_error=reason,
                received_at=now,
                handled_at=now,
            )
        )
        await unit.commit()
    log.warning("webhook: a body with the right secret is no update (%s); kept as dead", reason)


class QuietBadRequests(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server logger, except that a malformed HTTP message (bytes over 0x7F in
    the request line, a header too long) is one INFO line instead of a traceback at
    ERROR: aiohttp already answered it 400, and it is the client's doing, not ours.
    Given to the web servers as `web.AppRunner(..., logger=quiet_server_logger())`."""

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError) and 400 <= (exc_info.code or 0) < 500:
            self.logger.info("malformed HTTP request refused: %s", type(exc_info).__name__)
            return
        self.logger.exception(msg, *args, exc_info=exc_info, **kwargs)


def quiet_server_logger() -> QuietBadRequests:
    return QuietBadRequests(logging.getLogger("aiohttp.server"), {})
