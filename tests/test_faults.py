"""Faults between the bot and Telegram, and between the bot and its database: under each
the bot keeps serving, retries what it must, and records nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from storage.models import Evidence, Report
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import DubanRig

FARM = u.TgUser(id=620_001, first_name="农业联络员")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452")


async def count_reports(rig: DubanRig) -> int:
    async with rig.session() as session:
        return int(await session.scalar(select(func.count(Report.id))) or 0)


@pytest.mark.parametrize(
    "fault",
    ["429", "500", "drop", "delay"],
)
async def test_replies_survive_telegram_faults(sqlite_rig: DubanRig, fault: str) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    if fault == "429":
        rig.api.fail_next("sendMessage", status=429, retry_after=1)
    elif fault == "500":
        rig.api.fail_next("sendMessage", status=500, description="Internal Server Error", times=2)
    elif fault == "drop":
        rig.api.drop_next("sendMessage")
    else:
        rig.api.delay("sendMessage", 2.0)
    ref = rig.api.add_file(PNG, mime_type="image/jpeg")
    since = rig.api.mark()
    rig.inject(u.photo_message(FARM, ref, caption="#A5.1 91% 已完成"))
    reply = await rig.api.wait_for(chat_id=FARM.id, since=since, timeout=20)
    assert "已记录" in reply.plain_text
    await rig.api.assert_quiet(FARM.id, seconds=1.0)  # told once
    assert await count_reports(rig) == 1  # recorded once


async def test_polling_survives_get_updates_errors(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    rig.api.fail_next("getUpdates", status=500, times=2)
    reply = await rig.ask(FARM, "/start", timeout=30)
    assert "督办" in reply.plain_text


async def test_confirmation_lost_then_retried_does_not_duplicate_the_report(
    sqlite_rig: DubanRig,
) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/report A5.2")
    await rig.ask(FARM, "推进中")
    await rig.ask(FARM, "/skip")
    # The answer to the confirmation is lost after Telegram delivered it.
    rig.api.drop_next("sendMessage", process=True)
    since = rig.api.mark()
    rig.inject(u.command(FARM, "/done"))
    first = await rig.api.wait_for(contains="已记录", chat_id=FARM.id, since=since, timeout=20)
    assert first is not None
    await asyncio.sleep(1.5)
    assert await count_reports(rig) == 1


# ---------------------------------------------------------------- the database goes away


class TcpProxy:
    """A loopback TCP proxy to PostgreSQL that a test can take down and bring back."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.pipes: set[asyncio.Task[None]] = set()

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for task in list(self.pipes):
            task.cancel()
        await asyncio.gather(*self.pipes, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            finally:
                dst.close()

        for task in (
            asyncio.ensure_future(pipe(reader, up_writer)),
            asyncio.ensure_future(pipe(up_reader, writer)),
        ):
            self.pipes.add(task)
            task.add_done_callback(self.pipes.discard)


@contextlib.asynccontextmanager
async def proxied(url: str) -> AsyncIterator[tuple[str, TcpProxy]]:
    parsed = make_url(url)
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.up()
    try:
        yield parsed.set(port=proxy.port).render_as_string(hide_password=False), proxy
    finally:
        await proxy.down()


async def test_database_outage_loses_no_update_and_recovers(
    postgres_url: str, fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    async with proxied(postgres_url) as (url, proxy):
        rig = DubanRig(fake_api, url, tmp_path / "evidence")
        await rig.import_bundled()
        await rig.start()
        try:
            await rig.join(FARM, "农业")
            await proxy.down()
            # The update cannot be stored, so it is not confirmed: Telegram keeps it...
            since = rig.api.mark()
            rig.inject(u.command(FARM, "/items"))
            await rig.api.assert_quiet(FARM.id, seconds=3.0)
            assert rig.api.pending_updates >= 1
            await proxy.up()
            # ...and it is answered once the database is back, without being sent again.
            reply = await rig.api.wait_for(chat_id=FARM.id, since=since, timeout=40)
            assert "本单位事项" in reply.plain_text, [m.plain_text for m in rig.api.sent]
        finally:
            await rig.close()


async def test_sqlite_database_file_unavailable_loses_no_update(
    sqlite_rig: DubanRig, tmp_path: Path
) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    path = Path(rig.database_url.split("///", 1)[1])
    # Dispose pooled connections, then make the file unreadable by replacing it with a folder.
    assert rig.app is not None
    await rig.app.bot_data["services"].db.engine.dispose()
    assert rig.runtime is not None
    await rig.runtime.db.engine.dispose()
    moved = path.with_suffix(".away")
    path.rename(moved)  # noqa: ASYNC240 - test setup on a local file
    path.mkdir()  # noqa: ASYNC240 - test setup on a local file
    since = rig.api.mark()
    try:
        rig.inject(u.command(FARM, "/items"))
        # Not stored, so not confirmed: it waits at Telegram instead of being lost.
        await rig.api.assert_quiet(FARM.id, seconds=3.0)
        assert rig.api.pending_updates >= 1
    finally:
        path.rmdir()  # noqa: ASYNC240 - test cleanup on a local folder
        moved.rename(path)
    await rig.app.bot_data["services"].db.engine.dispose()
    await rig.runtime.db.engine.dispose()
    reply = await rig.api.wait_for(chat_id=FARM.id, since=since, timeout=20)
    assert "本单位事项" in reply.plain_text
    async with rig.session() as session:
        assert await session.scalar(select(func.count(Evidence.id))) == 0


async def test_a_message_delivered_twice_records_one_report(rig: DubanRig) -> None:
    """After a crash Telegram may hand out a batch again: the same photo, twice."""
    await rig.join(FARM, "农业")
    ref = rig.api.add_file(PNG + b"twice", mime_type="image/jpeg")
    since = rig.api.mark()
    first = rig.inject(u.photo_message(FARM, ref, caption="#A5.1 93% 已完成"))
    await rig.api.wait_for(contains="已记录", chat_id=FARM.id, since=since, timeout=20)
    rig.api.redeliver(first)
    again = await rig.api.wait_for(contains="已记录", chat_id=FARM.id, since=since, timeout=20)
    assert "93%" in again.plain_text
    assert await count_reports(rig) == 1
    async with rig.session() as session:
        assert await session.scalar(select(func.count(Evidence.id))) == 1
