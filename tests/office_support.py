"""Helpers of the office-screen tests: reports set up directly, lookups, English speakers.

Reports made here go through `core.reporting.reports.record_report`, the same function the bot
uses, so the bindings' latest state is what a real report would leave.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from core.people.invites import find_department
from core.reporting.evidence import EvidenceStore
from core.reporting.reports import record_report
from core.reporting.sql import SqlReview
from core.reporting.use_cases import decide
from storage.models import Binding, Department, Item, Target
from tests.support import updates as u
from tests.support.botapi import SentMessage
from tests.support.duban import ADMIN, DubanRig

FARM = u.TgUser(id=610_001, first_name="农业联络员")
FARM_EN = u.TgUser(id=610_002, first_name="Farm", last_name="Deputy")
ECO = u.TgUser(id=610_017, first_name="生态联络员")
STRANGER = u.TgUser(id=610_999, first_name="路人")
GROUP = u.group_chat()


async def department_id(rig: DubanRig, query: str) -> int:
    async with rig.session() as session:
        choice = await find_department(session, query)
        assert choice.found is not None, query
        return choice.found.id


async def binding_id(rig: DubanRig, department: str, code: str) -> int:
    dept = await department_id(rig, department)
    async with rig.session() as session:
        found = await session.scalar(
            select(Binding.id)
            .join(Item, Item.id == Binding.item_id)
            .where(Binding.department_id == dept, Item.code == code)
        )
        assert found is not None, (department, code)
        return found


async def report(
    rig: DubanRig,
    department: str,
    code: str,
    status: str,
    *values: str,
    text: str = "",
    by: u.TgUser | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Record a report (values in target order) as the bot would; its id."""
    bid = await binding_id(rig, department, code)
    async with rig.writing() as session:
        binding = await session.get(Binding, bid)
        assert binding is not None
        targets = (
            await session.scalars(
                select(Target).where(Target.item_id == binding.item_id).order_by(Target.position)
            )
        ).all()
        recorded = await record_report(
            session,
            EvidenceStore(rig.evidence_dir),
            reporter_tg_id=(by or FARM).id,
            department_id=binding.department_id,
            binding_id=bid,
            status=status,
            values={t.id: Decimal(v) for t, v in zip(targets, values, strict=False)},
            text=text,
            evidence=[],
            source="test",
            now=at or rig.clock(),
        )
        await session.commit()
        return recorded.report_id


async def accept(rig: DubanRig, report_id: int) -> None:
    async with rig.writing() as session:
        await decide(
            SqlReview(session),
            report_id=report_id,
            decision="accepted",
            comment="",
            reviewer_tg_id=ADMIN.id,
            now=rig.clock(),
        )
        await session.commit()


async def speak_english(rig: DubanRig, *users: u.TgUser) -> None:
    for user in users:
        reply = await rig.ask(user, "/lang en")
        assert reply.plain_text == "Language set to English."


async def add_departments(rig: DubanRig, count: int, code: str = "G1") -> None:
    """`count` more departments in the active campaign, each bound to item `code`."""
    async with rig.writing() as session:
        item = await session.scalar(select(Item).where(Item.code == code))
        assert item is not None
        for n in range(count):
            department = Department(
                campaign_id=item.campaign_id,
                number=100 + n,
                name=f"区测试单位第{n + 1:03d}号",
                dept_class="B",
                aliases=[],
            )
            session.add(department)
            await session.flush()
            session.add(
                Binding(campaign_id=item.campaign_id, department_id=department.id, item_id=item.id)
            )
        await session.commit()


def _is_sentinel(message: SentMessage) -> bool:
    text = message.plain_text or ""
    return message.kind == "send" and "/lang zh" in text and "/lang en" in text


async def ask_all(
    rig: DubanRig, user: u.TgUser, text: str, *, chat: u.TgChat | None = None
) -> list[SentMessage]:
    """Everything the bot sends to the chat in answer to `text` (possibly nothing).

    The bot handles one update at a time, so a second, known command ("/lang ?", whose
    answer is the /lang usage) marks the end of the first one's answer: no waiting for a
    silence that may or may not come. Do not use it for /lang without arguments.
    """
    chat = chat or u.private_chat(user)
    since = rig.api.mark()
    rig.inject(
        u.command(user, text, chat) if text.startswith("/") else u.text_message(user, text, chat)
    )
    rig.inject(u.command(user, "/lang ?", chat))
    end = await rig.api.wait_for(_is_sentinel, chat_id=chat.id, since=since, timeout=15)
    return [
        m for m in rig.api.messages_to(chat.id, include_edits=True) if since <= m.index < end.index
    ]


async def press_all(
    rig: DubanRig, user: u.TgUser, message: SentMessage, data: str
) -> list[SentMessage]:
    """Everything the bot sends or edits in answer to pressing `data` on `message`, in a
    private chat (the end marked as `ask_all` marks it)."""
    assert data in message.callback_data, f"{data!r} not in {message.callback_data}"
    since = rig.api.mark()
    rig.inject(u.callback_query(user, data, message))
    rig.inject(u.command(user, "/lang ?", u.private_chat(user)))
    end = await rig.api.wait_for(_is_sentinel, chat_id=message.chat_id, since=since, timeout=15)
    return [
        m
        for m in rig.api.messages_to(message.chat_id, include_edits=True)
        if since <= m.index < end.index
    ]


async def overdue_pages(rig: DubanRig, user: u.TgUser) -> list[list[SentMessage]]:
    """/overdue and every page after it, "next ▶" pressed until there is none."""
    pages = [await ask_all(rig, user, "/overdue")]
    offset = 0
    while True:
        ahead = [
            (int(data[3:]), message, data)
            for message in pages[-1]
            for data in message.callback_data
            if data.startswith("od:") and int(data[3:]) > offset
        ]
        if not ahead:
            return pages
        offset, message, data = min(ahead, key=lambda found: found[0])
        pages.append(await press_all(rig, user, message, data))


async def overdue_text(rig: DubanRig, user: u.TgUser) -> str:
    """The whole /overdue list as text, every page."""
    return "\n".join(m.plain_text or "" for page in await overdue_pages(rig, user) for m in page)
