"""The real Duban `Application`, polling the project's fake Bot API server over HTTP.

`DubanRig` owns one bot process's worth of state: settings pointing at the fake server,
a database URL, an evidence directory and a controllable clock. `start()`/`stop()` run
and stop the bot exactly as `python -m bot` does (polling into the durable inbox), so a
test can restart it in the middle of a conversation. Helpers inject updates as users and
wait for replies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.intake.runtime import IntakeRuntime
from core.assessment.campaigns import BUNDLED_DOCUMENT, create_campaign, load_file
from core.people.invites import find_department, make_invite
from core.people.sql import SqlPeople
from runtime.config import Settings
from storage.db import Database
from storage.models import ROLE_LEADER, ROLE_LIAISON

from . import updates as u
from .botapi import FakeBotAPI, SentMessage

ADMIN = u.TgUser(id=900_001, first_name="办公室", last_name="王")
LEADER = u.TgUser(id=900_002, first_name="领导", last_name="李")


class FakeClock:
    """A clock the test moves by hand; aware UTC like the real one."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)

    def set(self, moment: dt.datetime) -> None:
        self.now = moment.astimezone(dt.UTC)


@dataclass
class DubanRig:
    api: FakeBotAPI
    database_url: str
    evidence_dir: Path
    clock: FakeClock = field(default_factory=FakeClock)
    admin_ids: frozenset[int] = frozenset({ADMIN.id})
    overrides: dict[str, Any] = field(default_factory=dict)
    app: Application | None = None  # type: ignore[type-arg]
    runtime: IntakeRuntime | None = None
    db: Database | None = None

    @property
    def settings(self) -> Settings:
        return Settings(
            telegram_bot_token=self.api.token,
            telegram_api_base_url=self.api.base_url,
            telegram_file_base_url=self.api.base_file_url,
            database_url=self.database_url,
            evidence_dir=self.evidence_dir,
            admin_ids=self.admin_ids,
            **self.overrides,
        )

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start as `python -m bot` does: the Application behind the durable inbox."""
        app = build_application(self.settings, clock=self.clock)
        runtime = IntakeRuntime(app, self.settings, poll_timeout=5, idle_poll_seconds=0.2)
        await runtime.start()
        self.app, self.runtime = app, runtime

    async def stop(self) -> None:
        """Stop as `python -m bot` does on SIGINT: receiver, worker, application."""
        runtime, self.runtime, self.app = self.runtime, None, None
        if runtime is not None:
            await runtime.stop()

    async def restart(self) -> None:
        await self.api.wait_idle(timeout=10)
        await self.stop()
        await self.start()

    # ------------------------------------------------------------ data set-up

    def database(self) -> Database:
        if self.db is None:
            self.db = Database(self.database_url)
        return self.db

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self.database().session()

    def writing(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session for the test's own writes while the bot runs: it begins IMMEDIATE and
        waits its turn for SQLite's one writer, as the bot's units do, instead of turning
        a read into a write, which SQLite refuses when the bot wrote in between."""
        return self.database().write_sessions()

    async def close(self) -> None:
        await self.stop()
        if self.db is not None:
            await self.db.close()

    async def import_bundled(self) -> int:
        async with self.writing() as session:
            outcome = await create_campaign(
                session, load_file(BUNDLED_DOCUMENT), source_name=BUNDLED_DOCUMENT.name
            )
            await session.commit()
        return outcome.campaign_id

    async def invite_code(self, department: str | None) -> str:
        async with self.writing() as session:
            found = None
            if department is not None:
                choice = await find_department(session, department)
                assert choice.found is not None, f"no single department for {department}"
                found = choice.found
            made = await make_invite(
                SqlPeople(session),
                role=ROLE_LIAISON if found else ROLE_LEADER,
                department=found,
                created_by=ADMIN.id,
                now=self.clock(),
                ttl=dt.timedelta(days=7),
            )
            await session.commit()
        return made.code

    async def join(self, user: u.TgUser, department: str | None) -> SentMessage:
        """Make an invite and have `user` use it over the bot, as a new liaison would."""
        code = await self.invite_code(department)
        return await self.ask(user, f"/join {code}")

    # ------------------------------------------------------------ talking

    def inject(self, update: dict[str, Any]) -> int:
        return self.api.inject(update)

    async def ask(
        self,
        user: u.TgUser,
        text: str,
        *,
        chat: u.TgChat | None = None,
        timeout: float = 10,  # noqa: ASYNC109 - a wait deadline is the point
    ) -> SentMessage:
        """Send a command or text as `user` and return the bot's next message to that chat."""
        chat = chat or u.private_chat(user)
        since = self.api.mark()
        update = (
            u.command(user, text, chat)
            if text.startswith("/")
            else u.text_message(user, text, chat)
        )
        self.api.inject(update)
        return await self.api.wait_for(
            lambda m: m.kind == "send", chat_id=chat.id, since=since, timeout=timeout
        )

    async def press(
        self,
        user: u.TgUser,
        message: SentMessage,
        data: str,
        *,
        timeout: float = 10,  # noqa: ASYNC109 - a wait deadline is the point
    ) -> SentMessage:
        """Press the button with callback `data` on `message`; the bot's next message or edit."""
        assert data in message.callback_data, f"{data!r} not in {message.callback_data}"
        since = self.api.mark()
        self.api.inject(u.callback_query(user, data, message))
        return await self.api.wait_for(
            lambda m: m.kind in ("send", "edit"),
            chat_id=message.chat_id,
            since=since,
            timeout=timeout,
        )

    async def send_and_wait(
        self,
        update: dict[str, Any],
        chat_id: int,
        *,
        timeout: float = 10,  # noqa: ASYNC109 - a wait deadline is the point
    ) -> SentMessage:
        since = self.api.mark()
        self.api.inject(update)
        return await self.api.wait_for(
            lambda m: m.kind == "send", chat_id=chat_id, since=since, timeout=timeout
        )


async def running_rig(
    api: FakeBotAPI, database_url: str, evidence_dir: Path, **kwargs: Any
) -> AsyncIterator[DubanRig]:
    rig = DubanRig(api, database_url, evidence_dir, **kwargs)
    try:
        yield rig
    finally:
        await rig.close()


AllowedUpdates = Update.ALL_TYPES
Predicate = Callable[[SentMessage], bool]
