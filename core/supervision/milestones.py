"""Dated steps of an item's text ("6月底前完成摸底排查，年底前完成整治"): its milestones.

The importer keeps the latest date as the item's deadline (`find_deadline`); every date is
kept here as a milestone, oldest first, so each is due in turn
(`core.status.model.current_step`). The office may replace them (/milestones), through
the `MilestonesStore` of core/supervision/interfaces.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.assessment.importer.deadlines import find_deadline
from core.supervision.interfaces import MilestonesStore
from core.text.matching import normalize_code

# A clause of an item's text: one step ("6月底前完成摸底排查").
_CLAUSE_BREAKS = "，,；;。"


def dated_steps(text: str, campaign_year: int | None) -> tuple[dt.date, ...]:
    """Every date an item's text names as a step, oldest first; `()` when it names fewer
    than two (a single date is the item's deadline, nothing before it)."""
    clauses = [text]
    for mark in _CLAUSE_BREAKS:
        clauses = [part for clause in clauses for part in clause.split(mark)]
    found = {day for clause in clauses if (day := find_deadline(clause, campaign_year))}
    return tuple(sorted(found)) if len(found) >= 2 else ()


def as_stored(steps: Iterable[dt.date]) -> list[str]:
    return [day.isoformat() for day in sorted(set(steps))]


class MilestonesRefused(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class MilestonesSet:
    code: str
    title: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    deadline: dt.date | None


def parse_dates(words: Sequence[str]) -> tuple[dt.date, ...]:
    """`2020-06-30 2020-09-30` -> dates; raises MilestonesRefused("bad_date", word)."""
    found: list[dt.date] = []
    for word in words:
        try:
            found.append(dt.date.fromisoformat(word))
        except ValueError:
            raise MilestonesRefused("bad_date", word[:20]) from None
    return tuple(sorted(set(found)))


async def set_milestones(
    store: MilestonesStore,
    *,
    code: str,
    steps: Sequence[dt.date],
    actor_tg_id: int,
    now: dt.datetime,
) -> MilestonesSet:
    """Replace an item's milestones (none: clear them); audited. A step on or after the
    item's deadline is refused: the deadline is the last step."""
    campaign = await store.active_campaign()
    if campaign is None:
        raise MilestonesRefused("no_campaign")
    normal = normalize_code(code)
    found = await store.item(campaign.id, normal) if normal else None
    if found is None:
        raise MilestonesRefused("no_item", (normal or code)[:20])
    if found.deadline is not None and any(step >= found.deadline for step in steps):
        raise MilestonesRefused("after_deadline", found.deadline.isoformat())
    new = as_stored(steps)
    await store.set_milestones(found.id, new)
    store.audit(
        at=now,
        actor_tg_id=actor_tg_id,
        action="milestones",
        detail={"item_id": found.id, "code": found.code, "old": list(found.milestones), "new": new},
    )
    await store.flush()
    return MilestonesSet(found.code, found.title, found.milestones, tuple(new), found.deadline)
