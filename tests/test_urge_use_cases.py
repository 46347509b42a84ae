"""Urging (催办) on a recording fake of `UrgeStore` (core/oversight/interfaces.py): who is
told, what the office group's note carries (the department and a count, never the note
or a person), the per-department repeat window, and that a refused urge records nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.oversight import urge as urging
from core.oversight.interfaces import BindingState, DepartmentRef, UrgeStore
from core.people.roster import Recipient
from storage.models import (
    REVIEW_ACCEPTED,
    REVIEW_NONE,
    REVIEW_PENDING,
    REVIEW_RETURNED,
    STATUS_BLOCKED,
    STATUS_DONE,
    STATUS_IN_PROGRESS,
    STATUS_NOT_STARTED,
)

NOW = dt.datetime(2020, 6, 2, 2, 0, tzinfo=dt.UTC)
OFFICE = 9001
FARM = DepartmentRef(5, "区农业农村局")
WATER = DepartmentRef(6, "区水务局")
FARM_LIAISONS = [Recipient(501, "zh", "农业联络员"), Recipient(502, "en", "Farm Deputy")]


@dataclass
class RecordingUrges:
    """Departments' items, liaisons and earlier urges; the urges recorded, as written."""

    items_of: dict[int, list[BindingState]] = field(default_factory=dict)
    liaisons_of: dict[int, list[Recipient]] = field(default_factory=dict)
    urged_at: dict[int, dt.datetime] = field(default_factory=dict)  # earlier urges
    group_setting: str | None = "-100777"
    recorded: list[dict[str, object]] = field(default_factory=list)
    flushed: int = 0

    async def department(self, department_id: int) -> DepartmentRef | None:
        return {d.id: d for d in (FARM, WATER)}.get(department_id)

    async def bindings(self, department_id: int) -> list[BindingState]:
        return self.items_of.get(department_id, [])

    async def liaisons(self, department_id: int) -> list[Recipient]:
        return self.liaisons_of.get(department_id, [])

    async def last_urged(self, department_id: int, since: dt.datetime) -> dt.datetime | None:
        at = self.urged_at.get(department_id)
        return at if at is not None and at >= since else None

    async def office_chat(self) -> str | None:
        return self.group_setting

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int, now: dt.datetime
    ) -> None:
        self.recorded.append({"action": action, "by": actor_tg_id, "at": now, **detail})

    async def flush(self) -> None:
        self.flushed += 1


def farm_store(**extra: object) -> RecordingUrges:
    store = RecordingUrges(
        items_of={
            5: [
                BindingState("A5.2", "农药减量", STATUS_IN_PROGRESS, REVIEW_NONE),
                BindingState("A5.1", "秸秆综合利用", STATUS_DONE, REVIEW_ACCEPTED),
                BindingState("G1", "河长制", STATUS_DONE, REVIEW_RETURNED),
                BindingState("G2", "环保督察", STATUS_DONE, REVIEW_PENDING),  # awaits review
                BindingState("A5.10", "畜禽粪污", STATUS_NOT_STARTED, REVIEW_NONE),
                BindingState("A5.3", "地膜回收", STATUS_BLOCKED, REVIEW_NONE),
            ]
        },
        liaisons_of={5: FARM_LIAISONS},
    )
    for key, value in extra.items():
        setattr(store, key, value)
    return store


async def urge(store: UrgeStore, department: DepartmentRef, **extra: bool) -> urging.UrgeOutcome:
    return await urging.urge(
        store,
        department,
        note="  请于本周内汇报秸秆综合利用进展  ",
        actor_tg_id=OFFICE,
        now=NOW,
        **extra,
    )


async def test_an_urge_tells_every_liaison_about_the_outstanding_items_worst_first() -> None:
    store = farm_store()
    outcome = await urge(store, FARM)
    assert outcome.urged and outcome.plan is not None
    assert [r.tg_id for r in outcome.plan.liaisons] == [501, 502]
    # Accepted work is not chased; blocked first, then not started, then in progress (a
    # returned report counts so; general items before the department's), then pending.
    assert [o.code for o in outcome.plan.outstanding] == ["A5.3", "A5.10", "G1", "A5.2", "G2"]
    assert outcome.note == "请于本周内汇报秸秆综合利用进展"
    assert store.recorded == [
        {
            "action": "urge",
            "by": OFFICE,
            "at": NOW,
            "department_id": 5,
            "text": "请于本周内汇报秸秆综合利用进展",
            "liaison_count": 2,
        }
    ]
    assert store.flushed == 1


async def test_the_group_note_names_the_department_and_a_count_only() -> None:
    outcome = await urge(farm_store(), FARM)
    assert outcome.group == urging.GroupNote(-100777, "区农业农村局", 5)
    unset = await urge(farm_store(group_setting=None), FARM)
    assert unset.urged and unset.group is None  # urged all the same, the group note skipped
    broken = await urge(farm_store(group_setting="office"), FARM)
    assert broken.urged and broken.group is None


async def test_a_department_without_liaisons_is_not_urged_and_nothing_is_recorded() -> None:
    store = farm_store()
    outcome = await urge(store, WATER)
    assert outcome.refusal is urging.UrgeRefusal.NO_LIAISON and not outcome.urged
    assert store.recorded == [] and store.flushed == 0


async def test_urging_again_within_the_hour_asks_first_then_goes_when_confirmed() -> None:
    earlier = NOW - dt.timedelta(minutes=20)
    store = farm_store(urged_at={5: earlier})
    asked = await urge(store, FARM)
    assert asked.confirm_since == earlier and not asked.urged
    assert store.recorded == []
    confirmed = await urge(store, FARM, confirmed=True)
    assert confirmed.urged and len(store.recorded) == 1


async def test_the_window_is_per_department_and_one_hour_long() -> None:
    # Water was urged a minute ago; Farm two hours ago: Farm goes out without asking.
    store = farm_store(urged_at={6: NOW - dt.timedelta(minutes=1), 5: NOW - dt.timedelta(hours=2)})
    assert (await urge(store, FARM)).urged


async def test_a_department_gone_before_the_button_was_pressed() -> None:
    store = farm_store()
    outcome = await urging.urge_by_id(store, 404, note="", actor_tg_id=OFFICE, now=NOW)
    assert outcome.refusal is urging.UrgeRefusal.NO_DEPARTMENT
    assert store.recorded == []
    by_id = await urging.urge_by_id(store, 5, note="", actor_tg_id=OFFICE, now=NOW)
    assert by_id.urged and store.recorded[0]["department_id"] == 5
