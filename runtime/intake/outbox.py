"""Sending the outbox: replies a use case committed, sent after its commit.

An update's unit of work (runtime/intake/unit.py) writes its replies in its transaction
and calls `deliver` once it committed; `deliver_unsent` sends whatever a dead process
left unsent (at start, then now and then). On PostgreSQL each row is sent under a row
lock (`FOR UPDATE SKIP LOCKED`), so two processes never send the same one; on SQLite
(one process) the row is read, sent, then marked in a short write unit, so the database's
one write lock is never held across a network call, and this process's senders skip a
row another of them is sending. A reply goes out twice only if the process dies between
Telegram's answer and `mark_sent`.
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, TelegramError

from runtime.intake.faults import kill_point
from runtime.sending import send_reliably
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
MAX_SEND_ATTEMPTS = 5
# A row this old and still unsent belongs to nobody alive (a live sender sends at once).
ABANDONED_AFTER = dt.timedelta(seconds=30)


def encode_options(options: dict[str, Any]) -> dict[str, Any]:
    """send_message's keyword arguments as JSON (an inline keyboard as its dict)."""
    encoded = dict(options)
    markup = encoded.get("reply_markup")
    if isinstance(markup, InlineKeyboardMarkup):
        encoded["reply_markup"] = markup.to_dict()
    elif markup is None:
        encoded.pop("reply_markup", None)
    return encoded


def decode_options(options: dict[str, Any], bot: Bot) -> dict[str, Any]:
    decoded = dict(options)
    if isinstance(decoded.get("reply_markup"), dict):
        decoded["reply_markup"] = InlineKeyboardMarkup.de_json(decoded["reply_markup"], bot)
    return decoded


async def deliver(bot: Bot, db: Database, ids: Sequence[int]) -> int:
    """Send the given outbox rows (those still unsent), in order; how many went out."""
    kill_point("before_outbox_send")
    sent = 0
    for message_id in sorted(ids):
        sent += await _send_one(bot, db, message_id)
    return sent


async def deliver_unsent(bot: Bot, db: Database, *, older_than: dt.timedelta) -> int:
    """Send replies left unsent (by a process that died after its commit)."""
    cutoff = dt.datetime.now(dt.UTC) - older_than
    async with db.session() as session:
        ids = list(
            await session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.created_at <= cutoff)
                .order_by(OutboxMessage.id)
                .limit(500)
            )
        )
    if ids:
        log.info("sending %s replies left unsent", len(ids))
    return await deliver(bot, db, ids)


# Rows being sent by this process, per database (SQLite has no row locks to say so).
_SENDING: weakref.WeakKeyDictionary[Database, set[int]] = weakref.WeakKeyDictionary()


async def _send_one(bot: Bot, db: Database, message_id: int) -> int:
    if db.dialect == "postgresql":
        async with db.unit() as unit:
            row = await unit.session.scalar(
                select(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
                .with_for_update(skip_locked=True)
            )
            if row is None:
                return 0  # sent already, or being sent by another process right now
            sent = await _send_row(bot, unit.session, row)
            await unit.commit()
            return sent
    sending = _SENDING.setdefault(db, set())
    if message_id in sending:
        return 0
    sending.add(message_id)
    try:
        async with db.session() as session:
            row = await session.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None)
                )
            )
        if row is None:
            return 0
        async with db.unit() as unit:
            sent = await _send_row(bot, unit.session, row)
            await unit.commit()
        return sent
    finally:
        sending.discard(message_id)


async def _send_row(bot: Bot, session: AsyncSession, row: OutboxMessage) -> int:
    """Send one row; stage its outcome (sent, failed, given up) in `session`."""
    try:
        await send_reliably(bot, row.chat_id, row.text, **decode_options(row.options, bot))
    except (BadRequest, Forbidden) as exc:
        now = dt.datetime.now(dt.UTC)
        # Telegram refused it (blocked bot, bad markup): sending again cannot help.
        log.warning("a reply was refused by Telegram: %s", exc)
        await outbox.mark_attempt_failed(session, row.id, str(exc), give_up=True, now=now)
        return 0
    except TelegramError as exc:
        now = dt.datetime.now(dt.UTC)
        give_up = row.attempts + 1 >= MAX_SEND_ATTEMPTS
        log.warning("sending a reply failed (%s); %s", exc, "gave up" if give_up else "later")
        await outbox.mark_attempt_failed(session, row.id, str(exc), give_up=give_up, now=now)
        return 0
    await outbox.mark_sent(session, row.id, dt.datetime.now(dt.UTC))
    return 1
