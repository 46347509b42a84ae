"""Who is asking: Telegram's signed Mini App initData, and short-lived evidence links.

`verify_init_data` is Telegram's published algorithm
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
the data-check-string is every received field except `hash`, as `key=value`, sorted by
key and joined with newlines; the secret is HMAC-SHA256 of the bot token keyed with
"WebAppData"; the hash is HMAC-SHA256 of the data-check-string keyed with that secret,
in hex. A valid signature older than `max_age` is refused, so a leaked initData stops
working.

Images in the page cannot send an Authorization header, so the evidence listing hands
out links signed for one evidence file, one Telegram user and a few minutes
(`sign_link` / `check_link`); the server still checks that user's role at download.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

# A client clock a little ahead of ours is tolerated; more than this is not an honest clock.
CLOCK_SKEW = dt.timedelta(minutes=5)
LINK_TTL = dt.timedelta(minutes=10)
# Telegram's initData is a few hundred bytes; a header of 8 KB is refused by aiohttp first.
MAX_INIT_DATA = 4096
# Signatures are lower-case hex SHA-256; ids and times ASCII decimal (int() would also
# take "١٢٣", " 12" or "1_000").
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_DECIMAL = re.compile(r"-?[0-9]{1,19}")


class InitDataInvalid(Exception):
    """initData is missing, malformed, wrongly signed or too old (the reason is for logs)."""


@dataclass(frozen=True)
class WebAppUser:
    tg_id: int
    language_code: str | None
    auth_date: dt.datetime


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def init_data_hash(fields: dict[str, str], bot_token: str) -> str:
    """The hex signature Telegram puts in `hash` for these fields (hash itself excluded)."""
    check_string = "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")
    return hmac.new(_secret(bot_token), check_string.encode(), hashlib.sha256).hexdigest()


def verify_init_data(
    init_data: str, bot_token: str, *, now: dt.datetime, max_age: dt.timedelta
) -> WebAppUser:
    """The user of a validly signed, fresh initData query string; else InitDataInvalid.

    Anything malformed (bytes over 0x7F, a field twice, an oversized value, a `hash` that
    is no hex digest) is InitDataInvalid too, never another exception (issue 18)."""
    if not init_data or len(init_data) > MAX_INIT_DATA or not init_data.isascii():
        raise InitDataInvalid("empty, oversized or not ASCII")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
        fields = dict(pairs)
        if len(fields) != len(pairs):
            raise InitDataInvalid("a field given twice")
        given = fields.get("hash", "")
        if not _HEX_DIGEST.fullmatch(given):
            raise InitDataInvalid("no signature")
        wanted = init_data_hash(fields, bot_token)
    except (ValueError, UnicodeError) as exc:  # %C3%A9 decodes to é; %FF to a bad byte
        raise InitDataInvalid("not a query string") from exc
    if not hmac.compare_digest(wanted.encode(), given.encode()):
        raise InitDataInvalid("bad signature")
    try:
        auth_date = dt.datetime.fromtimestamp(int(fields["auth_date"]), dt.UTC)
        user = json.loads(fields["user"])
        tg_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        raise InitDataInvalid("no auth_date or user") from exc
    if auth_date > now + CLOCK_SKEW:
        raise InitDataInvalid("auth_date in the future")
    if now - auth_date > max_age:
        raise InitDataInvalid("expired")
    language = user.get("language_code")
    return WebAppUser(tg_id, language if isinstance(language, str) else None, auth_date)


def _link_key(bot_token: str) -> bytes:
    # A key of its own, derived from the token: a link signature is no initData signature.
    return hmac.new(b"DubanEvidenceLink", bot_token.encode(), hashlib.sha256).digest()


def _link_message(evidence_id: int, variant: str, tg_id: int, expires: int) -> bytes:
    return f"{evidence_id}:{variant}:{tg_id}:{expires}".encode()


def sign_link(
    evidence_id: int, variant: str, tg_id: int, bot_token: str, *, now: dt.datetime
) -> dict[str, str]:
    """Query parameters that let `tg_id` fetch one evidence file's `variant` for LINK_TTL."""
    expires = int((now + LINK_TTL).timestamp())
    signature = hmac.new(
        _link_key(bot_token), _link_message(evidence_id, variant, tg_id, expires), hashlib.sha256
    ).hexdigest()
    return {"u": str(tg_id), "exp": str(expires), "sig": signature}


def check_link(
    evidence_id: int, variant: str, query: dict[str, str], bot_token: str, *, now: dt.datetime
) -> int:
    """The Telegram user a link was signed for, if it is genuine and unexpired."""
    try:
        user, expiry, signature = query["u"], query["exp"], query["sig"]
        if not (_DECIMAL.fullmatch(user) and _DECIMAL.fullmatch(expiry)):
            raise ValueError("not decimal")
        tg_id, expires = int(user), int(expiry)
    except (KeyError, ValueError) as exc:
        raise InitDataInvalid("incomplete link") from exc
    if not _HEX_DIGEST.fullmatch(signature):
        raise InitDataInvalid("bad link signature")
    wanted = hmac.new(
        _link_key(bot_token), _link_message(evidence_id, variant, tg_id, expires), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(wanted.encode(), signature.encode()):
        raise InitDataInvalid("bad link signature")
    if now.timestamp() > expires:
        raise InitDataInvalid("link expired")
    return tg_id
