"""The supervision use cases (core.supervision: /extend, /extdecide, /milestones, /pace,
/measures) on a recording fake of their Protocols (core/supervision/interfaces.py), no
database: the decision and the due date it gives, what was staged, and that every
refusal stages nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.status.model import Facts, Rules
from core.supervision import extensions, milestones, pace, rectification
from core.supervision.interfaces import (
    BindingToExtend,
    CampaignRef,
    ExtensionDecisionStore,
    ExtensionRequestStore,
    ExtensionToDecide,
    ItemInfo,
    MeasuresStore,
    MilestonesStore,
    NewExtension,
    PaceStore,
    RectifiedBinding,
    TargetInfo,
)

NOW = dt.datetime(2020, 5, 20, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2020, 5, 20)  # a Wednesday
DUE = dt.date(2020, 6, 30)
RULES = Rules(ZoneInfo("Asia/Shanghai"), yellow_days=7, silent_days=14)
CAMPAIGN = CampaignRef(1, 2020)


def weekdays(day: dt.date) -> bool:
    return day.weekday() < 5


def facts(*, status: str = "in_progress", review: str | None = None) -> Facts:
    return Facts(status, review, DUE, 2020, NOW, NOW - dt.timedelta(days=30))


@dataclass
class FakeSupervision:
    """Every supervision Protocol in memory; each staged change is noted in `staged`."""

    campaign: CampaignRef | None = CAMPAIGN
    bindings: dict[tuple[int, str], BindingToExtend] = field(default_factory=dict)
    states: dict[int, list[str]] = field(default_factory=dict)  # binding -> requests' states
    requests: dict[int, ExtensionToDecide] = field(default_factory=dict)
    items: dict[str, ItemInfo] = field(default_factory=dict)
    item_targets: dict[int, list[TargetInfo]] = field(default_factory=dict)
    rectifications: dict[tuple[int, str], RectifiedBinding] = field(default_factory=dict)
    staged: list[tuple[str, Any]] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)

    async def active_campaign(self) -> CampaignRef | None:
        return self.campaign

    async def binding_to_extend(
        self, campaign: CampaignRef, department_id: int, code: str
    ) -> BindingToExtend | None:
        return self.bindings.get((department_id, code))

    async def extension_states(self, binding_id: int) -> list[str]:
        return list(self.states.get(binding_id, []))

    async def add_extension(self, extension: NewExtension) -> int:
        self.staged.append(("extension", extension))
        return 41

    async def extension_to_decide(self, extension_id: int) -> ExtensionToDecide | None:
        return self.requests.get(extension_id)

    async def decide(
        self, extension_id: int, *, state: str, by: int, at: dt.datetime, comment: str
    ) -> bool:
        found = self.requests[extension_id]
        if found.state != "pending":  # another admin decided first
            return False
        self.requests[extension_id] = replace(found, state=state)
        self.staged.append(("decided", (extension_id, state, comment)))
        return True

    async def move_due(self, binding_id: int, due: dt.date) -> None:
        self.staged.append(("due", (binding_id, due)))

    async def item(self, campaign_id: int, code: str) -> ItemInfo | None:
        return self.items.get(code)

    async def set_milestones(self, item_id: int, steps: list[str]) -> None:
        self.staged.append(("milestones", (item_id, steps)))

    async def targets(self, item_id: int) -> list[TargetInfo]:
        return self.item_targets.get(item_id, [])

    async def set_pace_target(self, item_id: int, target: Decimal | None) -> None:
        self.staged.append(("pace", (item_id, target)))

    async def department_binding(
        self, campaign_id: int, department_id: int, code: str
    ) -> RectifiedBinding | None:
        return self.rectifications.get((department_id, code))

    async def set_measures(self, binding_id: int, text: str) -> None:
        self.staged.append(("measures", (binding_id, text)))

    def audit(
        self, *, at: dt.datetime, actor_tg_id: int | None, action: str, detail: dict[str, Any]
    ) -> None:
        self.audited.append(action)

    async def flush(self) -> None:
        pass


def _check_protocols(fake: FakeSupervision) -> None:
    """The fake satisfies every Protocol the use cases take (mypy checks this)."""
    stores: tuple[
        ExtensionRequestStore, ExtensionDecisionStore, MilestonesStore, PaceStore, MeasuresStore
    ] = (fake, fake, fake, fake, fake)
    assert stores


# ---------------------------------------------------------------- /extend


def with_binding(*, role: str = "lead", status: str = "in_progress") -> FakeSupervision:
    binding = BindingToExtend(
        100, "区农业农村局", "A5.1", "秸秆综合利用", role, facts(status=status)
    )
    return FakeSupervision(bindings={(5, "A5.1"): binding})


async def ask(
    fake: FakeSupervision, *, code: str = "a5.1", to: dt.date = dt.date(2020, 7, 31), **kw: Any
) -> extensions.ExtensionAsked:
    args: dict[str, Any] = {
        "reason": "设备到货延迟",
        "today": TODAY,
        "notice_days": 3,
        "per_binding": 1,
    } | kw
    return await extensions.request_extension(
        fake,
        code=code,
        requested_due=to,
        requester_tg_id=7,
        department_id=5,
        rules=RULES,
        is_working=weekdays,
        now=NOW,
        **args,
    )


async def test_a_lead_liaison_asks_and_the_request_is_staged_with_both_dates() -> None:
    fake = with_binding()
    _check_protocols(fake)
    asked = await ask(fake, to=dt.date(2021, 1, 15))
    [(kind, staged)] = fake.staged
    assert kind == "extension"
    assert (staged.binding_id, staged.original_due, staged.requested_due) == (
        100,
        DUE,
        dt.date(2021, 1, 15),
    )
    assert staged.reason == "设备到货延迟" and staged.requested_by == 7
    assert asked.extension_id == 41 and asked.code == "A5.1" and asked.original_due == DUE
    assert asked.past_year_end  # past the campaign's year: the admin must confirm
    assert fake.audited == ["extension_request"]


@pytest.mark.parametrize(
    ("setup", "kw", "reason"),
    [
        ("lead", {"reason": "  "}, "no_reason"),
        ("lead", {"code": "Z9"}, "no_item"),
        ("supporting", {}, "not_lead"),
        ("done", {}, "done"),
        ("lead", {"to": DUE}, "not_later"),
        ("lead", {"today": dt.date(2020, 6, 27)}, "too_late"),  # 2 working days before
        ("pending", {}, "pending"),
        ("used up", {}, "limit"),
        ("no campaign", {}, "no_campaign"),
    ],
)
async def test_extension_refusals_stage_nothing(
    setup: str, kw: dict[str, Any], reason: str
) -> None:
    fake = with_binding(
        role="supporting" if setup == "supporting" else "lead",
        status="done" if setup == "done" else "in_progress",
    )
    if setup == "done":  # accepted: the item is done, nothing to extend
        key = (5, "A5.1")
        fake.bindings[key] = replace(
            fake.bindings[key], facts=facts(status="done", review="accepted")
        )
    fake.states[100] = {"pending": ["pending"], "used up": ["approved"]}.get(setup, ["rejected"])
    if setup == "no campaign":
        fake.campaign = None
    with pytest.raises(extensions.ExtensionRefused) as refused:
        await ask(fake, **kw)
    assert refused.value.reason == reason
    assert fake.staged == [] and fake.audited == []


# ---------------------------------------------------------------- /extdecide


def pending(requested: dt.date = dt.date(2020, 7, 31)) -> ExtensionToDecide:
    return ExtensionToDecide(41, 100, "pending", DUE, requested, 7, "A5.1", "区农业农村局", 2020)


async def test_approving_moves_that_bindings_due_date_and_tells_who_asked() -> None:
    fake = FakeSupervision(requests={41: pending()})
    decided = await extensions.decide_extension(
        fake, extension_id=41, approve=True, comment="同意", admin_tg_id=99, now=NOW
    )
    assert decided.approved and decided.requester_tg_id == 7 and decided.comment == "同意"
    assert fake.staged == [
        ("decided", (41, "approved", "同意")),
        ("due", (100, dt.date(2020, 7, 31))),
    ]
    assert fake.audited == ["extension_decision"]


async def test_rejecting_keeps_the_due_date() -> None:
    fake = FakeSupervision(requests={41: pending()})
    decided = await extensions.decide_extension(
        fake, extension_id=41, approve=False, comment="理由不足", admin_tg_id=99, now=NOW
    )
    assert not decided.approved and decided.original_due == DUE
    assert fake.staged == [("decided", (41, "rejected", "理由不足"))]  # no new due date


async def test_a_date_past_year_end_needs_confirmation_and_one_decision_wins() -> None:
    fake = FakeSupervision(requests={41: pending(dt.date(2021, 1, 15))})
    with pytest.raises(extensions.ExtensionRefused) as refused:
        await extensions.decide_extension(
            fake, extension_id=41, approve=True, comment="", admin_tg_id=99, now=NOW
        )
    assert refused.value.reason == "confirm" and fake.staged == []
    await extensions.decide_extension(
        fake, extension_id=41, approve=True, comment="", admin_tg_id=99, now=NOW, confirmed=True
    )
    with pytest.raises(extensions.ExtensionRefused) as again:
        await extensions.decide_extension(
            fake, extension_id=41, approve=False, comment="", admin_tg_id=98, now=NOW
        )
    assert again.value.reason == "already"
    with pytest.raises(extensions.ExtensionRefused) as unknown:
        await extensions.decide_extension(
            fake, extension_id=404, approve=True, comment="", admin_tg_id=98, now=NOW
        )
    assert unknown.value.reason == "no_request"
    assert [kind for kind, _ in fake.staged] == ["decided", "due"]  # the first decision only


# ---------------------------------------------------------------- /milestones, /pace


def item(*, deadline: dt.date | None = DUE, steps: tuple[str, ...] = ()) -> ItemInfo:
    return ItemInfo(3, "A5.1", "秸秆综合利用", deadline, steps, None)


async def test_milestones_are_replaced_sorted_and_cleared() -> None:
    fake = FakeSupervision(items={"A5.1": item(steps=("2020-03-31",))})
    changed = await milestones.set_milestones(
        fake,
        code="a5.1",
        steps=(dt.date(2020, 6, 1), dt.date(2020, 4, 30)),
        actor_tg_id=99,
        now=NOW,
    )
    assert changed.old == ("2020-03-31",) and changed.new == ("2020-04-30", "2020-06-01")
    assert fake.staged == [("milestones", (3, ["2020-04-30", "2020-06-01"]))]
    cleared = await milestones.set_milestones(fake, code="A5.1", steps=(), actor_tg_id=99, now=NOW)
    assert cleared.new == () and fake.staged[-1] == ("milestones", (3, []))
    assert fake.audited == ["milestones", "milestones"]


@pytest.mark.parametrize(
    ("code", "steps", "reason"),
    [("Z9", (), "no_item"), ("A5.1", (DUE,), "after_deadline")],
)
async def test_milestone_refusals_stage_nothing(
    code: str, steps: tuple[dt.date, ...], reason: str
) -> None:
    fake = FakeSupervision(items={"A5.1": item()})
    with pytest.raises(milestones.MilestonesRefused) as refused:
        await milestones.set_milestones(fake, code=code, steps=steps, actor_tg_id=99, now=NOW)
    assert refused.value.reason == reason
    assert fake.staged == [] and fake.audited == []


async def test_pace_marks_a_count_target_and_refuses_an_item_without_one() -> None:
    fake = FakeSupervision(
        items={"G1": replace(item(), id=4, code="G1"), "G2": replace(item(), id=5, code="G2")},
        item_targets={4: [TargetInfo(">=", "%", Decimal(90))]},
    )
    paced = await pace.set_pace(fake, code="G1", paced=True, actor_tg_id=99, now=NOW)
    assert paced.target == Decimal(90)  # the office says so, though a rate is not by itself
    assert fake.staged == [("pace", (4, Decimal(90)))]
    unpaced = await pace.set_pace(fake, code="G1", paced=False, actor_tg_id=99, now=NOW)
    assert unpaced.target is None and fake.staged[-1] == ("pace", (4, None))
    with pytest.raises(pace.PaceRefused) as refused:
        await pace.set_pace(fake, code="G2", paced=True, actor_tg_id=99, now=NOW)
    assert refused.value.reason == "no_target" and len(fake.staged) == 2


# ---------------------------------------------------------------- /measures


async def test_measures_are_recorded_for_an_open_rectification_only() -> None:
    fake = FakeSupervision(
        rectifications={
            (5, "A5.1"): RectifiedBinding(100, dt.date(2020, 6, 5)),
            (5, "A5.2"): RectifiedBinding(101, None),
        }
    )
    sent = await rectification.send_measures(
        fake, code="a5.1", text=" 已补充现场照片 ", department_id=5, actor_tg_id=7, now=NOW
    )
    assert sent == rectification.MeasuresSent("A5.1", 5, dt.date(2020, 6, 5))
    assert fake.staged == [("measures", (100, "已补充现场照片"))]
    for code, text, reason in (
        ("A5.2", "措施", "no_rectification"),
        ("A6.1", "措施", "no_item"),  # another department's item, or none
        ("A5.1", "   ", "no_text"),
    ):
        with pytest.raises(rectification.MeasuresRefused) as refused:
            await rectification.send_measures(
                fake, code=code, text=text, department_id=5, actor_tg_id=7, now=NOW
            )
        assert refused.value.reason == reason
    assert len(fake.staged) == 1 and fake.audited == ["rectification_measures"]
