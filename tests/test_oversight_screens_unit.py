"""/status, /overdue, /dept and /item as use cases on recording fakes of their readers
(issue 19, point 5): `status_overview` and `read_overdue` (core.oversight.overview) given
an `OverviewReader` / `OverdueReader` and the update's `Reading`, `department_card` and
`item_card` (core.oversight.cards) given a `CardReader`; no database. What an office
reader checks: departments worst first with their counts and silence, the red and yellow
counts, the overdue list's pages in the document's order and what it counts in all, a
department's items most urgent first, an item's departments least done first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from core.oversight.cards import department_card, item_card
from core.oversight.interfaces import (
    DepartmentFacts,
    DepartmentFound,
    DepartmentInfo,
    OverdueCount,
    OverdueRow,
)
from core.oversight.overview import read_overdue, status_overview
from core.reporting.reports import ItemView
from core.status.counts import DepartmentTally, fold_tally
from core.status.day import Day, Reading
from core.status.interfaces import CampaignRef, ItemSchedule
from core.status.model import Facts, Rules
from core.supervision.interfaces import ExtensionEntry

TZ = ZoneInfo("Asia/Shanghai")
RULES = Rules(TZ, yellow_days=7, silent_days=14)
NOW = dt.datetime(2020, 6, 30, 2, 0, tzinfo=dt.UTC)  # 10:00 local, 30 June
READING = Reading(NOW, RULES)
CAMPAIGN = CampaignRef(1, "2020年度目标", 2020, dt.date(2020, 3, 1))
BOUND = dt.datetime(2020, 3, 1, 1, 0, tzinfo=dt.UTC)


def facts(
    status: str = "in_progress",
    review: str | None = None,
    *,
    deadline: dt.date | None = dt.date(2020, 12, 31),
    reported: dt.datetime | None = NOW - dt.timedelta(days=1),
) -> Facts:
    return Facts(status, review, deadline, 2020, reported, BOUND)


class FakeReader:
    """`OverviewReader` and `OverdueReader` over lists; records every call."""

    def __init__(
        self,
        *,
        campaign: CampaignRef | None = CAMPAIGN,
        departments: Sequence[DepartmentInfo] = (),
        bindings: Sequence[tuple[int, str, str, Facts]] = (),  # department, code, title
    ) -> None:
        self.campaign = campaign
        self.department_list = list(departments)
        self.bindings = list(bindings)
        self.calls: list[tuple[object, ...]] = []

    async def active_campaign(self) -> CampaignRef | None:
        self.calls.append(("active_campaign",))
        return self.campaign

    async def schedule(self, campaign_id: int) -> list[ItemSchedule]:
        self.calls.append(("schedule", campaign_id))
        return []

    async def departments(self, campaign_id: int) -> list[DepartmentInfo]:
        self.calls.append(("departments", campaign_id))
        return self.department_list

    async def tally(self, campaign_id: int) -> DepartmentTally:
        self.calls.append(("tally", campaign_id))
        groups: dict[tuple[int, str, str | None], list[Facts]] = {}
        for department_id, _code, _title, f in self.bindings:
            groups.setdefault((department_id, f.status, f.review_state), []).append(f)
        return fold_tally(
            (
                dept,
                status,
                review,
                len(group),
                max((f.last_reported_at for f in group if f.last_reported_at), default=None),
                min(f.bound_at for f in group),
            )
            for (dept, status, review), group in groups.items()
        )

    async def department_facts(self, campaign: CampaignRef) -> list[DepartmentFacts]:
        self.calls.append(("department_facts", campaign.id))
        return [DepartmentFacts(d, f) for d, _code, _title, f in self.bindings]

    def _overdue(self, day: Day) -> list[tuple[int, int, str, str, Facts]]:
        # What the SQL clauses select: the model's overdue, by the same day.
        return [
            (n, d, code, title, f)
            for n, (d, code, title, f) in enumerate(self.bindings, start=1)
            if day.assess(f).overdue
        ]

    async def overdue_counts(
        self, campaign: CampaignRef, day: Day, *, department_id: int | None = None
    ) -> list[OverdueCount]:
        self.calls.append(("overdue_counts", campaign.id, department_id))
        numbers = {d.id: d.number for d in self.department_list}
        counts: dict[int, list[int]] = {}
        for _n, d, _code, _title, f in self._overdue(day):
            state = day.assess(f)
            entry = counts.setdefault(d, [0, 0, 0])
            entry[0] += 1
            entry[1] += state.past_due
            entry[2] += state.silent
        # Unordered, as a database may return them.
        return [OverdueCount(d, numbers[d], *c) for d, c in reversed(counts.items())]

    async def overdue_rows(
        self, campaign: CampaignRef, day: Day, *, department_ids: Sequence[int] | None = None
    ) -> list[OverdueRow]:
        self.calls.append(("overdue_rows", campaign.id, tuple(department_ids or ())))
        names = {d.id: d for d in self.department_list}
        return [
            OverdueRow(n, d, names[d].name, names[d].number, code, title, f)
            for n, d, code, title, f in self._overdue(day)
            if department_ids is None or d in department_ids
        ]


FARM = DepartmentInfo(10, "区农业农村局", 2, "A")
ECO = DepartmentInfo(11, "区生态环境局", 1, "A")
WATER = DepartmentInfo(12, "区水务局", 3, "B")


async def test_status_lists_departments_worst_first_with_silence_and_colours() -> None:
    long_ago = NOW - dt.timedelta(days=20)
    reader = FakeReader(
        departments=[ECO, FARM, WATER],
        bindings=[
            (ECO.id, "A1", "大气", facts("done", "accepted")),
            (ECO.id, "A2", "水质", facts("done", "accepted")),
            # Past its deadline: red. Reported 20 days ago: the department is silent.
            (FARM.id, "B1", "秸秆", facts(deadline=dt.date(2020, 6, 1), reported=long_ago)),
            (FARM.id, "B2", "化肥", facts("done", "accepted", reported=long_ago)),
            # Due in three days: yellow.
            (WATER.id, "C1", "河长制", facts(deadline=dt.date(2020, 7, 3))),
            (WATER.id, "C2", "供水", facts("blocked")),
        ],
    )
    view = await status_overview(reader, READING)
    assert view is not None
    overview = view.overview
    assert overview.title == "2020年度目标"
    # Lowest rate first; WATER (0 %) before FARM (50 %) before ECO (100 %).
    assert [d.name for d in overview.departments] == ["区水务局", "区农业农村局", "区生态环境局"]
    water, farm, eco = overview.departments
    assert (water.counts.done, water.counts.blocked, water.counts.total) == (0, 1, 2)
    assert (farm.counts.done, farm.counts.total) == (1, 2)
    assert farm.silent and farm.quiet_days == 20
    assert not eco.silent and not water.silent
    assert (overview.totals.done, overview.totals.total) == (3, 6)
    assert view.colours[FARM.id]["red"] == 1
    assert view.colours[WATER.id]["yellow"] == 1
    assert view.colours[ECO.id] == {"red": 0, "yellow": 0}
    # Read once each, with the update's day: never once per department.
    assert [c[0] for c in reader.calls] == [
        "active_campaign",
        "schedule",
        "departments",
        "tally",
        "department_facts",
    ]
    assert view.day.today == dt.date(2020, 6, 30)


async def test_status_without_a_campaign_reads_nothing_more() -> None:
    reader = FakeReader(campaign=None)
    assert await status_overview(reader, READING) is None
    assert reader.calls == [("active_campaign",)]


def many_overdue() -> FakeReader:
    """Three departments with 25, 10 and 5 items past their deadline (document order:
    ECO, FARM, WATER by number); WATER's are also silent."""
    late = dt.date(2020, 6, 1)
    bindings: list[tuple[int, str, str, Facts]] = []
    for dept, count, reported in ((FARM, 10, None), (ECO, 25, None), (WATER, 5, "old")):
        for n in range(count):
            when = NOW - dt.timedelta(days=30) if reported else NOW - dt.timedelta(days=1)
            bindings.append((dept.id, f"X{n + 1}", "事项", facts(deadline=late, reported=when)))
    bindings.append((ECO.id, "OK1", "按期", facts()))  # on track: never listed
    return FakeReader(departments=[FARM, ECO, WATER], bindings=bindings)


async def test_overdue_pages_through_the_list_in_document_order() -> None:
    reader = many_overdue()
    first = await read_overdue(reader, READING, offset=0, limit=30)
    assert first is not None
    page = first.page
    assert (page.total, page.past_due, page.silent, page.departments) == (40, 40, 5, 3)
    assert page.per_department == {ECO.id: 25, FARM.id: 10, WATER.id: 5}
    # ECO (number 1) first, all 25, then FARM's first five; codes in natural order.
    assert [e.department_name for e in page.rows].count("区生态环境局") == 25
    assert [e.code for e in page.rows[:3]] == ["X1", "X2", "X3"]
    assert [e.code for e in page.rows[25:]] == ["X1", "X2", "X3", "X4", "X5"]
    assert {e.department_id for e in page.rows[25:]} == {FARM.id}
    # Only the departments the page reaches were read row by row.
    assert ("overdue_rows", 1, (ECO.id, FARM.id)) in reader.calls

    reader.calls.clear()
    second = await read_overdue(reader, READING, offset=30, limit=30)
    assert second is not None
    rows = second.page.rows
    assert len(rows) == 10 and second.page.offset == 30
    assert [e.code for e in rows[:5]] == ["X6", "X7", "X8", "X9", "X10"]
    assert {e.department_id for e in rows[5:]} == {WATER.id}
    # WATER's are past due and silent: 30 days without a report.
    assert all(e.past_deadline and e.silent_days == 30 for e in rows[5:])
    assert ("overdue_rows", 1, (FARM.id, WATER.id)) in reader.calls


async def test_nothing_overdue_reads_no_rows() -> None:
    reader = FakeReader(departments=[FARM], bindings=[(FARM.id, "B1", "秸秆", facts())])
    screen = await read_overdue(reader, READING)
    assert screen is not None
    assert screen.page.total == 0 and screen.page.rows == ()
    assert screen.day.rules.silent_days == 14
    assert not any(call[0] == "overdue_rows" for call in reader.calls)


# ---------------------------------------------------------------- /dept and /item


def view(
    binding_id: int, department_id: int, code: str, status: str, review: str = "none"
) -> ItemView:
    return ItemView(
        binding_id=binding_id,
        item_id=binding_id,
        department_id=department_id,
        code=code,
        title="事项",
        text="事项内容",
        kind="general",
        deadline=dt.date(2020, 12, 31),
        status=status,
        review_state=review,
        last_reported_at=NOW - dt.timedelta(days=binding_id),
        report_count=1,
        evidence_count=0,
        evidence_required=False,
        bound_at=BOUND,
        campaign_year=2020,
    )


class FakeCards(FakeReader):
    """`CardReader` over item views; records every call."""

    def __init__(
        self,
        views: Sequence[ItemView],
        *,
        campaign: CampaignRef | None = CAMPAIGN,
        departments: Sequence[DepartmentInfo] = (),
    ) -> None:
        super().__init__(campaign=campaign, departments=departments)
        self.views = list(views)

    async def find_department(self, query: str) -> DepartmentFound:
        self.calls.append(("find_department", query))
        found = [d for d in self.department_list if query in d.name]
        return DepartmentFound(found[0]) if len(found) == 1 else DepartmentFound(None, tuple(found))

    async def department(self, department_id: int) -> DepartmentInfo | None:
        self.calls.append(("department", department_id))
        return next((d for d in self.department_list if d.id == department_id), None)

    async def department_items(self, department_id: int) -> list[ItemView]:
        self.calls.append(("department_items", department_id))
        return [v for v in self.views if v.department_id == department_id]

    async def item_bindings(self, code: str) -> list[ItemView]:
        self.calls.append(("item_bindings", code))
        return [v for v in self.views if v.code == code]

    async def extension_history(
        self, binding_ids: Sequence[int]
    ) -> dict[int, list[ExtensionEntry]]:
        self.calls.append(("extension_history", tuple(binding_ids)))
        return {}


async def test_a_department_card_counts_its_items_blocked_first() -> None:
    reader = FakeCards(
        [
            view(1, FARM.id, "B1", "done", "accepted"),
            view(2, FARM.id, "B2", "blocked"),
            view(3, FARM.id, "B3", "in_progress"),
            view(4, ECO.id, "A1", "in_progress"),
        ],
        departments=[ECO, FARM],
    )
    card = await department_card(reader, FARM)
    assert [v.code for v in card.items] == ["B2", "B3", "B1"]
    assert (card.counts.done, card.counts.blocked, card.counts.total) == (1, 1, 3)
    assert card.last_reported_at == NOW - dt.timedelta(days=1)
    assert ("extension_history", (2, 3, 1)) in reader.calls
    # A department without items: nothing more is read.
    empty = FakeCards([], departments=[WATER])
    card = await department_card(empty, WATER)
    assert card.items == () and card.counts.total == 0
    assert [c[0] for c in empty.calls] == ["department_items"]


async def test_an_item_card_lists_its_departments_least_done_first() -> None:
    reader = FakeCards(
        [
            view(1, ECO.id, "G1", "done", "accepted"),
            view(2, WATER.id, "G1", "not_started"),
            view(3, FARM.id, "G1", "not_started"),
            view(4, FARM.id, "G2", "blocked"),
        ],
        departments=[ECO, FARM, WATER],
    )
    card = await item_card(reader, "G1")
    assert card is not None
    # Not started before done; among equals, the document's order (FARM is number 2).
    assert [card.departments[v.department_id].name for v in card.bindings] == [
        "区农业农村局",
        "区水务局",
        "区生态环境局",
    ]
    assert (card.counts.done, card.counts.total) == (1, 3)
    assert await item_card(reader, "Z9") is None
    no_campaign = FakeCards([view(1, ECO.id, "G1", "done")], campaign=None)
    assert await item_card(no_campaign, "G1") is None
    assert not any(c[0] == "item_bindings" for c in no_campaign.calls)
