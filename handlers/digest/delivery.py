"""Sending what the scheduler decided: the digest (exactly once per group and day) and
reminder rounds, through the bot's rate-limited Telegram client.

The digest follows `core.scheduling.once`: claim, then send each message recording
progress, then mark sent. A failed attempt is retried with backoff (`RETRY_DELAYS`);
after the last one the error is recorded and the claim released, so the next periodic
check (of any process) tries again. `RetryAfter` is honoured: PTB's AIORateLimiter
already waits and retries it (max_retries=3); if it still comes through, we wait what
Telegram asked before the next attempt.

Reminders go out one after another (never all at once), so a round for hundreds of
liaisons stays within Telegram's limits with the limiter's throttling.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import socket
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from core.digest.data import Window, gather
from core.digest.group import office_group
from core.digest.messages import BuiltDigest, Part, compose_digest
from core.digest.sql import SqlDigest, SqlOfficeGroup
from core.oversight.reminders import (
    WorkingDay,
    claim_reminder,
    claim_weekly,
    plan_liaison_reminders,
    plan_weekly,
    reminder_messages,
    weekly_text,
)
from core.oversight.reminders_sql import SqlReminders
from core.scheduling.once import claim_digest
from core.scheduling.sql import SqlClaims
from core.scheduling.times import digest_due, digest_moment, within_hours
from core.scheduling.workdays import working_day_rule
from core.status.day import Reading
from core.text.i18n import translator
from runtime.services import Services

log = logging.getLogger(__name__)

RETRY_DELAYS: tuple[float, ...] = (1.0, 3.0, 9.0)  # between attempts: four attempts in all
WEEK = 7


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY = "already"  # sent before, or another sender holds the claim
    FAILED = "failed"  # recorded and released; the periodic check retries
    NOT_DUE = "not_due"
    NO_GROUP = "no_group"


def instance_owner(svc: Services) -> str:
    """Who claims in the database: this process (host, pid and a random tag)."""
    owner = svc.extra.get("owner")
    if owner is None:
        owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"
        svc.extra["owner"] = owner
    return str(owner)


async def office_chat(svc: Services) -> tuple[int | None, str | None]:
    """(the office group's chat id, when it was set), read in a session of its own (the
    job's, or before a /digest claims); None, None when no group is set."""
    async with svc.db.session() as session:
        group = await office_group(SqlOfficeGroup(session))
    return group.chat_id, group.set_at


async def make_digest(
    svc: Services, chat_id: int | None, local_date: dt.date, reading: Reading
) -> BuiltDigest:
    """The digest of (chat, date) as read at `reading` (the job's or the command's)."""
    settings = svc.settings
    async with svc.db.session() as session:
        return await compose_digest(
            SqlDigest(session),
            chat_id=chat_id,
            local_date=local_date,
            reading=reading,
            at=settings.digest_time,
            locale=settings.default_locale,
        )


async def send_part(bot: Bot, chat_id: int, part: Part) -> None:
    if part.photo is not None:
        try:
            await bot.send_photo(
                chat_id, photo=part.photo, caption=part.text, parse_mode=ParseMode.HTML
            )
        except BadRequest as exc:
            # A chart Telegram refuses (e.g. too tall) must not block the digest's text:
            # send its caption instead (bench/scale.py found this at 1,000 departments).
            log.warning("the digest chart was refused (%s); sending the text only", exc)
            await bot.send_message(chat_id, part.text, parse_mode=ParseMode.HTML)
    else:
        await bot.send_message(chat_id, part.text, parse_mode=ParseMode.HTML)


async def send_parts(bot: Bot, chat_id: int, parts: Sequence[Part]) -> None:
    """Send without any bookkeeping (an admin's private copy)."""
    for part in parts:
        await send_part(bot, chat_id, part)


def _retry_after_seconds(error: RetryAfter) -> float:
    value = getattr(error, "_retry_after", None)  # PTB 22's public attribute warns when read
    if not isinstance(value, dt.timedelta):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _retry_wait(error: TelegramError, delay: float) -> float | None:
    """How long to wait before trying again, or None for an error retrying cannot cure."""
    if isinstance(error, RetryAfter):
        return max(delay, _retry_after_seconds(error))
    if isinstance(error, BadRequest):  # a subclass of NetworkError, but final
        return None
    if isinstance(error, NetworkError):  # includes TimedOut and 5xx answers
        return delay
    return None  # e.g. Forbidden (the bot left the group), BadRequest


async def deliver_digest(
    bot: Bot,
    svc: Services,
    chat_id: int,
    local_date: dt.date,
    *,
    owner: str,
    delays: Sequence[float] = RETRY_DELAYS,
    reading: Reading | None = None,
) -> Outcome:
    """Send the digest of (chat, date) unless it was sent or is being sent: see module doc.

    `reading` is the day of the job or command sending it (`Settings.reading`); without
    one, the settings' at the clock's time."""
    reading = reading or svc.settings.reading(svc.clock())
    async with svc.db.claims() as session:
        claim = await claim_digest(
            SqlClaims(session), chat_id, local_date, owner=owner, now=svc.clock()
        )
    if claim is None:
        return Outcome.ALREADY
    try:
        built = await make_digest(svc, chat_id, local_date, reading)
    except Exception as exc:
        log.exception("building the digest failed")
        async with svc.db.claims() as session:
            await SqlClaims(session).release_failed(claim, f"build: {exc!r}")
        return Outcome.FAILED
    summary = {**built.data.summary(), "parts_sent": claim.parts_sent}
    parts = built.parts
    attempts, error = claim.attempts, ""
    for attempt, delay in enumerate([*delays, None]):
        attempts += 1
        async with svc.db.claims() as session:
            claims = SqlClaims(session)
            if not await claims.start_attempt(claim, attempts):
                return Outcome.ALREADY  # our claim timed out and another sender took it
            await claims.save_summary(claim, summary)
            try:
                while summary["parts_sent"] < len(parts):
                    await send_part(bot, chat_id, parts[summary["parts_sent"]])
                    summary = {**summary, "parts_sent": summary["parts_sent"] + 1}
                    await claims.save_summary(claim, summary)
                # The bindings named red are told once: later digests only count them.
                newly_red = summary.get("newly_red") or []
                await claims.mark_sent(claim, svc.clock(), summary, newly_red)
                log.info("digest of %s sent to the office group", local_date)
                return Outcome.SENT
            except TelegramError as exc:
                error = f"{type(exc).__name__}: {exc}"
                wait = _retry_wait(exc, delay) if delay is not None else None
                log.warning("digest attempt %s failed: %s", attempt + 1, error)
                await claims.record_error(claim, error)
        if wait is None:
            break
        await asyncio.sleep(wait)
    async with svc.db.claims() as session:
        await SqlClaims(session).release_failed(claim, error)
    log.error("the digest of %s could not be sent (%s); it will be retried", local_date, error)
    return Outcome.FAILED


async def deliver_due_digest(bot: Bot, svc: Services, *, owner: str | None = None) -> Outcome:
    """The scheduler's entry: today's digest if it is due now, to the office group."""
    settings = svc.settings
    reading = settings.reading(svc.clock())  # the job's day, read once
    is_working = working_day_rule(settings.workdays_calendar)  # no digest on days off
    local_date = digest_due(reading.now, settings.tz, settings.digest_time, is_working)
    if local_date is None:
        return Outcome.NOT_DUE
    chat_id, set_at = await office_chat(svc)
    if chat_id is None:
        return Outcome.NO_GROUP
    # A group made the office group after today's digest time gets its first one tomorrow
    # (unless an admin asks with /digest).
    if set_at and set_at > digest_moment(local_date, settings.digest_time, settings.tz).isoformat():
        return Outcome.NOT_DUE
    async with svc.db.session() as session:  # the usual case, read without writing
        row = await SqlDigest(session).stored_digest(chat_id, local_date)
        if row is not None and row.sent_at is not None:
            return Outcome.ALREADY
    return await deliver_digest(
        bot, svc, chat_id, local_date, owner=owner or instance_owner(svc), reading=reading
    )


# ---------------------------------------------------------------- reminders


@dataclass
class RoundResult:
    sent: int = 0
    failed: int = 0


async def send_texts(bot: Bot, chat_id: int, texts: Sequence[str]) -> TelegramError | None:
    """Send texts in order, honouring RetryAfter; the error that stopped it, if any."""
    for text in texts:
        for delay in (*RETRY_DELAYS[:2], None):
            try:
                await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
                break
            except TelegramError as exc:
                wait = _retry_wait(exc, delay) if delay is not None else None
                if wait is None:
                    return exc
                await asyncio.sleep(wait)
    return None


async def _send_claimed(
    bot: Bot, svc: Services, chat_id: int, texts: list[str], row_ids: list[int]
) -> bool:
    error = await send_texts(bot, chat_id, texts)
    if error is None:
        return True
    if isinstance(error, NetworkError | RetryAfter):
        # Passing trouble: forget the claims so the next round tries again.
        async with svc.db.claims() as session:
            await SqlClaims(session).unclaim_reminders(row_ids)
    log.warning("a reminder could not be delivered: %s", error)
    return False


async def reminder_round(
    bot: Bot, svc: Services, *, is_working: WorkingDay | None = None
) -> RoundResult:
    """Reminders due now to liaisons, and the weekly summary to leaders, one by one."""
    settings = svc.settings
    is_working = is_working or working_day_rule(settings.workdays_calendar)
    # The round's day, read once: the reminders, the leaders' week and their summary.
    reading = settings.reading(svc.clock())
    now = reading.now
    result = RoundResult()
    if not within_hours(now, settings.tz, settings.reminder_earliest, settings.reminder_latest):
        return result
    async with svc.db.session() as session:
        plans = await plan_liaison_reminders(
            SqlReminders(session),
            reading=reading,
            reminder_days=settings.reminder_days,
            default_locale=settings.default_locale,
            is_working=is_working,
        )
    for plan in plans:
        async with svc.db.claims() as session:
            claimed = await claim_reminder(SqlClaims(session), plan, now)
        if claimed is None:
            continue  # another process told them meanwhile
        texts = reminder_messages(claimed.reminder, translator(plan.locale), reading.rules)
        ok = await _send_claimed(bot, svc, plan.user_tg_id, texts, list(claimed.row_ids))
        result.sent += ok
        result.failed += not ok

    async with svc.db.session() as session:
        week, leaders = await plan_weekly(
            SqlReminders(session),
            reading=reading,
            default_locale=settings.default_locale,
            is_working=is_working,
        )
        if not leaders:
            return result
        data = await gather(
            SqlDigest(session),
            chat_id=None,
            local_date=reading.today,
            window=Window(now - dt.timedelta(days=WEEK), now),
            rules=reading.rules,
        )
    for leader in leaders:
        async with svc.db.claims() as session:
            row_ids = await claim_weekly(SqlClaims(session), leader, week, now)
        if row_ids is None:
            continue
        text = weekly_text(data, week, translator(leader.locale))
        ok = await _send_claimed(bot, svc, leader.user_tg_id, [text], list(row_ids))
        result.sent += ok
        result.failed += not ok
    return result
