"""One process of the bot around PTB's Application: receive, work, or both.

* `receive` — only fetches updates into the inbox (long polling, or the webhook);
* `work` — only handles the inbox (any number of these, PostgreSQL only), sends the
  outbox and runs the scheduled jobs (each of which claims its run in the database);
* `both` — the default: one process does everything (SQLite or PostgreSQL).

The Application is built with `updater(None)`: updates reach it only through
`bot.intake.work`, fed from the inbox (see `bot.intake.receive` for why).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from bot.intake.housekeeping import sweep
from bot.intake.receive import PollingReceiver
from bot.intake.work import InboxWorker
from bot.retention import enforce_retention
from runtime.config import Settings
from runtime.intake.background import background
from runtime.intake.outbox import ABANDONED_AFTER, deliver_unsent
from runtime.intake.unit import DATABASE_KEY
from runtime.services import AnyApplication
from storage.db import Database

log = logging.getLogger(__name__)
Role = Literal["both", "receive", "work"]
ROLES: tuple[Role, ...] = ("both", "receive", "work")
OUTBOX_CHECK_SECONDS = 15.0
HOUSEKEEPING_SECONDS = 600.0


class IntakeRuntime:
    def __init__(
        self,
        app: AnyApplication,
        settings: Settings,
        *,
        role: Role = "both",
        poll_timeout: int = 30,
        idle_poll_seconds: float = 1.0,
        receiver: Callable[[asyncio.Event, Callable[[], None]], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.role = role
        shared_db = app.bot_data.get(DATABASE_KEY)
        # One pool per process: the Application's database handle when it has one.
        self.db = (
            shared_db
            if isinstance(shared_db, Database)
            else Database(settings.database_url, pool=settings.pool_size)
        )
        self.stop_event = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.poll_timeout = poll_timeout
        self.custom_receiver = receiver
        self.worker = InboxWorker(
            app,
            self.db,
            admin_ids=settings.admin_ids,
            admin_locale=settings.default_locale,
            max_attempts=settings.inbox_max_attempts,
            shared=role == "work",
            idle_poll_seconds=idle_poll_seconds if role == "both" else min(idle_poll_seconds, 0.5),
            concurrency=settings.intake_concurrency,
            shutdown_grace_seconds=settings.shutdown_grace_seconds,
        )

    @property
    def works(self) -> bool:
        return self.role in ("both", "work")

    @property
    def receives(self) -> bool:
        return self.role in ("both", "receive")

    async def start(self) -> None:
        app = self.app
        await app.initialize()
        if self.works:
            if app.post_init is not None:
                await app.post_init(app)
            services = app.bot_data.get("services")
            if services is not None and self.role == "work":
                # Handlers that keep timers (conversation timeouts) learn that another
                # process may have moved a chat on (see handlers/reporting/report.py).
                services.extra["shared_workers"] = True
            await app.start()
            # Replies a previous process committed but did not send go first.
            await deliver_unsent(app.bot, self.db, older_than=dt.timedelta(0))
            self._spawn(lambda: self.worker.run(self.stop_event), "inbox-worker")
            self._spawn(self._maintenance, "intake-maintenance")
        if self.receives:
            if self.custom_receiver is not None:
                custom = self.custom_receiver
                self._spawn(lambda: custom(self.stop_event, self.worker.notify), "receiver")
            else:
                receiver = PollingReceiver(
                    app.bot, self.db, on_stored=self.worker.notify, poll_timeout=self.poll_timeout
                )
                self._spawn(lambda: receiver.run(self.stop_event), "receiver")
        log.info("intake running as %s", self.role)

    def _spawn(self, work: Callable[[], Awaitable[None]], name: str) -> None:
        # A factory, so a task cancelled before it ran leaves no coroutine un-awaited.
        async def guarded() -> None:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s stopped with an error", name)
                self.stop_event.set()  # a process that cannot receive or work should exit

        self.tasks.append(asyncio.create_task(guarded(), name=name))

    async def wait(self) -> None:
        await self.stop_event.wait()

    async def stop(self) -> None:
        """SIGTERM: stop receiving and taking chats; the chats in progress finish within
        SHUTDOWN_GRACE_SECONDS (the worker's `run` ends with that); background work is
        interrupted, not awaited (runtime/intake/background.py); then PTB stops."""
        self.stop_event.set()
        for task in self.tasks:
            if task.get_name() == "intake-maintenance":
                task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks = []
        await background(self.app.bot_data).cancel_all()
        app = self.app
        if app.running:
            await app.stop()
        await app.shutdown()
        if self.works and app.post_shutdown is not None:
            await app.post_shutdown(app)
        await self.db.close()

    async def _maintenance(self) -> None:
        elapsed = HOUSEKEEPING_SECONDS  # sweep once soon after start
        while True:
            await asyncio.sleep(OUTBOX_CHECK_SECONDS)
            elapsed += OUTBOX_CHECK_SECONDS
            try:
                # SQLite: the WAL copied back in a worker thread (storage/sqlite_inline.py).
                await self.db.checkpoint()
                await deliver_unsent(self.app.bot, self.db, older_than=ABANDONED_AFTER)
                if elapsed >= HOUSEKEEPING_SECONDS:
                    elapsed = 0.0
                    await sweep(
                        self.db,
                        self.settings.evidence_dir / ".staging",
                        keep=dt.timedelta(hours=self.settings.inbox_keep_hours),
                        conversation_timeout=dt.timedelta(
                            minutes=self.settings.conversation_timeout_minutes
                        ),
                    )
                    # Issue 18: dead letters, stale albums, outbox, exports, previews.
                    await enforce_retention(self.db, self.settings, dt.datetime.now(dt.UTC))
            except Exception:
                log.exception("intake maintenance failed; trying again later")
