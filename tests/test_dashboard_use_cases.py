"""The dashboard's read models (core.dashboard.queries) on a recording fake of their reader
(core/dashboard/interfaces.py), no database: what the overview, a department, an item,
the overdue list, a binding's reports and an evidence file give each role. Staff see
every department; a liaison sees only their own, and asking for another department's
page, binding or file is refused before it is read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.dashboard import queries
from core.dashboard.interfaces import ColourGroup, DashboardReader, DepartmentInfo, TrendSource
from core.dashboard.queries import BindingRef, EvidenceFile, NotYours, scope_of
from core.oversight.overview import DepartmentSummary, OverdueSlice, Overview
from core.people.permissions import Role
from core.reporting.reports import HistoryEntry, ItemView
from core.status.clauses import Milestones
from core.status.day import Day, Reading
from core.status.model import Colour, Counts, Rules
from core.supervision.extensions import ExtensionEntry
from storage.models import Campaign

TZ = ZoneInfo("Asia/Shanghai")
RULES = Rules(TZ, yellow_days=7, silent_days=14)
NOW = dt.datetime(2020, 6, 10, 2, 0, tzinfo=dt.UTC)  # Wednesday 10 June, 10:00 in Shanghai
READING = Reading(NOW, RULES)
CAMPAIGN = Campaign(
    id=3,
    year=2020,
    title="生态环境目标责任考核",
    created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    starts_on=None,
)
FARM, DEV = 1, 2  # 区农业农村局 (document number 2), 区发展改革局 (number 1)
NAMES = {FARM: "区农业农村局", DEV: "区发展改革局"}
NUMBERS = {FARM: 2, DEV: 1}


def view(department_id: int, code: str, status: str, deadline: dt.date | None) -> ItemView:
    return ItemView(
        binding_id=department_id * 100 + int(code[-1]),
        item_id=int(code[-1]),
        department_id=department_id,
        code=code,
        title=f"{code} 标题",
        text="",
        kind="department",
        deadline=deadline,
        status=status,
        review_state="none",
        last_reported_at=NOW - dt.timedelta(days=2) if status != "not_started" else None,
        report_count=1 if status != "not_started" else 0,
        evidence_count=0,
        evidence_required=False,
        bound_at=NOW - dt.timedelta(days=3),
        campaign_year=2020,
    )


PAST = dt.date(2020, 6, 1)  # past due on 10 June: red
LATER = dt.date(2020, 12, 31)
VIEWS = [
    view(FARM, "A5.1", "in_progress", LATER),
    view(FARM, "A5.2", "not_started", PAST),
    view(DEV, "A5.1", "in_progress", LATER),
]


def group(department_id: int | None, deadline: dt.date, count: int) -> ColourGroup:
    return ColourGroup(
        department_id=department_id,
        status="in_progress",
        review_state="none",
        deadline=deadline,
        reported_on=dt.date(2020, 6, 8),
        bound_on=dt.date(2020, 6, 7),
        item_id=1,
        extended_due=None,
        rectification_due=None,
        progress=None,
        count=count,
    )


def summary(department_id: int, done: int, total: int) -> DepartmentSummary:
    return DepartmentSummary(
        department_id,
        NAMES[department_id],
        NUMBERS[department_id],
        "区直",
        Counts(in_progress=total - done, done=done),
        NOW - dt.timedelta(days=2),
    )


@dataclass
class RecordingBoard:
    """The reader's answers for one small campaign; every question asked noted."""

    asked: list[tuple[str, Any]] = field(default_factory=list)
    weeks: dict[dt.date, int] = field(default_factory=dict)  # reports per local day

    @property
    def database(self) -> str:
        return "fake://board"

    async def active_campaign(self) -> Campaign | None:
        return CAMPAIGN

    async def day(self, campaign: Campaign, reading: Reading) -> Day:
        self.asked.append(("day", campaign.id))
        return Day(reading.today, reading.rules, campaign.year, campaign.starts_on, Milestones())

    async def campaign_overview(self, campaign: Campaign, day: Day) -> Overview:
        self.asked.append(("campaign_overview", campaign.id))
        departments = (summary(FARM, 0, 2), summary(DEV, 1, 1))
        totals = Counts(in_progress=2, done=1)
        return Overview(campaign.id, campaign.title, campaign.year, departments, totals)

    async def colour_groups(
        self, campaign: Campaign, reading: Reading, department_ids: Sequence[int] | None = None
    ) -> list[ColourGroup]:
        self.asked.append(("colour_groups", department_ids))
        if department_ids is None:  # the campaign: one red binding, two green
            return [group(None, PAST, 1), group(None, LATER, 2)]
        groups = {FARM: [group(FARM, PAST, 1), group(FARM, LATER, 1)], DEV: [group(DEV, LATER, 1)]}
        return [g for d in department_ids for g in groups[d]]

    async def reports_by_day(
        self,
        campaign: Campaign,
        reading: Reading,
        scope: int | None,
        *,
        since: dt.datetime | None = None,
        before: dt.datetime | None = None,
    ) -> list[tuple[dt.date, int]]:
        self.asked.append(("reports_by_day", (scope, since, before)))
        week_start = dt.date(2020, 6, 8)
        return [
            (day, n)
            for day, n in self.weeks.items()
            if (since is None or day >= week_start) and (before is None or day < week_start)
        ]

    async def department(self, department_id: int) -> DepartmentInfo | None:
        self.asked.append(("department", department_id))
        if department_id not in NAMES:
            return None
        return DepartmentInfo(department_id, NAMES[department_id], "区直", NUMBERS[department_id])

    async def department_items(self, department_id: int) -> list[ItemView]:
        self.asked.append(("department_items", department_id))
        return [v for v in VIEWS if v.department_id == department_id]

    async def item_bindings(self, code: str) -> list[ItemView]:
        self.asked.append(("item_bindings", code))
        return [v for v in VIEWS if v.code == code]

    async def departments(self, department_ids: set[int]) -> dict[int, DepartmentInfo]:
        self.asked.append(("departments", sorted(department_ids)))
        return {d: DepartmentInfo(d, NAMES[d], "区直", NUMBERS[d]) for d in department_ids}

    async def extension_history(
        self, binding_ids: Sequence[int]
    ) -> dict[int, list[ExtensionEntry]]:
        self.asked.append(("extension_history", list(binding_ids)))
        asked = ExtensionEntry(
            101, LATER, dt.date(2021, 1, 31), "雨季", "pending", NOW, "", None, ""
        )
        return {101: [asked]} if 101 in binding_ids else {}

    async def overdue_slice(
        self,
        campaign: Campaign,
        day: Day,
        *,
        offset: int,
        limit: int,
        department_id: int | None,
    ) -> OverdueSlice:
        self.asked.append(("overdue_slice", (offset, limit, department_id)))
        return OverdueSlice((), offset, 0, 0, 0)

    async def binding_ref(self, binding_id: int) -> BindingRef | None:
        self.asked.append(("binding_ref", binding_id))
        for v in VIEWS:
            if v.binding_id == binding_id:
                name = NAMES[v.department_id]
                return BindingRef(binding_id, v.department_id, name, 3, v.code, v.title)
        return None

    async def history(
        self, binding_id: int, *, offset: int, limit: int
    ) -> tuple[list[HistoryEntry], int]:
        self.asked.append(("history", (binding_id, offset, limit)))
        entry = HistoryEntry(7, "in_progress", "秸秆还田", NOW, "pending", (), 1)
        return [entry], 1

    async def evidence_of(
        self, report_ids: Sequence[int], department_id: int
    ) -> list[EvidenceFile]:
        self.asked.append(("evidence_of", list(report_ids)))
        return [EvidenceFile(70, 7, "photo", "image/jpeg", "", 10, "ab.jpg", department_id)]

    async def evidence_file(self, evidence_id: int) -> EvidenceFile | None:
        self.asked.append(("evidence_file", evidence_id))
        if evidence_id != 70:
            return None
        return EvidenceFile(70, 7, "photo", "image/jpeg", "", 10, "ab.jpg", DEV)

    async def trend_source(
        self, campaign: Campaign, code: str, department_ids: Sequence[int] | None
    ) -> TrendSource | None:
        self.asked.append(("trend_source", (code, department_ids)))
        if code != "A5.1":
            return None
        points = (
            (FARM, NAMES[FARM], dt.datetime(2020, 3, 31, 17, 0, tzinfo=dt.UTC), Decimal(40)),
            (FARM, NAMES[FARM], NOW, Decimal(60)),
            (DEV, NAMES[DEV], NOW, Decimal(55)),
        )
        wanted = [p for p in points if department_ids is None or p[0] in department_ids]
        return TrendSource(
            "秸秆综合利用率",
            "%",
            Decimal(90),
            LATER,
            (dt.date(2020, 6, 30),),
            Decimal(90),
            tuple(wanted),
        )

    def names(self) -> list[str]:
        return [name for name, _ in self.asked]


def board() -> RecordingBoard:
    fake = RecordingBoard()
    reader: DashboardReader = fake  # the fake satisfies the Protocol (mypy checks)
    assert reader is fake
    return fake


LIAISON_OF_FARM = scope_of(Role.LIAISON, FARM)
STAFF = scope_of(Role.LEADER, None)


def test_a_liaison_is_limited_to_their_department_and_staff_are_not() -> None:
    assert LIAISON_OF_FARM == FARM
    assert STAFF is None
    assert scope_of(Role.ADMIN, FARM) is None  # an admin who is also in a department


async def test_the_overview_counts_colours_of_the_campaign_and_of_its_page() -> None:
    reader = board()
    page = await queries.overview(reader, CAMPAIGN, READING, limit=1)
    assert (page.title, page.year) == ("生态环境目标责任考核", 2020)
    assert (page.red, page.yellow, page.green) == (1, 0, 2)
    # One department on the page (of two), and only its colours were asked for.
    assert [bar.summary.name for bar in page.departments] == ["区农业农村局"]
    (bar,) = page.departments
    assert (bar.red, bar.yellow, bar.green) == (1, 0, 1)
    assert page.page == queries.Page(0, 1, 2)
    assert ("colour_groups", [FARM]) in reader.asked
    # The day is read once for the request's queries.
    assert reader.names().count("day") == 1


async def test_a_department_page_shows_its_items_with_their_colours() -> None:
    reader = board()
    page = await queries.department_page(reader, FARM, READING, scope=LIAISON_OF_FARM)
    assert page is not None
    assert page.name == "区农业农村局"
    assert [(r.view.code, r.colour) for r in page.items] == [
        ("A5.1", Colour.GREEN),
        ("A5.2", Colour.RED),
    ]
    assert (page.counts.in_progress, page.counts.not_started) == (1, 1)
    assert page.last_reported_at == NOW - dt.timedelta(days=2)
    # The extension asked on A5.1 is shown with its row.
    assert [len(r.extensions) for r in page.items] == [1, 0]


async def test_a_liaison_cannot_open_another_department_and_nothing_is_read() -> None:
    reader = board()
    with pytest.raises(NotYours):
        await queries.department_page(reader, DEV, READING, scope=LIAISON_OF_FARM)
    assert reader.asked == []
    assert await queries.department_page(reader, 99, READING, scope=STAFF) is None


async def test_an_item_shows_staff_every_department_and_a_liaison_their_own() -> None:
    staff = await queries.item_page(board(), "A5.1", READING, scope=STAFF)
    assert staff is not None
    # In the document's order (区发展改革局 is number 1), counted over both.
    assert [r.department_name for r in staff.rows] == ["区发展改革局", "区农业农村局"]
    assert staff.counts.in_progress == 2
    assert staff.due.due == LATER

    own = await queries.item_page(board(), "A5.1", READING, scope=LIAISON_OF_FARM)
    assert own is not None
    assert [r.department_name for r in own.rows] == ["区农业农村局"]
    assert own.counts.total == 1
    # An item not bound to the liaison's department is not found for them.
    reader = board()
    assert await queries.item_page(reader, "A5.2", READING, scope=DEV) is None


async def test_the_overdue_list_of_a_liaison_is_asked_for_their_department_only() -> None:
    reader = board()
    page = await queries.overdue_page(reader, CAMPAIGN, READING, scope=LIAISON_OF_FARM, limit=500)
    assert page.page == queries.Page(0, queries.MAX_PAGE, 0)
    assert ("overdue_slice", (0, queries.MAX_PAGE, FARM)) in reader.asked


async def test_a_bindings_reports_come_with_their_files_for_its_department_only() -> None:
    reader = board()
    found = await queries.binding_reports(reader, 101, scope=LIAISON_OF_FARM)
    assert found is not None
    assert found.binding.department_name == "区农业农村局"
    ((entry, files),) = found.reports
    assert (entry.text, [f.id for f in files]) == ("秸秆还田", [70])

    reader = board()
    with pytest.raises(NotYours):
        await queries.binding_reports(reader, 201, scope=LIAISON_OF_FARM)
    assert "history" not in reader.names()  # refused before its reports are read
    assert await queries.binding_reports(board(), 999, scope=STAFF) is None


async def test_an_evidence_file_of_another_department_is_refused_to_a_liaison() -> None:
    with pytest.raises(NotYours):
        await queries.evidence_file(board(), 70, scope=LIAISON_OF_FARM)
    found = await queries.evidence_file(board(), 70, scope=DEV)
    assert found is not None and found.stored_path == "ab.jpg"
    assert await queries.evidence_file(board(), 71, scope=STAFF) is None


async def test_reports_per_week_reads_the_weeks_that_are_over_once() -> None:
    reader = board()
    reader.weeks = {dt.date(2020, 6, 2): 3, dt.date(2020, 6, 4): 1, dt.date(2020, 6, 9): 5}
    series = await queries.reports_per_week(reader, CAMPAIGN, READING, scope=FARM)
    weekly = dict(series)
    assert weekly[dt.date(2020, 6, 1)] == 4  # Monday 1 June: the 2nd and the 4th
    assert weekly[dt.date(2020, 6, 8)] == 5  # this week so far
    assert weekly[dt.date(2019, 12, 30)] == 0  # the year's first week, empty
    assert series[-1][0] == dt.date(2020, 6, 8)
    # A second request in the same week reads only this week again.
    await queries.reports_per_week(reader, CAMPAIGN, READING, scope=FARM)
    reads = [args for name, args in reader.asked if name == "reports_by_day"]
    assert [(since is None, before is None) for _, since, before in reads] == [
        (True, False),  # the weeks that are over
        (False, True),  # this week
        (False, True),  # this week, at the second request
    ]


async def test_the_trend_of_a_liaison_shows_their_line_against_the_pace() -> None:
    reader = board()
    trend = await queries.item_trend(reader, CAMPAIGN, "A5.1", READING, department_ids=[FARM])
    assert trend is not None
    assert [(line.department, line.points) for line in trend.lines] == [
        ("区农业农村局", ((dt.date(2020, 4, 1), Decimal(40)), (dt.date(2020, 6, 10), Decimal(60))))
    ]
    # The pace line: from the year's start through the milestone to the deadline.
    assert [day for day, _ in trend.pace] == [
        dt.date(2020, 1, 1),
        dt.date(2020, 6, 30),
        dt.date(2020, 12, 31),
    ]
    assert [value for _, value in trend.pace] == [Decimal(0), Decimal(45), Decimal(90)]
    assert await queries.item_trend(board(), CAMPAIGN, "G9", READING) is None
