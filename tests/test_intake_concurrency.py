"""Several chats at once, fairly, one update at a time per chat (issue 19, points 1-3).

The real Application is fed from the inbox by the real worker. A recording handler in
the first handler group (PTB's public `add_handler`) notes when each update's handling
starts and ends; for the fairness case it also stops the update there
(`ApplicationHandlerStop`), so a thousand updates are handled in seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.app import build_application
from bot.intake.receive import store_updates
from bot.intake.runtime import IntakeRuntime
from core.assessment.campaigns import BUNDLED_DOCUMENT, create_campaign, load_file
from core.reporting import reports
from core.reporting.evidence import EvidenceStore
from runtime.intake.locks import chat_locks
from storage.db import Database
from storage.models import (
    INBOX_HANDLED,
    ROLE_LIAISON,
    Binding,
    Department,
    InboxUpdate,
    Report,
    User,
)
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import DubanRig

FIRST_GROUP = -100


@dataclass
class Recorder:
    """Each update's chat and update id, when its handling starts and ends."""

    stop_here: bool = False
    pause: Callable[[], float] = lambda: 0.0
    started: list[tuple[int, int]] = field(default_factory=list)
    spans: list[tuple[int, int, float, float]] = field(default_factory=list)
    running: int = 0
    most_at_once: int = 0

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        assert chat is not None
        self.started.append((chat.id, update.update_id))
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        began = asyncio.get_running_loop().time()
        try:
            await asyncio.sleep(self.pause())
        finally:
            self.running -= 1
        self.spans.append((chat.id, update.update_id, began, asyncio.get_running_loop().time()))
        if self.stop_here:
            raise ApplicationHandlerStop


@dataclass
class Intake:
    """The bot's Application and intake without a receiver: the test stores updates."""

    runtime: IntakeRuntime
    recorder: Recorder
    db: Database

    async def store(self, payloads: list[dict[str, Any]]) -> None:
        chats = await store_updates(self.db, payloads)
        self.runtime.worker.notify(chats)


@pytest.fixture
async def intake_factory(
    fake_api: FakeBotAPI, tmp_path: Path, sqlite_url: str
) -> AsyncIterator[Callable[..., Awaitable[Intake]]]:
    started: list[IntakeRuntime] = []

    async def make(recorder: Recorder, *, concurrency: int, url: str = sqlite_url) -> Intake:
        rig = DubanRig(
            fake_api,
            url,
            tmp_path / "evidence",
            overrides={"intake_concurrency": concurrency, "telegram_rate_limit": False},
        )
        app = build_application(rig.settings, clock=rig.clock)
        app.add_handler(TypeHandler(Update, recorder), group=FIRST_GROUP)

        async def no_receiver(stop: asyncio.Event, _notify: Callable[[], None]) -> None:
            await stop.wait()

        runtime = IntakeRuntime(app, rig.settings, idle_poll_seconds=0.2, receiver=no_receiver)
        started.append(runtime)
        intake = Intake(runtime, recorder, runtime.db)
        return intake

    yield make
    for runtime in started:
        await runtime.stop()


def texts(user: u.TgUser, count: int, start: int) -> list[dict[str, Any]]:
    chat = u.private_chat(user)
    updates = []
    for n in range(count):
        update = u.text_message(user, f"m{n}", chat)
        update["update_id"] = start + n
        updates.append(update)
    return updates


BUSY = u.TgUser(id=700_001, first_name="忙")
OTHER = u.TgUser(id=700_002, first_name="闲")


async def until(condition: Callable[[], bool], timeout: float = 60) -> None:  # noqa: ASYNC109
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def test_a_chat_with_a_thousand_updates_delays_another_by_one_handling(
    intake_factory: Callable[..., Awaitable[Intake]],
) -> None:
    recorder = Recorder(stop_here=True)
    intake = await intake_factory(recorder, concurrency=1)
    # Waiting before the worker starts: the busy chat's thousand, then one other update.
    await intake.store(texts(BUSY, 1000, start=1))
    await intake.store(texts(OTHER, 1, start=5000))
    await intake.runtime.start()
    await until(lambda: len(recorder.started) >= 20)
    # Arriving while the busy chat is being worked through: next after the one in progress.
    await store_updates(intake.db, texts(OTHER, 1, start=6000))
    in_progress_or_done = len(recorder.started)
    intake.runtime.worker.notify([OTHER.id])
    await until(lambda: len(recorder.started) == 1002)

    order = [update_id for _, update_id in recorder.started]
    # Chats take turns: the other chat's first update went second, not 1001st.
    assert order[:3] == [1, 5000, 2]
    # At most one handling of the busy chat began after it was stored: either the one
    # in progress finished, or (if that had just finished) the busy chat's next one.
    assert order.index(6000) <= in_progress_or_done + 1
    busy = [update_id for chat, update_id in recorder.started if chat == BUSY.id]
    assert busy == list(range(1, 1001))


async def test_chats_run_at_once_and_each_chat_keeps_its_order(
    intake_factory: Callable[..., Awaitable[Intake]],
) -> None:
    rng = random.Random(19)
    recorder = Recorder(pause=lambda: rng.uniform(0, 0.02))
    intake = await intake_factory(recorder, concurrency=4)
    await intake.runtime.start()
    users = [u.TgUser(id=710_000 + n, first_name=f"用户{n}") for n in range(6)]
    for round_ in range(10):  # interleaved arrivals, as a busy morning would bring them
        await intake.store(
            [texts(user, 1, start=10_000 * (n + 1) + round_)[0] for n, user in enumerate(users)]
        )
    await until(lambda: len(recorder.spans) == 60)

    for n, user in enumerate(users):
        mine = [span for span in recorder.spans if span[0] == user.id]
        assert [span[1] for span in mine] == [10_000 * (n + 1) + r for r in range(10)]
        for earlier, later in itertools.pairwise(mine):
            assert earlier[3] <= later[2], "two updates of one chat overlapped"
    assert recorder.most_at_once > 1, "chats were not handled at once"
    assert recorder.most_at_once <= 4
    for _ in range(200):  # the last spans end just before their turns commit
        async with intake.db.session() as session:
            states = set(await session.scalars(select(InboxUpdate.state)))
        if states == {INBOX_HANDLED}:
            break
        await asyncio.sleep(0.05)
    assert states == {INBOX_HANDLED}


async def test_the_album_job_and_a_conversation_timeout_wait_for_the_chat_lock(
    sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    """PTB runs both from its JobQueue, outside the inbox: while the chat's lock is held
    (as the worker holds it while handling the chat's update) neither may act."""
    from tests.office_support import FARM
    from tests.test_office_review import PNG

    rig = DubanRig(
        fake_api,
        sqlite_url,
        tmp_path / "evidence",
        overrides={"conversation_timeout_minutes": 0.02},  # PTB's timer: 1.2 s
    )
    await rig.import_bundled()
    await rig.start()
    try:
        await rig.join(FARM, "农业")
        assert rig.app is not None
        locks = chat_locks(rig.app.bot_data)

        # A conversation's timeout.
        await rig.ask(FARM, "/report A5.1")
        since = rig.api.mark()
        async with locks.hold(FARM.id):
            await until(lambda: locks.waiting(FARM.id) == 1, timeout=10)
            await asyncio.sleep(0.3)
            assert not [m for m in rig.api.sent[since:] if m.chat_id == FARM.id]
        told = await rig.api.wait_for(chat_id=FARM.id, since=since, timeout=10)
        assert "分钟内没有收到回复" in told.plain_text

        # An album's report, finished by a job two seconds after its last part.
        handled_before = await handled(rig)
        refs = [
            rig.api.add_file(PNG + f"lock-{i}".encode(), mime_type="image/jpeg") for i in (1, 2)
        ]
        since = rig.api.mark()
        async with locks.hold(FARM.id):
            for update in u.album(FARM, refs, caption="#A5.1 推进中 相册"):
                rig.inject(update)
            # The album's parts wait for the lock too (the worker takes it), then the job.
            await until(lambda: locks.waiting(FARM.id) == 1, timeout=10)
        await until_handled(rig, 2 + handled_before)
        async with locks.hold(FARM.id):
            await until(lambda: locks.waiting(FARM.id) == 1, timeout=10)  # the job
            await asyncio.sleep(0.3)
            assert not [m for m in rig.api.sent[since:] if "已记录" in (m.plain_text or "")]
        recorded = await rig.api.wait_for(
            lambda m: "已记录" in (m.plain_text or ""), chat_id=FARM.id, since=since, timeout=10
        )
        assert "A5.1" in recorded.plain_text
    finally:
        await rig.close()


async def handled(rig: DubanRig) -> int:
    async with rig.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.state == INBOX_HANDLED)
        )
    return int(count or 0)


async def until_handled(rig: DubanRig, count: int) -> None:
    for _ in range(200):
        if await handled(rig) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the album's parts were not handled")


async def _liaisons_of_one_binding(db: Database) -> tuple[int, int, tuple[int, int]]:
    """A binding of a department and two liaisons of that department (a deputy too)."""
    async with db.unit() as unit:
        session = unit.session
        binding = await session.scalar(select(Binding).order_by(Binding.id).limit(1))
        assert binding is not None
        department = await session.get(Department, binding.department_id)
        assert department is not None
        for tg_id in (720_001, 720_002):
            session.add(User(tg_id=tg_id, role=ROLE_LIAISON, department_id=department.id))
        await unit.commit()
        return binding.id, department.id, (720_001, 720_002)


async def test_two_liaisons_reporting_at_once_both_count(db: Database, tmp_path: Path) -> None:
    async with db.unit() as unit:
        await create_campaign(
            unit.session, load_file(BUNDLED_DOCUMENT), source_name=BUNDLED_DOCUMENT.name
        )
        await unit.commit()
    binding_id, department_id, liaisons = await _liaisons_of_one_binding(db)
    store = EvidenceStore(tmp_path / "evidence")
    both_loaded = asyncio.Barrier(2) if db.dialect == "postgresql" else None

    async def report(tg_id: int) -> None:
        async with db.unit() as unit:
            # Both read the binding before either writes (PostgreSQL; SQLite's units
            # begin IMMEDIATE and take turns): a read-modify-write would count 1.
            await unit.session.get(Binding, binding_id)
            if both_loaded is not None:
                await both_loaded.wait()
            await reports.record_report(
                unit.session,
                store,
                reporter_tg_id=tg_id,
                department_id=department_id,
                binding_id=binding_id,
                status="in_progress",
                values={},
                text=f"from {tg_id}",
                evidence=[],
                source="test",
                now=dt.datetime.now(dt.UTC),
            )
            await unit.commit()

    await asyncio.gather(*(report(tg_id) for tg_id in liaisons))
    async with db.session() as session:
        count = await session.scalar(select(Binding.report_count).where(Binding.id == binding_id))
        rows = await session.scalar(select(func.count()).select_from(Report))
    assert (count, rows) == (2, 2)


async def test_sqlite_units_at_once_never_find_the_database_locked(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Eight units that read, wait (as a handler waits for Telegram), then write. Begun
    deferred, all but the first writer would fail at once with "database is locked"
    (SQLite refuses to upgrade a read snapshot another writer has moved past)."""
    db = Database(sqlite_url)
    try:
        async with db.unit() as unit:
            await create_campaign(
                unit.session, load_file(BUNDLED_DOCUMENT), source_name=BUNDLED_DOCUMENT.name
            )
            await unit.commit()
        binding_id, department_id, (tg_id, _) = await _liaisons_of_one_binding(db)
        store = EvidenceStore(tmp_path / "evidence")

        async def report(n: int) -> None:
            async with db.unit() as unit:
                await unit.session.get(Binding, binding_id)
                await asyncio.sleep(0.02)
                await reports.record_report(
                    unit.session,
                    store,
                    reporter_tg_id=tg_id,
                    department_id=department_id,
                    binding_id=binding_id,
                    status="in_progress",
                    values={},
                    text=f"report {n}",
                    evidence=[],
                    source="test",
                    now=dt.datetime.now(dt.UTC),
                )
                await unit.commit()

        await asyncio.gather(*(report(n) for n in range(8)))
        async with db.session() as session:
            count = await session.scalar(
                select(Binding.report_count).where(Binding.id == binding_id)
            )
        assert count == 8
    finally:
        await db.close()


async def test_a_pool_timeout_makes_the_update_wait_not_fail(
    sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    """Every connection busy past DB_POOL_TIMEOUT while a handler runs: the update waits
    (like a database outage); it is not counted as a failed attempt nor dead-lettered."""
    from runtime.intake.unit import DATABASE_KEY

    rig = DubanRig(
        fake_api,
        sqlite_url,
        tmp_path / "evidence",
        overrides={"db_pool_size": 3, "db_pool_overflow": 0, "db_pool_timeout": 0.2},
    )
    await rig.import_bundled()
    await rig.start()
    user = u.TgUser(id=730_001, first_name="等")
    held: list[Any] = []
    released = asyncio.Event()

    async def take_every_connection(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Before the /start handler: the pool's connections go to someone else for 1.5 s."""
        if held or update.effective_user is None or update.effective_user.id != user.id:
            return
        held.extend([await db.engine.connect() for _ in range(3)])

        async def release() -> None:
            await asyncio.sleep(1.5)
            for connection in held:
                await connection.close()
            released.set()

        asyncio.get_running_loop().create_task(release())

    try:
        assert rig.app is not None
        db: Database = rig.app.bot_data[DATABASE_KEY]
        rig.app.add_handler(TypeHandler(Update, take_every_connection), group=FIRST_GROUP)
        since = rig.api.mark()
        rig.inject(u.command(user, "/start"))
        await asyncio.wait_for(released.wait(), timeout=20)
        assert not [m for m in rig.api.sent[since:] if m.chat_id == user.id]
        answer = await rig.api.wait_for(chat_id=user.id, since=since, timeout=20)
        assert answer.plain_text and "出错" not in answer.plain_text
        async with rig.session() as session:
            rows = list(await session.scalars(select(InboxUpdate)))
        mine = [
            r for r in rows if r.payload.get("message", {}).get("from", {}).get("id") == user.id
        ]
        assert [(r.state, r.attempts, r.last_error) for r in mine] == [(INBOX_HANDLED, 1, None)]
    finally:
        await rig.close()
