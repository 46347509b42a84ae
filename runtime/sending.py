"""Sending a message reliably: the one retry rule for replies, the outbox and jobs."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Message
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.warnings import PTBUserWarning

log = logging.getLogger(__name__)
T = TypeVar("T")

SEND_ATTEMPTS = 4
# `send_unread` calls sendMessage through do_api_request on purpose (see there).
warnings.filterwarnings(
    "ignore", message=r".*Bot\.sendMessage.*do_api_request", category=PTBUserWarning
)


async def send_reliably(bot: Any, chat_id: int, text: str, **kwargs: Any) -> Message:
    """send_message, retried with backoff on network errors and Telegram's 5xx answers.

    A reply often follows a commit ("recorded"): losing it to a passing network fault
    would leave the user unsure. A retry may, rarely, deliver a message twice (when the
    first one arrived but its answer was lost); that is the better failure. 429s are
    already retried by AIORateLimiter; a BadRequest is a bug and is not retried.
    """
    sent: Message = await _retried(lambda: bot.send_message(chat_id, text, **kwargs))
    return sent


async def send_unread(bot: Any, chat_id: int, text: str, **kwargs: Any) -> None:
    """`send_reliably` for a message whose answer nobody reads (an update's reply).

    Telegram answers a sendMessage with the whole message echoed back, its entities and
    buttons included; `send_message` turns that into a `Message`, which for a /items
    reply costs about 0.3 ms of the update's 5 (bench/RESULTS.md, issue 19). PTB's
    documented raw call returns the answer as it came. What may be passed is what
    `do_api_request` supports: plain values and `telegram` objects (a keyboard); the
    application sets no `Defaults` that it would skip (bot/app.py)."""
    api_kwargs = {"chat_id": chat_id, "text": text, **kwargs}
    await _retried(lambda: bot.do_api_request("sendMessage", api_kwargs=api_kwargs))


async def _retried(send: Callable[[], Awaitable[T]]) -> T:
    delay = 0.5
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await send()
        except (NetworkError, TimedOut) as exc:
            if isinstance(exc, BadRequest) or attempt == SEND_ATTEMPTS:
                raise
            log.warning("sending failed (%s); retrying in %.1fs", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")
