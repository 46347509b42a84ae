"""Set-up shared by the year-end tests: the bundled 2020 campaign with a B-class unit,
the default scheme confirmed with veto conditions, and every item scored through the
scoring engine's own acts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.assessment.adjust import add_department
from core.assessment.campaigns import BUNDLED_DOCUMENT, create_campaign, load_file
from core.assessment.sql import SqlAssessment
from core.scoring.acts import apply_veto, score_item
from core.scoring.sql import SqlScoring
from core.scoring.usecases import Actor, confirm_scheme, define_veto, ensure_scheme
from storage.db import AsyncSession
from storage.models import VETO_DOWN_ONE, VETO_FAIL, VETO_NO_TOP

OFFICE_ID = 900_001
FARM = "区农业农村局"
COMMERCE = "区商务局"
ARCHIVE = "区档案馆"


async def campaign_with_scheme(session: AsyncSession, now: dt.datetime) -> int:
    """The bundled campaign imported, then `confirm_with_vetoes`; the campaign's id."""
    outcome = await create_campaign(
        session, load_file(BUNDLED_DOCUMENT), source_name=BUNDLED_DOCUMENT.name
    )
    await confirm_with_vetoes(session, now)
    return outcome.campaign_id


async def confirm_with_vetoes(session: AsyncSession, now: dt.datetime) -> None:
    """On the active campaign: 区档案馆 added (class B), the default scheme and three veto
    conditions (one of each effect) confirmed."""
    await add_department(
        SqlAssessment(session), name=ARCHIVE, dept_class="B", actor_tg_id=OFFICE_ID, now=now
    )
    store = SqlScoring(session)
    actor = Actor(OFFICE_ID, now)
    await ensure_scheme(store, store, actor)
    for code, effect, name in (
        ("V1", VETO_FAIL, "发生重大生态环境事件"),
        ("V2", VETO_NO_TOP, "被中央环保督察通报"),
        ("V3", VETO_DOWN_ONE, "数据造假"),
    ):
        await define_veto(store, store, actor, code=code, effect=effect, name=name)
    await confirm_scheme(store, store, actor)


async def score_everything(
    session: AsyncSession,
    now: dt.datetime,
    deductions: dict[tuple[str, str], tuple[Decimal, str]],
) -> None:
    """Every binding with points scored: full marks, except `deductions` (department,
    code) -> (points taken off, reason)."""
    store = SqlScoring(session)
    actor = Actor(OFFICE_ID, now)
    book = await store.book((await store.campaign(None)).id)  # type: ignore[union-attr]
    for department in book.departments:
        for line in book.lines_of(department.id):
            if line.points is None:
                continue
            off, reason = deductions.get((department.name, line.code), (Decimal(0), ""))
            await score_item(
                store,
                store,
                actor,
                department=department,
                code=line.code,
                score=line.points - off,
                reason=reason,
            )


async def veto(session: AsyncSession, now: dt.datetime, department: str, code: str) -> None:
    store = SqlScoring(session)
    await apply_veto(
        store,
        store,
        Actor(OFFICE_ID, now),
        department=department,
        condition=code,
        grounds="2020年8月发生较大突发环境事件",
        confirmed_by="市生态环境局",
    )
