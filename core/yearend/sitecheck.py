"""Site checks (实地核查): a record per visit that a deduction can cite.

`/sitecheck DEPT YYYY-MM-DD who went | findings` (photos: the same as a photo's caption)
records a visit. `/sitecheck cite ID CODE` marks the department's latest confirmed
deduction on item CODE as resting on check S<ID> (the deduction's source becomes
"sitecheck:ID"), logged like every scoring change; the feedback sheet then names it.
"""

from __future__ import annotations

import datetime as dt

from core.text.matching import normalize_code
from core.yearend.feedback import SITECHECK_SOURCE
from core.yearend.interfaces import SiteCheckStore
from core.yearend.state import Acting, YearEndRefused, audit, ensure_not_final, year_end
from core.yearend.values import SiteCheckLine
from storage.models import SiteCheck

MAX_TEXT = 2000


async def record_site_check(
    store: SiteCheckStore,
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
    ensure_not_final(await year_end(store, campaign_id))
    department = await store.department_name(campaign_id, department_id)
    if department is None:
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
    store.stage(check)
    await store.flush()  # the check's id names it in the audit row and the reply
    audit(
        store,
        campaign_id,
        acting,
        "sitecheck",
        subject=f"{department} S{check.id}",
        after=f"{checked_on.isoformat()} {team}",
        reason=findings,
        department_id=department_id,
    )
    return check


async def site_checks(
    store: SiteCheckStore, campaign_id: int, department_id: int | None = None
) -> list[SiteCheckLine]:
    return await store.site_checks(campaign_id, department_id)


async def cite(
    store: SiteCheckStore, campaign_id: int, check_id: int, code_text: str, acting: Acting
) -> tuple[str, str]:
    """The department's latest confirmed deduction on `code_text` now cites the check;
    returns (department, code)."""
    ensure_not_final(await year_end(store, campaign_id))
    check = await store.site_check(check_id)
    if check is None or check.campaign_id != campaign_id:
        raise YearEndRefused("no_sitecheck", id=check_id)
    code = normalize_code(code_text)
    if code is None:
        raise YearEndRefused("no_item", code=code_text)
    for deduction, item_code, department in await store.confirmed_deductions(check.department_id):
        if normalize_code(item_code) != code:
            continue
        before = deduction.source
        deduction.source = f"{SITECHECK_SOURCE}{check.id}"
        audit(
            store,
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
