"""Sending a message reliably: the one retry rule for replies, the outbox and jobs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Message
from telegram.error import BadRequest, NetworkError, TimedOut

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 4


async def send_reliably(bot: Any, chat_id: int, text: str, **kwargs: Any) -> Message:
    """send_message, retried with backoff on network errors and Telegram's 5xx answers.

    A reply often follows a commit ("recorded"): losing it to a passing network fault
    would leave the user unsure. A retry may, rarely, deliver a message twice (when the
    first one arrived but its answer was lost); that is the better failure. 429s are
    already retried by AIORateLimiter; a BadRequest is a bug and is not retried.
    """
    delay = 0.5
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            sent: Message = await bot.send_message(chat_id, text, **kwargs)
            return sent
        except (NetworkError, TimedOut) as exc:
            if isinstance(exc, BadRequest) or attempt == SEND_ATTEMPTS:
                raise
            log.warning("sending failed (%s); retrying in %.1fs", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")
