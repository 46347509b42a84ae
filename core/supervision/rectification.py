"""Rectification (整改): its default due date, and the department's measures.

A returned report may open a rectification (`core.reporting.review.decide`); this module
says when it is due by default (N working days after the return) and records the
department's measures (整改措施) that the return asks for (/measures CODE text), through
the `MeasuresStore` of core/supervision/interfaces.py.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from core.scheduling.workdays import WorkingDay
from core.supervision.interfaces import MeasuresStore
from core.text.dates import BadDate, parse_date
from core.text.matching import normalize_code


def working_days_after(day: dt.date, count: int, is_working: WorkingDay) -> dt.date:
    """The `count`-th working day after `day`."""
    found = day
    while count > 0:
        found += dt.timedelta(days=1)
        count -= is_working(found)
    return found


# A return's comment may begin by choosing the rectification: "整改 2020-07-10 …",
# "rectify 2020-07-10 …", or "无需整改 …" / "no rectification …" for none.
_CHOSEN = re.compile(
    r"^\s*(?:整改|rectify|rectification)\s*[:：]?\s*"
    r"(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)\s*(.*)$",
    re.I | re.S,
)
_NONE = re.compile(
    r"^\s*(?:无需整改|不需整改|no rectification)\s*[,，:：。.]?\s*(.*)$", re.I | re.S
)


@dataclass(frozen=True)
class ReturnPlan:
    rectification_due: dt.date | None
    comment: str


def plan_return(
    comment: str, today: dt.date, default_days: int, is_working: WorkingDay
) -> ReturnPlan:
    """The rectification a return's comment asks for: a date it names, none when it says
    so, else `default_days` working days from today. Raises BadDate for a named date that
    is not one, or is not after today."""
    none = _NONE.match(comment)
    if none:
        return ReturnPlan(None, none[1].strip())
    chosen = _CHOSEN.match(comment)
    if chosen:
        due = parse_date(chosen[1])
        if due <= today:
            raise BadDate(chosen[1])
        return ReturnPlan(due, chosen[2].strip())
    return ReturnPlan(working_days_after(today, default_days, is_working), comment.strip())


class MeasuresRefused(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class MeasuresSent:
    code: str
    department_id: int
    rectification_due: dt.date


async def send_measures(
    store: MeasuresStore,
    *,
    code: str,
    text: str,
    department_id: int,
    actor_tg_id: int,
    now: dt.datetime,
) -> MeasuresSent:
    """Record the department's rectification measures for its open rectification."""
    text = text.strip()
    if not text:
        raise MeasuresRefused("no_text")
    campaign = await store.active_campaign()
    if campaign is None:
        raise MeasuresRefused("no_campaign")
    normal = normalize_code(code)
    binding = await store.department_binding(campaign.id, department_id, normal) if normal else None
    if binding is None:
        raise MeasuresRefused("no_item", (normal or code)[:20])
    if binding.rectification_due is None:
        raise MeasuresRefused("no_rectification", normal or code)
    await store.set_measures(binding.binding_id, text[:2000])
    store.audit(
        at=now,
        actor_tg_id=actor_tg_id,
        action="rectification_measures",
        detail={"binding_id": binding.binding_id, "length": len(text)},
    )
    await store.flush()
    return MeasuresSent(normal or code, department_id, binding.rectification_due)
