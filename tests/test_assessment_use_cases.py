"""Assessment administration on a recording fake of its Protocols
(core/assessment/interfaces.py): /adddept, /bind, /unbind, /deadline, /needevidence and the
switch to a new campaign, checked as the office would — what is bound, what is refused
(and then nothing written), who follows into the new campaign, what the audit log says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from core.assessment import adjust, evidence_policy, switch
from core.assessment.adjust import AdjustRefused
from core.assessment.importer import ParsedDocument
from core.assessment.importer.model import BoundUnit, ParsedDepartment, ParsedItem, Target
from core.assessment.interfaces import (
    AdjustStore,
    CampaignRef,
    DepartmentRef,
    EvidencePolicyStore,
    ItemRef,
    NewBinding,
    NewDepartment,
    NewItem,
    Placed,
    SwitchStore,
)

NOW = dt.datetime(2020, 5, 20, 2, 0, tzinfo=dt.UTC)
OFFICE = 9001
OLD, NEW = CampaignRef(1, 2019, "2019年考核"), CampaignRef(2, 2020, "2020年考核")


@dataclass
class RecordingAssessment:
    """One active campaign's items and departments, other campaigns' people; every write
    noted (bindings added and removed, people moved, fields set, audit rows)."""

    active: CampaignRef | None = NEW
    items_: list[ItemRef] = field(default_factory=list)
    departments_: list[DepartmentRef] = field(default_factory=list)
    bindings: dict[tuple[int, int], int] = field(default_factory=dict)  # (dept, item) -> id
    reports: dict[int, int] = field(default_factory=dict)  # binding -> reports
    scored_: set[int] = field(default_factory=set)
    liaisons_elsewhere: list[Placed] = field(default_factory=list)
    invites_elsewhere: list[Placed] = field(default_factory=list)
    imported: dict[str, CampaignRef] = field(default_factory=dict)  # fingerprint -> campaign
    # writes
    added_departments: list[DepartmentRef] = field(default_factory=list)
    numbers: list[int | None] = field(default_factory=list)  # of the departments added
    added_bindings: list[tuple[int, int]] = field(default_factory=list)
    removed_bindings: list[int] = field(default_factory=list)
    moves: list[tuple[tuple[int, ...], tuple[int, ...], int]] = field(default_factory=list)
    deadlines: dict[int, dt.date] = field(default_factory=dict)
    evidence: dict[int, bool] = field(default_factory=dict)
    saved: list[str] = field(default_factory=list)  # the campaigns' titles
    deactivated: bool = False
    new_departments: list[NewDepartment] = field(default_factory=list)
    new_items: list[NewItem] = field(default_factory=list)
    new_bindings: list[NewBinding] = field(default_factory=list)
    audit: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    async def active_campaign(self) -> CampaignRef | None:
        return self.active

    async def campaign_by_fingerprint(self, fingerprint: str) -> CampaignRef | None:
        return self.imported.get(fingerprint)

    async def counts(self, campaign_id: int) -> tuple[int, int, int]:
        return (2, 3, 5)

    async def deactivate_campaigns(self) -> None:
        self.deactivated = True

    async def add_campaign(
        self, *, year: int | None, title: str, source_name: str, fingerprint: str, active: bool
    ) -> int:
        self.saved.append(title)
        self.active = NEW if active else self.active
        return NEW.id

    async def other_departments(self, campaign_id: int) -> list[DepartmentRef]:
        return [d for d in self.all_departments() if d.campaign_id != campaign_id]

    async def add_departments(
        self, campaign_id: int, departments: Sequence[NewDepartment]
    ) -> list[int]:
        start = 200 + len(self.new_departments)
        self.new_departments.extend(departments)
        # What the switch then finds in the new campaign: these departments.
        self.departments_.extend(
            DepartmentRef(start + i, campaign_id, d.name, d.dept_class, d.aliases)
            for i, d in enumerate(departments)
        )
        return [start + i for i in range(len(departments))]

    async def add_items(self, campaign_id: int, items: Sequence[NewItem]) -> list[int]:
        start = 300 + len(self.new_items)
        self.new_items.extend(items)
        return [start + i for i in range(len(items))]

    def add_bindings(self, campaign_id: int, bindings: Sequence[NewBinding]) -> None:
        self.new_bindings.extend(bindings)

    async def item(self, campaign_id: int, code: str) -> ItemRef | None:
        return next((i for i in self.items_ if i.code == code), None)

    async def items(self, campaign_id: int) -> list[ItemRef]:
        return list(self.items_)

    async def department(self, department_id: int) -> DepartmentRef | None:
        return next((d for d in self.all_departments() if d.id == department_id), None)

    async def departments(self, campaign_id: int) -> list[DepartmentRef]:
        return [d for d in self.all_departments() if d.campaign_id == campaign_id]

    def all_departments(self) -> list[DepartmentRef]:
        return self.departments_ + self.added_departments

    async def last_number(self, campaign_id: int) -> int | None:
        return 12

    async def add_department(
        self,
        *,
        campaign_id: int,
        number: int | None,
        name: str,
        dept_class: str,
        aliases: Sequence[str],
    ) -> int:
        new_id = 100 + len(self.added_departments)
        self.numbers.append(number)
        self.added_departments.append(
            DepartmentRef(new_id, campaign_id, name, dept_class, tuple(aliases))
        )
        return new_id

    async def binding(self, department_id: int, item_id: int) -> int | None:
        return self.bindings.get((department_id, item_id))

    async def report_count(self, binding_id: int) -> int:
        return self.reports.get(binding_id, 0)

    async def scored(self, binding_id: int) -> bool:
        return binding_id in self.scored_

    def add_binding(self, *, campaign_id: int, department_id: int, item_id: int) -> None:
        self.added_bindings.append((department_id, item_id))

    async def remove_binding(self, binding_id: int) -> None:
        self.removed_bindings.append(binding_id)

    async def set_deadline(self, item_id: int, deadline: dt.date) -> None:
        self.deadlines[item_id] = deadline

    async def set_evidence_required(self, item_id: int, required: bool) -> None:
        self.evidence[item_id] = required

    async def placed_elsewhere(self, campaign_id: int) -> tuple[list[Placed], list[Placed]]:
        return list(self.liaisons_elsewhere), list(self.invites_elsewhere)

    async def move(
        self, *, liaisons: Sequence[int], invites: Sequence[int], department_id: int
    ) -> None:
        self.moves.append((tuple(liaisons), tuple(invites), department_id))

    def log(
        self, action: str, detail: dict[str, object], *, actor_tg_id: int | None, now: dt.datetime
    ) -> None:
        self.audit.append((action, detail))

    async def flush(self) -> None:
        pass

    def wrote_nothing(self) -> bool:
        return not (
            self.added_departments
            or self.added_bindings
            or self.removed_bindings
            or self.moves
            or self.deadlines
            or self.evidence
            or self.audit
            or self.saved
            or self.deactivated
        )


G1 = ItemRef(11, "G1", "河长制", "general", None, dt.date(2020, 6, 30))
A5 = ItemRef(12, "A5.1", "秸秆综合利用", "department", 5)
B1 = ItemRef(13, "B1", "档案工作", "b_class", None)
FARM = DepartmentRef(5, NEW.id, "区农业农村局", "A", ("农业农村局",))
WATER = DepartmentRef(6, NEW.id, "区水务局", "A", ("水务局",))
LAST_YEARS_FARM = DepartmentRef(50, OLD.id, "区农业农村局", "A")


def campaign(**extra: object) -> RecordingAssessment:
    store = RecordingAssessment(items_=[G1, A5, B1], departments_=[FARM, WATER, LAST_YEARS_FARM])
    for key, value in extra.items():
        setattr(store, key, value)
    return store


# ---------------------------------------------------------------- /adddept


async def test_a_b_class_department_is_bound_to_general_and_b_items_and_its_people_follow() -> None:
    store = campaign(
        liaisons_elsewhere=[Placed(71, "区档案馆"), Placed(72, "区发展改革局")],
        invites_elsewhere=[Placed(81, "区档案馆")],
    )
    checked: AdjustStore = store
    added = await adjust.add_department(
        checked, name="区档案馆", dept_class="B", actor_tg_id=OFFICE, now=NOW
    )
    [department] = store.added_departments
    assert (department.name, department.dept_class, department.aliases) == (
        "区档案馆",
        "B",
        ("档案馆",),
    )
    assert store.added_bindings == [(department.id, G1.id), (department.id, B1.id)]
    assert store.numbers == [None]  # B-class departments are not numbered
    assert added.bindings == 2
    # Last year's 区档案馆 liaison and invite follow it; nobody else moves.
    assert store.moves == [((71,), (81,), department.id)]
    assert (added.moved.moved, added.moved.invites_moved) == (1, 1)
    assert added.moved.unmoved_departments == ("区发展改革局",)
    assert [action for action, _ in store.audit] == ["liaisons_moved", "add_department"]


async def test_an_a_class_department_goes_last_in_the_documents_numbering() -> None:
    store = campaign()
    added = await adjust.add_department(
        store, name="区生态环境委员会", dept_class="A", actor_tg_id=OFFICE, now=NOW
    )
    assert store.numbers == [13]  # after the document's last, 12
    assert store.added_bindings == [(added.department_id, G1.id)]  # no B item for class A


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("农业农村局", "duplicate"),
        ("区水务局", "duplicate"),
        ("/x", "bad_name"),
        ("局", "bad_name"),
    ],
)
async def test_a_duplicate_or_unusable_name_adds_nothing(name: str, reason: str) -> None:
    store = campaign()
    with pytest.raises(AdjustRefused) as refused:
        await adjust.add_department(store, name=name, dept_class="A", actor_tg_id=OFFICE, now=NOW)
    assert refused.value.reason == reason
    assert store.wrote_nothing()


# ---------------------------------------------------------------- /bind, /unbind


async def test_bind_adds_one_binding_and_logs_it() -> None:
    store = campaign()
    changed = await adjust.bind(
        store, department_id=WATER.id, code="a5.1", actor_tg_id=OFFICE, now=NOW
    )
    assert store.added_bindings == [(WATER.id, A5.id)]
    assert (changed.department, changed.code) == ("区水务局", "A5.1")
    assert store.audit == [("bind", {"department_id": 6, "item_id": 12, "code": "A5.1"})]


async def test_unbind_removes_a_binding_without_reports_or_score() -> None:
    store = campaign(bindings={(FARM.id, G1.id): 301})
    await adjust.unbind(store, department_id=FARM.id, code="G1", actor_tg_id=OFFICE, now=NOW)
    assert store.removed_bindings == [301]
    assert store.audit[0][0] == "unbind"


@pytest.mark.parametrize(
    ("action", "department_id", "code", "setup", "reason", "detail"),
    [
        ("bind", FARM.id, "G1", {"bindings": {(5, 11): 301}}, "already_bound", "G1"),
        ("bind", FARM.id, "Z9", {}, "no_item", "Z9"),
        ("bind", LAST_YEARS_FARM.id, "G1", {}, "no_department", ""),  # not this campaign's
        ("bind", FARM.id, "G1", {"active": None}, "no_campaign", ""),
        ("unbind", WATER.id, "G1", {}, "not_bound", "G1"),
        # Reports are never deleted, so a binding with reports stays; so does a scored one.
        (
            "unbind",
            FARM.id,
            "G1",
            {"bindings": {(5, 11): 301}, "reports": {301: 2}},
            "has_reports",
            "2",
        ),
        (
            "unbind",
            FARM.id,
            "G1",
            {"bindings": {(5, 11): 301}, "scored_": {301}},
            "has_score",
            "G1",
        ),
    ],
)
async def test_a_refused_bind_or_unbind_changes_nothing(
    action: str,
    department_id: int,
    code: str,
    setup: dict[str, object],
    reason: str,
    detail: str,
) -> None:
    store = campaign(**setup)
    change = adjust.bind if action == "bind" else adjust.unbind
    with pytest.raises(AdjustRefused) as refused:
        await change(store, department_id=department_id, code=code, actor_tg_id=OFFICE, now=NOW)
    assert (refused.value.reason, refused.value.detail) == (reason, detail)
    assert store.wrote_nothing()


# ---------------------------------------------------------------- /deadline, /needevidence


async def test_a_new_deadline_is_set_and_the_old_one_logged() -> None:
    store = campaign()
    changed = await adjust.set_deadline(
        store, code="G1", deadline=dt.date(2020, 9, 30), actor_tg_id=OFFICE, now=NOW
    )
    assert store.deadlines == {G1.id: dt.date(2020, 9, 30)}
    assert (changed.old, changed.new) == (dt.date(2020, 6, 30), dt.date(2020, 9, 30))
    assert store.audit == [
        ("deadline", {"item_id": 11, "code": "G1", "old": "2020-06-30", "new": "2020-09-30"})
    ]


async def test_evidence_policy_of_an_item_and_of_no_item() -> None:
    store = campaign()
    checked: EvidencePolicyStore = store
    assert await evidence_policy.set_evidence_required(
        checked, code="A5.1", required=True, actor_tg_id=OFFICE, now=NOW
    )
    assert store.evidence == {A5.id: True}
    assert store.audit == [("evidence_policy", {"code": "A5.1", "required": True})]
    other = campaign()
    assert not await evidence_policy.set_evidence_required(
        other, code="Z9", required=True, actor_tg_id=OFFICE, now=NOW
    )
    assert other.wrote_nothing()


# ---------------------------------------------------------------- switching campaigns


def document(title: str) -> ParsedDocument:
    """2021's document: 区农业农村局 and 水务局 (last year's 区水务局, by its alias); a
    general item, 农业's own item with 水务局 as 配合单位, and the B-class item."""

    def item(code: str, kind: str, owner: int | None, *units: BoundUnit) -> ParsedItem:
        return ParsedItem(
            code=code,
            kind=kind,
            text=f"{code}：2021年6月30日前完成方案，9月30日前完成整改。",
            title=f"{code} 工作",
            deadline=dt.date(2021, 9, 30),
            targets=(Target("完成率", ">=", Decimal(90), "%"),),
            department_number=owner,
            units=units,
        )

    return ParsedDocument(
        year=2021,
        title=title,
        departments=(
            ParsedDepartment(1, "区农业农村局", "A", ("A1.1",)),
            ParsedDepartment(2, "水务局", "A", ()),
        ),
        items=(
            item("G1", "general", None),
            item("A1.1", "department", 1, BoundUnit(2, "supporting")),
            item("B1", "b_class", None),
        ),
        unplaced=(),
    )


LAST_FARM = DepartmentRef(50, OLD.id, "区农业农村局", "A", ("农业农村局",))
LAST_WATER = DepartmentRef(51, OLD.id, "区水务局", "A", ("水务局",))
LAST_ARCHIVE = DepartmentRef(52, OLD.id, "区档案馆", "B", ("档案馆",))


async def test_switching_saves_the_document_makes_it_active_and_brings_its_people() -> None:
    store = RecordingAssessment(
        active=OLD,
        departments_=[LAST_FARM, LAST_WATER, LAST_ARCHIVE],
        liaisons_elsewhere=[
            Placed(71, "区农业农村局"),
            Placed(72, "区水务局"),
            Placed(73, "区档案馆"),  # B class: not in the document, stays until /adddept
        ],
        invites_elsewhere=[Placed(81, "区水务局"), Placed(82, "区档案馆")],
    )
    checked: SwitchStore = store
    switched = await switch.import_as_active(
        checked, document("2021年考核"), source_name="2021.docx", actor_tg_id=OFFICE, now=NOW
    )
    assert switched.created and switched.previous == OLD
    assert store.saved == ["2021年考核"] and store.deactivated and store.active == NEW
    # 水务局 is last year's 区水务局 by its alias: the name stays, so its people follow.
    assert [(d.number, d.name) for d in store.new_departments] == [
        (1, "区农业农村局"),
        (2, "区水务局"),
    ]
    farm, water = 200, 201
    g1, a11, b1 = 300, 301, 302
    assert [i.code for i in store.new_items] == ["G1", "A1.1", "B1"]
    assert store.new_items[1].owner_id == farm and store.new_items[0].owner_id is None
    assert store.new_items[0].milestones == ("2021-06-30", "2021-09-30")
    assert store.new_bindings == [
        NewBinding(farm, g1),
        NewBinding(farm, a11),
        NewBinding(water, g1),
        NewBinding(water, a11, "supporting"),  # the 配合单位, role kept
    ]
    assert b1 not in {b.item_id for b in store.new_bindings}  # no B-class department named
    outcome = switched.outcome
    assert (outcome.departments, outcome.items, outcome.bindings) == (2, 3, 4)
    assert store.moves == [((71,), (), farm), ((72,), (81,), water)]
    moved = switched.moved
    assert (moved.moved, moved.unmoved, moved.invites_moved) == (2, 1, 1)
    assert moved.unmoved_departments == ("区档案馆",)
    assert [action for action, _ in store.audit] == ["import", "liaisons_moved"]


async def test_a_document_imported_before_creates_nothing_and_moves_nobody() -> None:
    doc = document("2020年考核")
    store = campaign(
        active=NEW,
        imported={doc.fingerprint(): NEW},
        liaisons_elsewhere=[Placed(71, "区农业农村局")],
    )
    assert await switch.already_imported(store, doc) == NEW
    switched = await switch.import_as_active(
        store,
        doc,
        source_name="again.docx",
        actor_tg_id=OFFICE,
        now=NOW,
    )
    assert not switched.created and switched.outcome.campaign_id == NEW.id
    assert store.wrote_nothing()
