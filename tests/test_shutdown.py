"""SIGTERM (issue 19, point 7): stop taking chats, let the chats in progress finish within
a deadline, exit; background work is interrupted and reported at the next start, never
waited for."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, DubanRig
from tests.test_crash import (
    LIAISONS,
    PNG,
    check_reports,
    seed,
    settle,
    start_bot,
    stop,
    told,
    until,
)

BURST = 30


async def test_sigterm_mid_burst_loses_nothing_and_exits_promptly(
    fake_api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    await seed(database_url)
    bot = await start_bot(fake_api, database_url, tmp_path)
    try:
        for n in range(BURST):
            user = list(LIAISONS)[n % 3]
            code = f"{LIAISONS[user][1]}.{1 + n % 4}"
            ref = fake_api.add_file(PNG + f"term-{n}".encode(), mime_type="image/jpeg")
            fake_api.inject(u.photo_message(user, ref, caption=f"#{code} 推进中 burst-{n}"))
            if n == BURST // 3:
                await until(lambda: len(told(fake_api)) >= 3, timeout=60)
                began = time.monotonic()
                bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.wait(), timeout=30)
        took = time.monotonic() - began
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
    assert bot.returncode == 0, (tmp_path / "bot.log").read_text()[-3000:]
    assert took < 25, f"the shutdown took {took:.1f}s"
    before = told(fake_api)
    assert sum(before.values()) < BURST, "the SIGTERM came after the burst, not in it"

    bot = await start_bot(fake_api, database_url, tmp_path)
    try:
        await until(lambda: set(told(fake_api)) == set(range(BURST)))
        await settle(fake_api)
    finally:
        await stop(bot)
    assert all(count == 1 for count in told(fake_api).values()), told(fake_api)
    await check_reports(database_url, tmp_path / "evidence", BURST)


async def test_a_running_export_does_not_hold_up_the_shutdown(
    sqlite_rig: DubanRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.export import command

    async def endless(*_args: Any, **_kwargs: Any) -> None:
        await asyncio.sleep(3600)  # a workbook of a million rows, say

    monkeypatch.setattr(command, "write_export", endless)
    rig = sqlite_rig
    preparing = await rig.ask(ADMIN, "/export")
    assert "正在准备" in preparing.plain_text or "导出" in preparing.plain_text
    await asyncio.sleep(0.5)
    began = time.monotonic()
    await rig.stop()
    assert time.monotonic() - began < 10
    since = rig.api.mark()
    await rig.start()
    told_again = await rig.api.wait_for(chat_id=ADMIN.id, since=since, timeout=20)
    assert "重启" in told_again.plain_text  # "cut short by a restart of the bot"
