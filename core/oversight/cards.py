"""/dept and /item as use cases: a department's items, and one item across the
departments it is bound to, with their counts and extension histories.

Both take a `CardReader` (core/oversight/interfaces.py) explicitly; the handlers pass
`core.oversight.overview_sql.SqlOverview` over the update's session, unit tests a fake.
The status of each binding on the update's day is the handler's to read with its
`Reading` (the same model as every screen); nothing here reads a clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.oversight.interfaces import CardReader, DepartmentInfo
from core.reporting.reports import ItemView
from core.status.model import EFFECTIVE_ORDER, Counts, item_order, tally
from core.supervision.interfaces import ExtensionEntry


@dataclass(frozen=True)
class DepartmentCard:
    """/dept: the department's items, most urgent first, and what they count."""

    department: DepartmentInfo
    items: tuple[ItemView, ...]
    counts: Counts
    last_reported_at: dt.datetime | None
    extensions: dict[int, list[ExtensionEntry]] = field(default_factory=dict)


async def department_card(reader: CardReader, department: DepartmentInfo) -> DepartmentCard:
    """The department's items by status (`item_order`), counted by effective status, with
    their extension histories (none read when it has no items)."""
    views = await reader.department_items(department.id)
    views.sort(key=lambda v: item_order(v.effective, v.code))
    counts = tally((v.status, v.review_state) for v in views)
    last = max((v.last_reported_at for v in views if v.last_reported_at), default=None)
    history = await reader.extension_history([v.binding_id for v in views]) if views else {}
    return DepartmentCard(department, tuple(views), counts, last, history)


@dataclass(frozen=True)
class ItemCard:
    """/item: the item in each department bound to it, the least done first."""

    bindings: tuple[ItemView, ...]
    departments: dict[int, DepartmentInfo]
    counts: Counts
    extensions: dict[int, list[ExtensionEntry]] = field(default_factory=dict)

    @property
    def first(self) -> ItemView:
        return self.bindings[0]


async def item_card(reader: CardReader, code: str) -> ItemCard | None:
    """The item `code` of the active campaign in every department it is bound to,
    ordered by effective status, then the departments' document order; None if there is
    no such item (or no campaign)."""
    campaign = await reader.active_campaign()
    views = await reader.item_bindings(code) if code and campaign is not None else []
    if not views or campaign is None:
        return None
    names = {d.id: d for d in await reader.departments(campaign.id)}

    def number(view: ItemView) -> int:
        department = names.get(view.department_id)
        return department.number or 10_000 if department is not None else 10_000

    views.sort(key=lambda v: (EFFECTIVE_ORDER[v.effective], number(v), v.department_id))
    counts = tally((v.status, v.review_state) for v in views)
    history = await reader.extension_history([v.binding_id for v in views])
    return ItemCard(tuple(views), names, counts, history)
