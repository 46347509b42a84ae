"""Helpers of the digest tests: a running bot at a fixed moment, reports, digest rows."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.reporting.evidence import EvidenceStore
from core.reporting.reports import record_report
from handlers.base import SERVICES_KEY, Services
from storage.models import Binding, Department, DigestSent, Item
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI, SentMessage
from tests.support.duban import ADMIN, DubanRig

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUP = u.group_chat()
DAY = dt.date(2020, 6, 2)
FARM = u.TgUser(id=610_001, first_name="张农业")


def utc(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2020, 6, day, hour, minute, tzinfo=UTC)


async def start_office_rig(api: FakeBotAPI, url: str, tmp_path: Path) -> DubanRig:
    """The real bot in English (to compare texts), at 08:30 Shanghai on 2020-06-02."""
    rig = DubanRig(api, url, tmp_path / "evidence", overrides={"default_locale": "en"})
    rig.clock.set(utc(2, 0, 30))  # 08:30 in Shanghai: before the digest
    await rig.import_bundled()
    await rig.start()
    return rig


def services(rig: DubanRig) -> Services:
    assert rig.app is not None
    return rig.app.bot_data[SERVICES_KEY]  # type: ignore[no-any-return]


async def set_group(rig: DubanRig) -> SentMessage:
    return await rig.ask(ADMIN, "/setgroup", chat=GROUP)


async def report(rig: DubanRig, department: str, code: str, status: str, when: dt.datetime) -> None:
    """A liaison's report, written the way the bot writes one."""
    async with rig.writing() as session:
        binding_id, department_id = (
            await session.execute(
                select(Binding.id, Binding.department_id)
                .join(Item, Item.id == Binding.item_id)
                .join(Department, Department.id == Binding.department_id)
                .where(Item.code == code, Department.name == department)
            )
        ).one()
        await record_report(
            session,
            EvidenceStore(rig.evidence_dir),
            reporter_tg_id=FARM.id,
            department_id=department_id,
            binding_id=binding_id,
            status=status,
            values={},
            text="进展顺利",
            evidence=[],
            source="test",
            now=when,
        )
        await session.commit()


async def some_reports(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await report(rig, "区农业农村局", "A5.1", "in_progress", utc(1, 5))
    await report(rig, "区农业农村局", "G1", "done", utc(1, 6))


async def digest_rows(rig: DubanRig) -> list[DigestSent]:
    async with rig.session() as session:
        return list(await session.scalars(select(DigestSent).order_by(DigestSent.local_date)))


async def settled_rows(rig: DubanRig) -> list[DigestSent]:
    """The rows once the sender has marked them sent (it does so right after the send)."""
    for _ in range(100):
        rows = await digest_rows(rig)
        if rows and all(r.sent_at is not None for r in rows):
            return rows
        await asyncio.sleep(0.05)
    return await digest_rows(rig)


def group_sends(rig: DubanRig) -> list[SentMessage]:
    return rig.api.messages_to(GROUP.id)


async def wait_digest(rig: DubanRig, since: int) -> tuple[SentMessage, SentMessage]:
    photo = await rig.api.wait_for(chat_id=GROUP.id, method="sendPhoto", since=since, timeout=20)
    text = await rig.api.wait_for(chat_id=GROUP.id, method="sendMessage", since=since, timeout=20)
    return photo, text
