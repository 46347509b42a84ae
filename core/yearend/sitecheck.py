"""Site checks (实地核查): a record per visit that a deduction can cite.

`/sitecheck DEPT YYYY-MM-DD who went | findings` (photos: the same as a photo's caption)
records a visit. `/sitecheck cite ID CODE` marks the department's latest confirmed
deduction on item CODE as resting on check S<ID> (the deduction's source becomes
"sitecheck:ID"), logged like every scoring change; the feedback sheet then names it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text.matching import normalize_code
from core.yearend.feedback import SITECHECK_SOURCE
from core.yearend.state import Acting, YearEndRefused, audit, ensure_not_final, year_end
from storage.models import (
    DEDUCTION_CONFIRMED,
    Binding,
    Deduction,
    Department,
    Item,
    SiteCheck,
)

MAX_TEXT = 2000


@dataclass(frozen=True)
class SiteCheckLine:
    id: int
    department: str
    checked_on: dt.date
    team: str
    findings: str
    photos: int


async def record_site_check(
    session: AsyncSession,
    campaign_id: int,
    department_id: int,
    *,
    checked_on: dt.date,
    team: str,
    findings: str,
    photos: list[str],
    acting: Acting,
) -> SiteCheck:
    team, findings = team.strip(), findings.strip()
    if not team or not findings:
        raise YearEndRefused("sitecheck_incomplete")
    if checked_on > acting.today:
        raise YearEndRefused("bad_deadline", deadline=checked_on)
    ensure_not_final(await year_end(session, campaign_id))
    department = await session.get(Department, department_id)
    if department is None or department.campaign_id != campaign_id:
        raise YearEndRefused("no_department")
    check = SiteCheck(
        campaign_id=campaign_id,
        department_id=department_id,
        checked_on=checked_on,
        team=team[:MAX_TEXT],
        findings=findings[:MAX_TEXT],
        photos=photos,
        created_by=acting.tg_id,
        created_at=acting.now,
    )
    session.add(check)
    await session.flush()
    audit(
        session,
        campaign_id,
        acting,
        "sitecheck",
        subject=f"{department.name} S{check.id}",
        after=f"{checked_on.isoformat()} {team}",
        reason=findings,
        department_id=department_id,
    )
    return check


async def site_checks(
    session: AsyncSession, campaign_id: int, department_id: int | None = None
) -> list[SiteCheckLine]:
    query = (
        select(SiteCheck, Department.name)
        .join(Department, Department.id == SiteCheck.department_id)
        .where(SiteCheck.campaign_id == campaign_id)
        .order_by(SiteCheck.checked_on, SiteCheck.id)
    )
    if department_id is not None:
        query = query.where(SiteCheck.department_id == department_id)
    return [
        SiteCheckLine(c.id, name, c.checked_on, c.team, c.findings, len(c.photos or ()))
        for c, name in await session.execute(query)
    ]


async def cite(
    session: AsyncSession, campaign_id: int, check_id: int, code_text: str, acting: Acting
) -> tuple[str, str]:
    """The department's latest confirmed deduction on `code_text` now cites the check;
    returns (department, code)."""
    ensure_not_final(await year_end(session, campaign_id))
    check = await session.get(SiteCheck, check_id)
    if check is None or check.campaign_id != campaign_id:
        raise YearEndRefused("no_sitecheck", id=check_id)
    code = normalize_code(code_text)
    if code is None:
        raise YearEndRefused("no_item", code=code_text)
    rows = await session.execute(
        select(Deduction, Item.code, Department.name)
        .join(Binding, Binding.id == Deduction.binding_id)
        .join(Item, Item.id == Binding.item_id)
        .join(Department, Department.id == Binding.department_id)
        .where(
            Binding.department_id == check.department_id,
            Deduction.state == DEDUCTION_CONFIRMED,
        )
        .order_by(Deduction.id.desc())
    )
    for deduction, item_code, department in rows:
        if normalize_code(item_code) != code:
            continue
        before = deduction.source
        deduction.source = f"{SITECHECK_SOURCE}{check.id}"
        audit(
            session,
            campaign_id,
            acting,
            "sitecheck_cite",
            subject=f"{department} {item_code}",
            before=before,
            after=deduction.source,
            reason=deduction.reason,
            department_id=check.department_id,
            binding_id=deduction.binding_id,
        )
        return department, item_code
    raise YearEndRefused("no_deduction", code=code_text)
