"""/export as a background task over the real Application and the fake Bot API server,
on SQLite and PostgreSQL: another user is answered while an export runs; a workbook
past the (lowered) upload limit becomes a one-time, expiring download link whose route
(bot.export_download) is exercised standalone; an export cut short by a restart is
told to its admin once."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import handlers.export.command as export_handler
from bot.export_download import export_download
from core.export.run import write_export
from storage.models import EXPORT_INTERRUPTED, EXPORT_RUNNING, ExportRun
from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig

FARM = u.TgUser(id=650_001, first_name="农业联络员")
URL = "https://duban.example/export/download"


async def test_other_users_are_answered_while_an_export_runs(
    rig: DubanRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/lang en")
    await rig.ask(ADMIN, "/lang en")
    gate = asyncio.Event()

    async def held(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()  # the export is "running" until the test lets it go
        return await write_export(*args, **kwargs)

    monkeypatch.setattr(export_handler, "write_export", held)
    try:
        started = await rig.ask(ADMIN, "/export")
        assert started.plain_text is not None
        assert started.plain_text.startswith("Preparing the export of 2020")

        items = await rig.ask(FARM, "/items")  # answered while the export waits
        assert items.plain_text is not None and items.plain_text.startswith("Your items:")
        assert "G1 " in items.plain_text
        again = await rig.ask(ADMIN, "/export")
        assert again.plain_text == "Your export is still running; its progress is shown above."
        assert not rig.api.calls_to("sendDocument")
        since = rig.api.mark()
    finally:
        gate.set()  # lets the export go (and, should an assertion fail, the shutdown)
    sent = await rig.api.wait_for(chat_id=ADMIN.id, method="sendDocument", since=since, timeout=20)
    assert sent.files[0].file_name is not None and sent.files[0].file_name.endswith(".xlsx")
    done = await rig.api.wait_for(
        lambda m: m.kind == "edit" and m.message_id == started.message_id,
        chat_id=ADMIN.id,
        since=since,
        timeout=10,
    )
    assert done.plain_text is not None and done.plain_text.startswith("Export of 2020")
    assert done.plain_text.endswith("done.")
    async with rig.session() as session:
        states = list(await session.scalars(select(ExportRun.state)))
    assert states == ["done"]


async def test_a_workbook_past_the_upload_limit_gets_a_one_time_link(
    rig: DubanRig, tmp_path: Path
) -> None:
    rig.overrides.update(
        export_upload_limit_mb=0.001,  # about 1 KB: every workbook is "too large"
        export_download_url=URL,
        export_link_hours=2,
        export_dir=tmp_path / "exports",
    )
    await rig.restart()
    await rig.join(FARM, "农业")
    await rig.ask(ADMIN, "/lang en")
    since = rig.api.mark()
    rig.inject(u.command(ADMIN, "/export"))
    offer = await rig.api.wait_for(
        chat_id=ADMIN.id, contains="Download it once", since=since, timeout=20
    )
    assert not rig.api.calls_to("sendDocument")
    text = offer.plain_text or ""
    assert "more than Telegram lets a bot send (0.001 MB)" in text
    assert "within 2 hours" in text
    found = re.search(re.escape(URL) + r"\?token=([A-Za-z0-9_-]+)", text)
    assert found is not None
    token = found.group(1)
    db, admins, now = rig.database(), rig.admin_ids, rig.clock()

    async def ask(token: str, tg_id: int | None) -> Any:
        return await export_download(db, token=token, tg_id=tg_id, admin_ids=admins, now=now)

    assert (await ask(token, None)).status == 401
    assert (await ask(token, FARM.id)).status == 403  # not the admin who asked
    assert (await ask(token + "x", ADMIN.id)).status == 404
    answer = await ask(token, ADMIN.id)
    assert answer.status == 200 and answer.path is not None
    headers = dict(answer.headers)
    assert "filename*=UTF-8''" in headers["Content-Disposition"]
    assert int(headers["Content-Length"]) == answer.path.stat().st_size
    book = load_workbook(answer.path)
    assert book.sheetnames == ["总览", "考核事项", "汇报记录", "佐证材料"]
    assert (await ask(token, ADMIN.id)).status == 410  # once only

    # A second link, left until it expires: refused, and its file deleted at the next start.
    since = rig.api.mark()
    rig.inject(u.command(ADMIN, "/export"))
    offer = await rig.api.wait_for(
        chat_id=ADMIN.id, contains="Download it once", since=since, timeout=20
    )
    second = re.search(r"token=([A-Za-z0-9_-]+)", offer.plain_text or "")
    assert second is not None
    later = rig.clock() + dt.timedelta(hours=2, seconds=1)
    expired = await export_download(
        db, token=second.group(1), tg_id=ADMIN.id, admin_ids=admins, now=later
    )
    assert expired.status == 410 and expired.reason == "expired"
    rig.clock.advance(hours=3)
    await rig.restart()
    assert not list((tmp_path / "exports").glob("*.xlsx"))


async def test_an_export_cut_short_by_a_restart_is_told_once(rig: DubanRig) -> None:
    await rig.ask(ADMIN, "/lang en")
    started = rig.clock() - dt.timedelta(minutes=10)
    async with rig.session() as session:
        session.add(
            ExportRun(
                admin_tg_id=ADMIN.id,
                chat_id=ADMIN.id,
                campaign_id=1,
                locale="en",
                state=EXPORT_RUNNING,
                started_at=started,
                heartbeat_at=started + dt.timedelta(minutes=1),
            )
        )
        await session.commit()
    since = rig.api.mark()
    await rig.restart()
    told = await rig.api.wait_for(chat_id=ADMIN.id, contains="cut short", since=since, timeout=10)
    assert told.plain_text is not None
    assert "was cut short by a restart of the bot; nothing was sent" in told.plain_text
    async with rig.session() as session:
        assert list(await session.scalars(select(ExportRun.state))) == [EXPORT_INTERRUPTED]
    since = rig.api.mark()
    await rig.restart()
    await rig.api.wait_idle(timeout=10)
    assert not [m for m in rig.api.messages_to(ADMIN.id) if m.index >= since]
