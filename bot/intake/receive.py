"""Receiving updates: committed to the inbox before Telegram is told they arrived.

Why not PTB's `Updater`: its polling loop asks for the next offset (which confirms the
batch to Telegram) before the batch is handled, and its webhook server answers 200
before anything is stored, so an update in flight dies with the process. Here a batch
of `getUpdates` is committed to the inbox first, and only the *next* `getUpdates`
carries the offset past it; Telegram keeps (and redelivers) whatever was not confirmed.
Handling stays with PTB's `Application` (see `bot.intake.work`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.warnings import PTBUserWarning

from runtime.intake.faults import kill_point
from storage import inbox
from storage.db import Database

log = logging.getLogger(__name__)
# getUpdates goes through do_api_request on purpose (the raw JSON, see `_fetch`).
warnings.filterwarnings(
    "ignore", message=r".*Bot\.getUpdates.*do_api_request", category=PTBUserWarning
)
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)


async def store_updates(db: Database, payloads: Sequence[Mapping[str, Any]]) -> list[int]:
    """Commit updates to the inbox (a redelivered one is ignored); the chat key of each
    new one, in arrival order."""
    async with db.unit() as unit:
        new = await inbox.record(unit.session, payloads, dt.datetime.now(dt.UTC))
        unit.before_commit(_before_inbox_commit)
        await unit.commit()
    kill_point("after_inbox_commit")
    return new


async def _before_inbox_commit() -> None:
    kill_point("before_inbox_commit")


class PollingReceiver:
    """Long polling with getUpdates; the offset moves only past what the inbox holds."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        on_stored: Callable[[Sequence[int]], None],
        poll_timeout: int = 30,
    ) -> None:
        self.bot = bot
        self.db = db
        self.on_stored = on_stored
        self.poll_timeout = poll_timeout

    async def run(self, stop: asyncio.Event) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        failures = 0
        while not stop.is_set():
            try:
                batch = await _unless_stopped(stop, self._fetch(offset))
                if batch is None:
                    break  # stopped in the middle of a long poll: nothing was taken
                if batch:
                    chats = await store_updates(self.db, batch)
                    # Only now may the next request confirm these to Telegram.
                    offset = max(int(u["update_id"]) for u in batch) + 1
                    self.on_stored(chats)
                failures = 0
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                raise
            except (Conflict, TelegramError, OSError) as exc:
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                failures += 1
                log.warning("receiving updates failed (%s); again in %.1fs", exc, delay)
                await _sleep_unless(stop, delay)
            except Exception:  # the database, most likely: keep the offset, try again
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                failures += 1
                log.exception("storing updates failed; again in %.1fs", delay)
                await _sleep_unless(stop, delay)
        if offset is not None:
            # Confirm the last stored batch so a clean restart is not handed it again.
            try:
                await self.bot.do_api_request(
                    "getUpdates", api_kwargs={"offset": offset, "limit": 1, "timeout": 0}
                )
            except TelegramError as exc:
                log.info("could not confirm the last batch at stop: %s", exc)

    async def _fetch(self, offset: int | None) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "timeout": self.poll_timeout,
            "allowed_updates": list(Update.ALL_TYPES),
        }
        if offset is not None:
            kwargs["offset"] = offset
        # The raw JSON, not parsed Updates: the inbox keeps exactly what Telegram sent.
        result = await self.bot.do_api_request(
            "getUpdates", api_kwargs=kwargs, read_timeout=self.poll_timeout + 10
        )
        if not isinstance(result, list):
            return []
        return [u for u in result if isinstance(u, dict) and isinstance(u.get("update_id"), int)]


async def _unless_stopped(
    stop: asyncio.Event, work: Coroutine[Any, Any, list[dict[str, Any]]]
) -> list[dict[str, Any]] | None:
    """`work`'s result, or None if `stop` was set first (then `work` is cancelled)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return None
    return task.result()


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
