"""/export as a background task over the real Application and the fake Bot API server,
on SQLite and PostgreSQL: another user is answered while an export runs; a workbook
past the (lowered) upload limit becomes a one-time, expiring download link whose route
(bot.export_download) is exercised standalone; an export cut short by a restart is
told to its admin once."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

import handlers.export.command as export_handler
from core.export.run import write_export
from storage.models import EXPORT_INTERRUPTED, EXPORT_RUNNING, ExportRun
from tests.dashboard_support import base_url, dashboard_rig
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
    database_url: str, tmp_path: Path, fake_api: Any
) -> None:
    """The link works from a plain browser (no Telegram login): signed, one-time,
    expiring; a HEAD, a link preview and a download cut short do not spend it."""
    async for rig in dashboard_rig(
        fake_api,
        database_url,
        tmp_path,
        export_upload_limit_mb=0.001,  # about 1 KB: every workbook is "too large"
        export_download_url=URL,
        export_link_hours=2,
        export_dir=tmp_path / "exports",
    ):
        await _one_time_link(rig, tmp_path)


async def _offer(rig: DubanRig) -> str:
    since = rig.api.mark()
    rig.inject(u.command(ADMIN, "/export"))
    offer = await rig.api.wait_for(
        chat_id=ADMIN.id, contains="Download it once", since=since, timeout=20
    )
    text = offer.plain_text or ""
    found = re.search(re.escape(URL) + r"\?(\S+)", text)
    assert found is not None, text
    return found.group(1)


async def _one_time_link(rig: DubanRig, tmp_path: Path) -> None:
    await rig.join(FARM, "农业")
    await rig.ask(ADMIN, "/lang en")
    query = await _offer(rig)
    assert not rig.api.calls_to("sendDocument")
    assert set(parse_qs(query)) == {"run", "admin", "exp", "sig"}
    local = f"{base_url(rig)}/api/export/download?{query}"
    kept = list((tmp_path / "exports").glob("*.xlsx"))
    assert len(kept) == 1
    book = load_workbook(io.BytesIO(kept[0].read_bytes()))
    assert book.sheetnames == ["总览", "考核事项", "汇报记录", "佐证材料"]
    # Grown to 30 MB (a real large export's size), so that a download can be cut short
    # while the server is still writing: small files sit whole in the socket's buffers.
    whole = kept[0].read_bytes() + bytes(30 * 2**20)
    kept[0].write_bytes(whole)
    async with rig.session() as session:
        await session.execute(update(ExportRun).values(size=len(whole)))
        await session.commit()

    async with aiohttp.ClientSession() as browser:  # no Authorization header at all
        async with browser.head(local) as head:
            assert head.status == 200
            assert "filename*=UTF-8''" in head.headers["Content-Disposition"]
        async with browser.get(
            local, headers={"User-Agent": "TelegramBot (like TwitterBot)"}
        ) as preview:
            assert preview.status == 200 and await preview.read() != whole
        # A download cut short after its first bytes does not use the link up.
        async with browser.get(local) as cut:
            assert cut.status == 200
            await cut.content.readexactly(100)
            cut.close()
        await asyncio.sleep(0.3)
        tampered = {
            "sig": query.replace("sig=", "sig=0"),
            "admin": query.replace(f"admin={ADMIN.id}", f"admin={FARM.id}"),
            "é": query.split("&sig=")[0] + "&sig=%C3%A9",
            "twice": query + "&sig=" + "0" * 64,
        }
        for name, bad in tampered.items():
            async with browser.get(f"{base_url(rig)}/api/export/download?{bad}") as refused:
                assert refused.status == 403, name
        async with browser.get(local) as full:
            assert full.status == 200
            assert await full.read() == whole
        async with browser.get(local) as again:
            assert again.status == 410  # once only
        async with browser.head(local) as again_head:
            assert again_head.status == 410
    assert not kept[0].exists()  # deleted once downloaded

    # A second link, left until it expires: refused, and its file deleted by housekeeping.
    second = await _offer(rig)
    rig.clock.advance(hours=2, seconds=1)
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(f"{base_url(rig)}/api/export/download?{second}") as expired,
    ):
        assert expired.status == 410
    rig.clock.advance(hours=1)
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
