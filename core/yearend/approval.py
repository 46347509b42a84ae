"""Approval (审定), final (定稿), reopening, the results notice, and who sees a result.

`/approve` records the approving body, date and document number once every department's
re-check window has ended and no appeal is open; `/finalize` then locks every score
(`state.ensure_not_final`). Reopening is an admin's logged act that returns to before
approval. Until final a liaison sees only their own department's result and only after
its feedback; leaders and admins see all.
"""

from __future__ import annotations

import datetime as dt

from core.people.permissions import Role
from core.scoring.engine import in_rank_order
from core.text.i18n import Translate
from core.yearend.documents import ClassTable, RankedLine, ResultsNotice, plan_title
from core.yearend.feedback import class_label, scored
from core.yearend.interfaces import ApprovalStore, NoticeReader
from core.yearend.state import Acting, YearEndRefused, audit, ensure_not_final, keep, year_end
from storage.models import YearEnd

MAX_BODY = 200
MAX_NUMBER = 100


async def _windows_ended(store: ApprovalStore, campaign_id: int, today: dt.date) -> None:
    """Every department was given its result, every re-check window ended, no appeal open."""
    progress = await store.feedback_progress(campaign_id)
    if not progress.fed_back or progress.fed_back < progress.departments:
        raise YearEndRefused("no_feedback_yet")
    if progress.last_deadline is not None and today <= progress.last_deadline:
        raise YearEndRefused("window_running", deadline=progress.last_deadline)
    still_open = await store.open_appeals(campaign_id)
    if still_open:
        raise YearEndRefused("appeals_open", count=len(still_open))


async def approve(
    store: ApprovalStore,
    campaign_id: int,
    *,
    body: str,
    approved_on: dt.date,
    number: str,
    acting: Acting,
) -> YearEnd:
    body, number = body.strip(), number.strip()
    if not body or not number:
        raise YearEndRefused("approval_incomplete")
    row = await year_end(store, campaign_id)
    ensure_not_final(row)
    if approved_on > acting.today:
        raise YearEndRefused("bad_deadline", deadline=approved_on)
    await _windows_ended(store, campaign_id, acting.today)
    keep(store, row)
    row.approval_body, row.approval_number = body[:MAX_BODY], number[:MAX_NUMBER]
    row.approval_date = approved_on
    row.approved_at, row.approved_by = acting.now, acting.tg_id
    audit(
        store,
        campaign_id,
        acting,
        "approve",
        subject="审定",
        after=f"{body} {approved_on.isoformat()} {number}",
    )
    return row


async def finalize(store: ApprovalStore, campaign_id: int, acting: Acting) -> YearEnd:
    row = await year_end(store, campaign_id)
    ensure_not_final(row)
    if row.approved_at is None:
        raise YearEndRefused("not_approved")
    still_open = await store.open_appeals(campaign_id)
    if still_open:
        raise YearEndRefused("appeals_open", count=len(still_open))
    keep(store, row)
    row.finalized_at, row.finalized_by = acting.now, acting.tg_id
    audit(store, campaign_id, acting, "finalize", subject="定稿")
    return row


async def reopen(store: ApprovalStore, campaign_id: int, reason: str, acting: Acting) -> YearEnd:
    """Back to before approval: the approval and the lock are lifted, with the reason."""
    reason = reason.strip()
    if not reason:
        raise YearEndRefused("reason_needed")
    row = await year_end(store, campaign_id)
    if row.approved_at is None and row.finalized_at is None:
        raise YearEndRefused("not_approved")
    keep(store, row)
    before = "final" if row.finalized_at else "approved"
    row.finalized_at = row.finalized_by = None
    row.approved_at = row.approved_by = row.approval_date = None
    row.approval_body = row.approval_number = ""
    audit(store, campaign_id, acting, "reopen", subject="定稿", before=before, reason=reason)
    return row


async def results_notice(
    reader: NoticeReader, campaign_id: int, _: Translate, *, office: str
) -> ResultsNotice:
    """The 考核结果通报's content; only once the results are approved."""
    row = await reader.year_end_row(campaign_id)
    if row is None or row.approved_at is None or row.approval_date is None:
        raise YearEndRefused("not_approved")
    book, results = await scored(reader, campaign_id)
    tables = []
    ordered = in_rank_order(results)
    names = {c.code: c.name for c in book.conditions}
    vetoes: dict[int, list[str]] = {}
    for veto in book.vetoes:
        vetoes.setdefault(veto.department_id, []).append(
            names.get(veto.condition_code, veto.condition_name)
        )
    for dept_class in sorted({r.dept_class for r in ordered}):
        tables.append(
            ClassTable(
                label=class_label(dept_class, _),
                lines=tuple(
                    RankedLine(
                        rank=r.rank,
                        department=r.name,
                        total=r.score,
                        grade=r.grade,
                        converted=r.converted,
                        vetoes=tuple(vetoes.get(r.department_id, ())),
                    )
                    for r in ordered
                    if r.dept_class == dept_class
                ),
            )
        )
    return ResultsNotice(
        plan_title=plan_title(book.campaign.title),
        year=book.campaign.year or row.approval_date.year,
        approving_body=row.approval_body,
        document_number=row.approval_number,
        approved_on=row.approval_date,
        issued_by=office,
        classes=tuple(tables),
    )


def may_see_result(
    role: Role,
    own_department_id: int | None,
    department_id: int,
    *,
    fed_back: bool,
    final: bool,
) -> bool:
    """Whether someone of `role` (of `own_department_id`) may see `department_id`'s result.

    Leaders and admins see every result; a liaison sees their own department's once it
    was fed back, and every department's once the results are final (the notice is
    circulated then); strangers nothing.
    """
    if role in (Role.ADMIN, Role.LEADER):
        return True
    if role is not Role.LIAISON:
        return False
    if final:
        return True
    return own_department_id == department_id and fed_back
