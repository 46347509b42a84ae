"""The digest as use cases on a recording fake of `DigestReader` (issue 19, point 5), no
database: `window_of`, `gather` and `compose_digest` (core.digest) for a day with reports,
an item past due (named once, then only counted), a silent department, a value missing
its target and a liaison on leave; what the office group reads in the text, and that the
reader is asked once per part whatever the number of rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.digest.data import Window, gather, window_of
from core.digest.group import OfficeGroup, follow_group_migration, office_group, set_office_group
from core.digest.interfaces import (
    DepartmentName,
    LatestValue,
    PacedRow,
    PastDueRow,
    SentDigest,
    WindowReport,
)
from core.digest.messages import compose_digest, to_plain
from core.status.counts import DepartmentTally, fold_tally
from core.status.day import Day, Reading
from core.status.interfaces import CampaignRef, ItemSchedule
from core.status.model import DueSource, Facts, Rules

TZ = ZoneInfo("Asia/Shanghai")
RULES = Rules(TZ, yellow_days=7, silent_days=14)
NOW = dt.datetime(2020, 6, 30, 1, 0, tzinfo=dt.UTC)  # 09:00 local, the digest's time
READING = Reading(NOW, RULES)
CAMPAIGN = CampaignRef(1, "2020年度目标", 2020, dt.date(2020, 3, 1))
BOUND = dt.datetime(2020, 3, 1, 1, 0, tzinfo=dt.UTC)
ECO = DepartmentName(1, "区生态环境局")
FARM = DepartmentName(2, "区农业农村局")
WATER = DepartmentName(3, "区水务局")
CHAT = -100_123
YESTERDAY = dt.datetime(2020, 6, 29, 1, 0, tzinfo=dt.UTC)


def facts(deadline: dt.date, reported: dt.datetime | None) -> Facts:
    return Facts("in_progress", None, deadline, 2020, reported, BOUND)


class FakeDigest:
    """`DigestReader` over fixed rows; records each call."""

    def __init__(self, *, stored: SentDigest | None = None, on_leave: set[int] | None = None):
        self.calls: list[str] = []
        self.stored = stored
        self.away = on_leave or set()
        self.previous = SentDigest(
            dt.date(2020, 6, 29),
            {"since": "2020-06-28T01:00:00+00:00", "until": YESTERDAY.isoformat(), "rate": 0.2},
            YESTERDAY + dt.timedelta(minutes=1),
        )

    async def active_campaign(self) -> CampaignRef | None:
        self.calls.append("active_campaign")
        return CAMPAIGN

    async def schedule(self, campaign_id: int) -> list[ItemSchedule]:
        self.calls.append("schedule")
        return []

    async def stored_digest(self, chat_id: int, local_date: dt.date) -> SentDigest | None:
        self.calls.append("stored_digest")
        return self.stored

    async def previous_digest(self, chat_id: int, local_date: dt.date) -> SentDigest | None:
        self.calls.append("previous_digest")
        return self.previous

    async def departments(self, campaign_id: int) -> list[DepartmentName]:
        self.calls.append("departments")
        return [ECO, FARM, WATER]

    async def tally_as_of(self, campaign_id: int, until: dt.datetime) -> DepartmentTally:
        self.calls.append("tally_as_of")
        return fold_tally(
            [
                # ECO: 2 items, one accepted, reported this morning.
                (ECO.id, "done", "accepted", 1, NOW - dt.timedelta(hours=2), BOUND),
                (ECO.id, "in_progress", None, 1, NOW - dt.timedelta(hours=3), BOUND),
                # FARM: reported 20 days ago: silent.
                (FARM.id, "in_progress", None, 2, NOW - dt.timedelta(days=20), BOUND),
                # WATER: reported yesterday.
                (WATER.id, "not_started", None, 1, YESTERDAY, BOUND),
            ]
        )

    async def past_due_as_of(
        self, campaign: CampaignRef, day: Day, until: dt.datetime
    ) -> list[PastDueRow]:
        self.calls.append("past_due_as_of")
        old = NOW - dt.timedelta(days=20)
        return [
            # Turned red since the last digest: named.
            PastDueRow(21, FARM.id, "B2", None, facts(dt.date(2020, 6, 20), old)),
            PastDueRow(22, FARM.id, "B1", None, facts(dt.date(2020, 6, 20), old)),
            # Named by an earlier digest: only counted.
            PastDueRow(31, WATER.id, "C1", YESTERDAY, facts(dt.date(2020, 6, 1), YESTERDAY)),
        ]

    async def paced_as_of(self, campaign: CampaignRef, until: dt.datetime) -> list[PacedRow]:
        self.calls.append("paced_as_of")
        return []

    async def window_reports(
        self, campaign_id: int, since: dt.datetime, until: dt.datetime
    ) -> list[WindowReport]:
        self.calls.append("window_reports")
        return [
            WindowReport(11, "in_progress", 2, ECO.id, "A1", "大气污染防治", "not_started"),
            WindowReport(11, "done", 1, ECO.id, "A1", "大气污染防治", "not_started"),
            WindowReport(12, "in_progress", 0, ECO.id, "A2", "水污染防治", "in_progress"),
        ]

    async def latest_values(self, campaign_id: int, until: dt.datetime) -> list[LatestValue]:
        self.calls.append("latest_values")
        return [
            LatestValue(ECO.id, "A2", Decimal("72"), "优良天数比例", ">=", Decimal("80"), "%", 0),
            LatestValue(ECO.id, "A1", Decimal("90"), "达标率", ">=", Decimal("85"), "%", 0),
        ]

    async def pending_reviews(self, campaign_id: int, until: dt.datetime) -> int:
        self.calls.append("pending_reviews")
        return 1

    async def departments_on_leave(self, department_ids: Sequence[int], day: dt.date) -> set[int]:
        self.calls.append("departments_on_leave")
        return {d for d in department_ids if d in self.away}


async def test_the_window_runs_from_the_last_digest_or_is_the_stored_one() -> None:
    reader = FakeDigest()
    window = await window_of(reader, CHAT, dt.date(2020, 6, 30), reading=READING, at=dt.time(9))
    assert window == Window(YESTERDAY, NOW)
    kept = Window(YESTERDAY - dt.timedelta(hours=1), NOW - dt.timedelta(minutes=5))
    reader = FakeDigest(stored=SentDigest(dt.date(2020, 6, 30), kept.to_json(), None))
    window = await window_of(reader, CHAT, dt.date(2020, 6, 30), reading=READING, at=dt.time(9))
    assert window == kept
    assert reader.calls == ["stored_digest"]  # a takeover sends what was built before


async def test_the_days_figures_name_reports_past_due_silent_and_misses() -> None:
    reader = FakeDigest(on_leave={FARM.id})
    data = await gather(
        reader,
        chat_id=CHAT,
        local_date=dt.date(2020, 6, 30),
        window=Window(YESTERDAY, NOW),
        rules=RULES,
    )
    assert (data.done, data.total) == (1, 5)
    assert [(d.name, d.done, d.total) for d in data.departments] == [
        ("区生态环境局", 1, 2),
        ("区农业农村局", 0, 2),
        ("区水务局", 0, 1),
    ]
    assert [d.name for d in data.silent] == ["区农业农村局"]
    # Past due in document order and by code; named once, then counted.
    assert [(o.code, o.new, o.deadline, o.due_source) for o in data.overdue] == [
        ("B1", True, dt.date(2020, 6, 20), DueSource.OWN),
        ("B2", True, dt.date(2020, 6, 20), DueSource.OWN),
        ("C1", False, dt.date(2020, 6, 1), DueSource.OWN),
    ]
    (a1, a2) = data.changes
    assert (a1.code, a1.before, a1.after, a1.reports, a1.evidence) == (
        "A1",
        "not_started",
        "done",
        2,
        3,
    )
    assert (a2.code, a2.before, a2.after) == ("A2", "in_progress", "in_progress")
    assert [(m.code, m.value) for m in data.misses] == [("A2", Decimal("72"))]
    assert data.on_leave == (FARM.id,)
    assert data.pending_reviews == 1
    assert (data.previous_date, data.previous_rate) == (dt.date(2020, 6, 29), 0.2)
    assert data.summary()["newly_red"] == [22, 21]
    # One call per part of the digest, whatever the number of rows.
    assert sorted(reader.calls) == sorted(
        [
            "active_campaign",
            "schedule",
            "departments",
            "tally_as_of",
            "past_due_as_of",
            "paced_as_of",
            "window_reports",
            "latest_values",
            "pending_reviews",
            "previous_digest",
            "departments_on_leave",
        ]
    )


async def test_the_digest_text_says_what_the_office_checks() -> None:
    built = await compose_digest(
        FakeDigest(),
        chat_id=CHAT,
        local_date=dt.date(2020, 6, 30),
        reading=READING,
        at=dt.time(9),
        locale="en",
        with_chart=False,
    )
    text = "\n".join(to_plain(part.text) for part in built.parts)
    assert "Daily digest 2020-06-30" in text
    assert "Reports since the last digest: 3, departments: 1" in text
    assert "A1 大气污染防治: not started → done (reports: 2, evidence: 3)" in text
    assert "Departments silent for 14 days or more: 1" in text
    assert "区农业农村局: last report 2020-06-10" in text
    assert "Items past deadline and not done: 3" in text
    assert "区农业农村局: B1, B2 (deadline 2020-06-20)" in text
    assert "Still past deadline, reported before: 1" in text
    assert "C1" not in text  # told before: counted, not named again
    assert "Values missing their targets: 1" in text
    assert "Reports awaiting review: 1 (/review)" in text
    assert "Overall completion: 20.0% (1/5)" in text
    assert "unchanged since yesterday" in text


class FakeOfficeGroup:
    """`OfficeGroupStore` in memory; records what it staged."""

    def __init__(self, chat: str | None = None) -> None:
        self.chat, self.set_at = chat, None if chat is None else "2020-06-01T00:00:00+00:00"
        self.staged: list[tuple[object, ...]] = []

    async def office_chat(self) -> str | None:
        return self.chat

    async def office_set_at(self) -> str | None:
        return self.set_at

    async def set_office_chat(self, chat_id: int, now: dt.datetime) -> None:
        self.chat, self.set_at = str(chat_id), now.isoformat()
        self.staged.append(("set", chat_id))

    async def move_office_group(self, old_chat_id: int, new_chat_id: int) -> None:
        self.chat = str(new_chat_id)
        self.staged.append(("move", old_chat_id, new_chat_id))

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        self.staged.append(("log", action, detail["previous"], actor_tg_id))

    async def flush(self) -> None:
        self.staged.append(("flush",))


async def test_setting_the_office_group_is_recorded_once_and_followed_when_it_moves() -> None:
    store = FakeOfficeGroup("-100")
    assert await set_office_group(store, CHAT, title="督办群", actor_tg_id=7, now=NOW)
    assert store.staged == [("set", CHAT), ("log", "setgroup", "-100", 7), ("flush",)]
    assert (await office_group(store)) == OfficeGroup(CHAT, NOW.isoformat())
    store.staged.clear()
    assert not await set_office_group(store, CHAT, title="督办群", actor_tg_id=7, now=NOW)
    assert store.staged == []  # already the office group: nothing changes
    # Upgraded to a supergroup: the digest follows; a stranger group's upgrade is ignored.
    assert not await follow_group_migration(store, -555, -100_555)
    assert await follow_group_migration(store, CHAT, -100_999)
    assert store.staged == [("move", CHAT, -100_999), ("flush",)]
    assert (await office_group(store)).chat_id == -100_999
    # A setting that is not a chat id counts as no group.
    assert (await office_group(FakeOfficeGroup("office"))).chat_id is None
