"""Per-department counts by effective status, written once (issue 19, point 6).

/status (`core.oversight.overview_sql.SqlOverview.tally`), the digest
(`core.digest.sql.SqlDigest.tally_as_of`) and the export (`core.export.gather.open_export`)
each count a department's bindings by effective status. They read different facts (the
bindings now, or as of a digest's moment), so each passes its columns; the grouping, the
status rule applied to the groups (`fold_tally`), and the department's last report and
first binding (for its silence) are here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, FromClause, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.status.model import Counts, effective_status
from storage.models import UTCDateTime


@dataclass(frozen=True)
class DepartmentTally:
    """Each department's counts by effective status, its last report and first binding."""

    counts: dict[int, Counts] = field(default_factory=dict)
    last_reported_at: dict[int, dt.datetime] = field(default_factory=dict)
    first_bound_at: dict[int, dt.datetime] = field(default_factory=dict)

    def of(self, department_id: int) -> Counts:
        return self.counts.get(department_id, Counts())

    @property
    def totals(self) -> Counts:
        totals = Counts()
        for counts in self.counts.values():
            for status in ("not_started", "in_progress", "blocked", "pending_review", "done"):
                totals.add(status, counts.get(status))
        return totals


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def department_tally(
    executor: AsyncSession | AsyncConnection,
    *,
    department_id: Any,
    status: Any,
    review_state: Any,
    reported_at: Any,
    bound_at: Any,
    where: ColumnElement[bool],
    select_from: FromClause | None = None,
) -> DepartmentTally:
    """One grouped query: bindings per (department, status, review state), folded by
    `fold_tally`. The columns are the caller's (the bindings now, or as of a moment), so
    this is the SQL readers' helper (`core.oversight.overview_sql`, `core.digest.sql`,
    the export)."""
    statement = select(
        department_id,
        status,
        review_state,
        func.count(),
        type_coerce(func.max(reported_at), UTCDateTime),
        type_coerce(func.min(bound_at), UTCDateTime),
    )
    if select_from is not None:
        statement = statement.select_from(select_from)
    statement = statement.where(where).group_by(department_id, status, review_state)
    return fold_tally(tuple(row) for row in await executor.execute(statement))


TallyRow = tuple[int, str, str | None, int, dt.datetime | None, dt.datetime | None]


def fold_tally(rows: Iterable[TallyRow]) -> DepartmentTally:
    """Grouped rows (department, stored status, review state, count, latest report, first
    binding) folded by the status model's `effective_status`: what a reader returns as
    `DepartmentTally`, the rule in one place."""
    tally = DepartmentTally()
    for dept, stored, review, count, latest, bound in rows:
        tally.counts.setdefault(dept, Counts()).add(effective_status(stored, review), int(count))
        latest, bound = _utc(latest), _utc(bound)
        seen = tally.last_reported_at.get(dept)
        if latest is not None and (seen is None or latest > seen):
            tally.last_reported_at[dept] = latest
        first = tally.first_bound_at.get(dept)
        if bound is not None and (first is None or bound < first):
            tally.first_bound_at[dept] = bound
    return tally
