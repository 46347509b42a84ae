"""The reminder round's plans as use cases on a recording fake of `ReminderReader`
(issue 19, point 5), no database: who is reminded of what, the deputy only when the main
liaisons are away or not answering, nothing told twice, and the leaders' weekly summary
(core.oversight.reminders)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from core.oversight.interfaces import BindingFacts, Leader, Liaison, ToldKey
from core.oversight.reminders import (
    DEADLINE,
    SILENT,
    LiaisonReminder,
    plan_liaison_reminders,
    plan_weekly,
)
from core.status.day import Reading
from core.status.interfaces import CampaignRef, ItemSchedule
from core.status.model import Facts, Rules

TZ = ZoneInfo("Asia/Shanghai")
RULES = Rules(TZ, yellow_days=7, silent_days=14)
NOW = dt.datetime(2020, 6, 30, 2, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 local
READING = Reading(NOW, RULES)
CAMPAIGN = CampaignRef(1, "2020年度目标", 2020, dt.date(2020, 3, 1))
BOUND = dt.datetime(2020, 3, 1, 1, 0, tzinfo=dt.UTC)
FARM, ECO = 10, 11

MAIN = Liaison(501, FARM, "区农业农村局", is_deputy=False, locale="zh")
DEPUTY = Liaison(502, FARM, "区农业农村局", is_deputy=True, locale="en")
ECO_MAIN = Liaison(601, ECO, "区生态环境局", is_deputy=False, locale=None)


def binding(
    binding_id: int,
    department_id: int,
    code: str,
    *,
    status: str = "in_progress",
    quiet: int = 1,
    deadline: dt.date = dt.date(2020, 12, 31),
) -> BindingFacts:
    reported = NOW - dt.timedelta(days=quiet)
    facts = Facts(status, None, deadline, 2020, reported, BOUND)
    return BindingFacts(binding_id, department_id, code, f"事项{code}", facts)


class FakeReminders:
    """`ReminderReader` over lists; records what it was asked."""

    def __init__(
        self,
        bindings: Sequence[BindingFacts],
        liaisons: Sequence[Liaison] = (MAIN, DEPUTY, ECO_MAIN),
        *,
        leaders: Sequence[Leader] = (),
        away: set[int] | None = None,
        told: set[ToldKey] | None = None,
        reminded: set[tuple[int, str, dt.datetime]] | None = None,
    ) -> None:
        self.bindings = list(bindings)
        self.people = list(liaisons)
        self.leader_list = list(leaders)
        self.away = away or set()
        self.told_keys = told or set()
        self.reminded = reminded or set()
        self.calls: list[tuple[object, ...]] = []

    async def active_campaign(self) -> CampaignRef | None:
        self.calls.append(("active_campaign",))
        return CAMPAIGN

    async def schedule(self, campaign_id: int) -> list[ItemSchedule]:
        self.calls.append(("schedule", campaign_id))
        return []

    async def campaign_bindings(self, campaign: CampaignRef) -> list[BindingFacts]:
        self.calls.append(("campaign_bindings", campaign.id))
        return self.bindings

    async def liaisons(self, department_ids: Sequence[int]) -> list[Liaison]:
        self.calls.append(("liaisons", tuple(sorted(department_ids))))
        return [p for p in self.people if p.department_id in department_ids]

    async def leaders(self) -> list[Leader]:
        self.calls.append(("leaders",))
        return self.leader_list

    async def on_leave(self, tg_ids: Sequence[int], day: dt.date) -> set[int]:
        self.calls.append(("on_leave", day))
        return {t for t in tg_ids if t in self.away}

    async def told(self, tg_ids: Sequence[int], kinds: Sequence[str]) -> set[ToldKey]:
        self.calls.append(("told", tuple(kinds)))
        return {k for k in self.told_keys if k[0] in tg_ids and k[1] in kinds}

    async def reminded_before(
        self, tg_ids: Sequence[int], kind: str, before: dt.datetime
    ) -> set[tuple[int, str]]:
        self.calls.append(("reminded_before", kind, before))
        return {(t, s) for t, s, at in self.reminded if t in tg_ids and at <= before}


async def plan(reader: FakeReminders, is_working: bool = True) -> list[LiaisonReminder]:
    return await plan_liaison_reminders(
        reader,
        reading=READING,
        reminder_days=7,
        default_locale="zh",
        is_working=lambda _day: is_working,
    )


async def test_the_main_liaison_is_told_of_silent_items_and_coming_deadlines() -> None:
    reader = FakeReminders(
        [
            binding(1, FARM, "B2", quiet=20),  # silent since 10 June
            binding(2, FARM, "B1", deadline=dt.date(2020, 7, 1)),  # due tomorrow
            binding(3, FARM, "B3", status="done"),  # awaiting review: the office's turn
            binding(4, FARM, "B4"),  # nothing due
        ]
    )
    (reminder,) = await plan(reader)
    assert (reminder.user_tg_id, reminder.locale, reminder.department) == (
        501,
        "zh",
        "区农业农村局",
    )
    # Silent items first, then deadlines.
    assert [(i.kind, i.code) for i in reminder.items] == [(SILENT, "B2"), (DEADLINE, "B1")]
    silent, deadline = reminder.items
    assert silent.period == "2020-06-10/14+0"  # the silence's start; its first reminder
    assert (deadline.days_left, deadline.deadline, deadline.period) == (
        1,
        dt.date(2020, 7, 1),
        "d1:2020-07-01",
    )
    # Only the department with something due is asked for its liaisons.
    assert ("liaisons", (FARM,)) in reader.calls


async def test_nothing_is_told_twice() -> None:
    bindings = [
        binding(1, FARM, "B2", quiet=20),
        binding(2, FARM, "B1", deadline=dt.date(2020, 7, 1)),
    ]
    (first,) = await plan(FakeReminders(bindings))
    claimed = first.keys()  # what the round claims before sending
    told = {(k.user_tg_id, k.kind, k.subject, k.period) for k in claimed}
    assert await plan(FakeReminders(bindings, told=told)) == []
    # Told only of the deadline: the silence is still to tell.
    only_deadline = {k for k in told if k[1] == DEADLINE}
    (again,) = await plan(FakeReminders(bindings, told=only_deadline))
    assert [i.kind for i in again.items] == [SILENT]


async def test_the_deputy_is_reminded_while_the_main_liaison_is_on_leave() -> None:
    bindings = [binding(1, FARM, "B2", quiet=20)]
    (reminder,) = await plan(FakeReminders(bindings, away={MAIN.tg_id}))
    assert (reminder.user_tg_id, reminder.locale) == (502, "en")
    # Both away: nobody.
    assert await plan(FakeReminders(bindings, away={MAIN.tg_id, DEPUTY.tg_id})) == []


async def test_the_deputy_is_reminded_too_when_the_main_liaison_does_not_answer() -> None:
    # Silent 22 days: the first reminder (day 14) went to the main liaison 8 days ago.
    bindings = [binding(1, FARM, "B2", quiet=22)]
    reminded = {(MAIN.tg_id, "1", NOW - dt.timedelta(days=8))}
    planned = await plan(FakeReminders(bindings, reminded=reminded))
    assert [r.user_tg_id for r in planned] == [501, 502]
    # Reminded only yesterday: still the main liaison's to answer.
    recent = {(MAIN.tg_id, "1", NOW - dt.timedelta(days=1))}
    assert [r.user_tg_id for r in await plan(FakeReminders(bindings, reminded=recent))] == [501]


async def test_no_reminder_on_a_day_off_and_nothing_read() -> None:
    reader = FakeReminders([binding(1, FARM, "B2", quiet=20)])
    assert await plan(reader, is_working=False) == []
    assert reader.calls == [("active_campaign",)]


async def test_leaders_get_the_weekly_summary_on_the_first_working_day_once() -> None:
    leaders = (Leader(901, "en"), Leader(902, None), Leader(903, "zh"))
    monday = Reading(dt.datetime(2020, 6, 29, 2, 0, tzinfo=dt.UTC), RULES)
    reader = FakeReminders(
        [], leaders=leaders, away={903}, told={(902, "weekly", "summary", "2020-W27")}
    )
    week, recipients = await plan_weekly(
        reader, reading=monday, default_locale="zh", is_working=lambda _day: True
    )
    assert week == "2020-W27"
    assert [(r.user_tg_id, r.locale) for r in recipients] == [(901, "en")]
    # Tuesday is not the week's first working day: nobody, no read of the leaders.
    reader = FakeReminders([], leaders=leaders)
    _week, nobody = await plan_weekly(
        reader, reading=READING, default_locale="zh", is_working=lambda _day: True
    )
    assert nobody == [] and reader.calls == []
