"""Liaison work: a department's items, recording a report with its evidence, history.

`record_report` is the one way a report is written: it checks the binding belongs to
the liaison's department, places evidence files in the store, writes the report, its
values and evidence, updates the binding's latest state, and flushes. Only after the
caller's use case has committed may anyone be told the report is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from core.reporting.evidence import EvidenceStore, StagedFile
from core.reporting.values import meets
from core.status.day import facts_of
from core.status.model import (
    Facts,
    Rules,
    State,
    assess,
    effective_status,
    item_order,
)
from storage import repositories as repo
from storage.models import (
    BINDING_LEAD,
    REVIEW_NONE,
    REVIEW_PENDING,
    STATUS_DONE,
    STATUSES,
    Binding,
    Campaign,
    Department,
    Evidence,
    Item,
    Report,
    ReportValue,
    Target,
    User,
)

# An item of this kind is every department's (通用考核内容); the others are its own work.
KIND_GENERAL = "general"


@dataclass(frozen=True)
class TargetView:
    id: int
    metric: str
    op: str
    value: Decimal
    unit: str
    last_value: Decimal | None = None

    @property
    def met(self) -> bool | None:
        return None if self.last_value is None else meets(self.last_value, self.op, self.value)


@dataclass(frozen=True)
class ItemView:
    binding_id: int
    item_id: int
    department_id: int
    code: str
    title: str
    text: str
    kind: str
    deadline: dt.date | None
    status: str
    review_state: str
    last_reported_at: dt.datetime | None
    report_count: int
    evidence_count: int
    evidence_required: bool
    bound_at: dt.datetime
    campaign_year: int | None
    targets: tuple[TargetView, ...] = field(default_factory=tuple)
    # From table documents (issue 14): 分值, 考核标准, and lead or supporting unit.
    score: Decimal | None = None
    standard: str = ""
    role: str = BINDING_LEAD
    # Supervision (issue 22): the status model's further facts (core.status.day.facts_of).
    extended_due: dt.date | None = None
    rectification_due: dt.date | None = None
    rectification_measures: str = ""
    progress_value: Decimal | None = None
    milestones: tuple[str, ...] = ()
    pace_target: Decimal | None = None
    starts_on: dt.date | None = None

    @property
    def effective(self) -> str:
        return effective_status(self.status, self.review_state)

    @property
    def general(self) -> bool:
        return self.kind == KIND_GENERAL

    def facts(self) -> Facts:
        return facts_of(
            (
                self.status,
                self.review_state,
                self.deadline,
                self.last_reported_at,
                self.bound_at,
                self.role,
                self.extended_due,
                self.rectification_due,
                self.progress_value,
                self.milestones,
                self.pace_target,
            ),
            self.campaign_year,
            self.starts_on,
        )

    def state(self, today: dt.date, rules: Rules) -> State:
        """The status model's view of this binding on `today`."""
        return assess(self.facts(), today, rules)


# The last report's value per target, joined by `views_where` (built once: an alias made
# per call would give each statement new columns to compile and cache-key).
_LAST_VALUE = aliased(ReportValue)

# What `views_where` reads, as plain columns: no ORM entities (identity map, instance
# state) for what only becomes immutable views.
_VIEW_COLUMNS = (
    Binding.id,
    Item.id,
    Binding.department_id,
    Item.code,
    Item.title,
    Item.text,
    Item.kind,
    Item.deadline,
    Binding.status,
    Binding.review_state,
    Binding.last_reported_at,
    Binding.report_count,
    Binding.evidence_count,
    Item.evidence_required,
    Binding.created_at,
    Campaign.year,
    Item.score,
    Item.standard,
    Binding.role,
    Binding.extended_due,
    Binding.rectification_due,
    Binding.rectification_measures,
    Binding.progress_value,
    Item.milestones,
    Item.pace_target,
    Campaign.starts_on,
    Binding.last_report_id,
    Target.id,
    Target.metric,
    Target.op,
    Target.value,
    Target.unit,
    _LAST_VALUE.value,
)
_BINDING_FIELDS = 27  # the binding's columns (up to Binding.last_report_id); then its target's


def _views_query(condition: ColumnElement[bool]) -> Any:
    return (
        select(*_VIEW_COLUMNS)
        .join(Item, Item.id == Binding.item_id)
        .join(Campaign, Campaign.id == Binding.campaign_id)
        .outerjoin(Target, Target.item_id == Item.id)
        .outerjoin(
            _LAST_VALUE,
            (_LAST_VALUE.report_id == Binding.last_report_id)
            & (_LAST_VALUE.target_id == Target.id),
        )
        .where(condition)
        .order_by(Binding.id, Target.position)
    )


# /items' query (every liaison's most frequent one), built once.
_DEPARTMENT_VIEWS = _views_query(Binding.department_id == bindparam("of_department"))


async def views_where(session: AsyncSession, condition: ColumnElement[bool]) -> list[ItemView]:
    """Bindings matching `condition` with their items, targets and last values: one query
    (a row per binding and target; issue 19 counts the statements of /items)."""
    return await _views(session, _views_query(condition), {})


async def _views(session: AsyncSession, query: Any, parameters: dict[str, Any]) -> list[ItemView]:
    # Plain rows through the session's connection: the ORM's execution path would add
    # its own compile and loading steps for what are only columns.
    connection = await session.connection()
    rows = (await connection.execute(query, parameters)).all()
    fields: dict[int, tuple[Any, ...]] = {}
    targets: dict[int, list[TargetView]] = defaultdict(list)
    for row in rows:
        binding_id = row[0]
        if binding_id not in fields:
            fields[binding_id] = tuple(row[:_BINDING_FIELDS])
        target_id, metric, op, value, unit, last = row[_BINDING_FIELDS:]
        if target_id is not None:
            # The last value only belongs to the binding's latest report (the join says so).
            targets[binding_id].append(TargetView(target_id, metric, op, value, unit, last))
    return [
        ItemView(
            binding_id=head[0],
            item_id=head[1],
            department_id=head[2],
            code=head[3],
            title=head[4],
            text=head[5],
            kind=head[6],
            deadline=head[7],
            status=head[8],
            review_state=head[9],
            last_reported_at=head[10],
            report_count=head[11],
            evidence_count=head[12],
            evidence_required=head[13],
            bound_at=head[14],
            campaign_year=head[15],
            targets=tuple(targets.get(binding_id, ())),
            score=head[16],
            standard=head[17],
            role=head[18],
            extended_due=head[19],
            rectification_due=head[20],
            rectification_measures=head[21] or "",
            progress_value=head[22],
            milestones=tuple(str(m) for m in head[23] or ()),
            pace_target=head[24],
            starts_on=head[25],
        )
        for binding_id, head in fields.items()
    ]


def liaison_order(view: ItemView) -> tuple[object, ...]:
    """A liaison's list: the department's own items first, then the general items; in
    each, outstanding before done (the status model's `item_order`)."""
    return (view.general, *item_order(view.effective, view.code))


async def department_items(session: AsyncSession, department_id: int) -> list[ItemView]:
    """A department's items in `liaison_order`."""
    views = await _views(session, _DEPARTMENT_VIEWS, {"of_department": department_id})
    views.sort(key=liaison_order)
    return views


async def own_item(session: AsyncSession, department_id: int, code: str) -> ItemView | None:
    views = await views_where(
        session, (Binding.department_id == department_id) & (Item.code == code)
    )
    return views[0] if views else None


async def binding_view(
    session: AsyncSession, binding_id: int, *, department_id: int | None = None
) -> ItemView | None:
    """One binding as an item view; with `department_id`, only if it is that department's."""
    condition = Binding.id == binding_id
    if department_id is not None:
        condition = condition & (Binding.department_id == department_id)
    views = await views_where(session, condition)
    return views[0] if views else None


async def item_bindings(session: AsyncSession, code: str) -> list[ItemView]:
    """One item of the active campaign across the departments it is bound to."""
    campaign = await repo.active_campaign(session)
    if campaign is None:
        return []
    views = await views_where(session, (Binding.campaign_id == campaign.id) & (Item.code == code))
    return views


async def code_exists(session: AsyncSession, code: str) -> bool:
    campaign = await repo.active_campaign(session)
    if campaign is None:
        return False
    found = await session.scalar(
        select(Item.id).where(Item.campaign_id == campaign.id, Item.code == code)
    )
    return found is not None


@dataclass(frozen=True)
class NewEvidence:
    """A file received from Telegram and already staged in the evidence store."""

    kind: str  # photo / document
    file_id: str
    file_unique_id: str
    mime_type: str
    file_name: str
    media_group_id: str | None
    staged: StagedFile

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "mime_type": self.mime_type,
            "file_name": self.file_name,
            "media_group_id": self.media_group_id,
            "sha256": self.staged.sha256,
            "size": self.staged.size,
            "ext": self.staged.extension,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> NewEvidence:
        return cls(
            kind=str(data["kind"]),
            file_id=str(data["file_id"]),
            file_unique_id=str(data["file_unique_id"]),
            mime_type=str(data.get("mime_type") or ""),
            file_name=str(data.get("file_name") or ""),
            media_group_id=(str(data["media_group_id"]) if data.get("media_group_id") else None),
            staged=StagedFile(str(data["sha256"]), int(str(data["size"])), str(data["ext"])),
        )


class ReportRefused(Exception):
    """reason: not_yours, bad_status, bad_target."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReusedEvidence:
    file_name: str
    earlier_report_id: int
    earlier_code: str
    earlier_at: dt.datetime


@dataclass(frozen=True)
class Recorded:
    report_id: int
    code: str
    title: str
    status: str
    values: tuple[tuple[TargetView, Decimal], ...]
    text: str
    photos: int
    documents: int
    created_at: dt.datetime
    reused: tuple[ReusedEvidence, ...] = ()


async def record_report(
    session: AsyncSession,
    store: EvidenceStore,
    *,
    reporter_tg_id: int,
    department_id: int,
    binding_id: int,
    status: str,
    values: dict[int, Decimal],
    text: str,
    evidence: Sequence[NewEvidence],
    source: str,
    now: dt.datetime,
    source_message: tuple[int, int] | None = None,
) -> Recorded:
    """Write one report with its values and evidence, and flush. See module docstring.

    `source_message` (chat id, message id) makes it idempotent: if that message already
    saved a report (an update delivered again after a crash), that report is returned.
    """
    if status not in STATUSES:
        raise ReportRefused("bad_status")
    if source_message is not None:
        earlier = await session.scalar(
            select(Report.id).where(
                Report.source_chat_id == source_message[0],
                Report.source_message_id == source_message[1],
            )
        )
        if earlier is not None:
            return await recorded_view(session, earlier)
    binding = await session.get(Binding, binding_id)
    if binding is None or binding.department_id != department_id:
        raise ReportRefused("not_yours")
    item = await session.get(Item, binding.item_id)
    assert item is not None
    targets = {
        t.id: t for t in await session.scalars(select(Target).where(Target.item_id == item.id))
    }
    if any(target_id not in targets for target_id in values):
        raise ReportRefused("bad_target")
    reporter = await repo.user_by_tg_id(session, reporter_tg_id)

    # The same file twice in one report is one piece of evidence.
    unique: dict[str, NewEvidence] = {}
    for piece in evidence:
        unique.setdefault(piece.staged.sha256, piece)
    pieces = list(unique.values())
    reused = await _earlier_uses(session, pieces)

    report = Report(
        binding_id=binding.id,
        reporter_id=reporter.id if reporter else None,
        status=status,
        text=text[:4000],
        source=source,
        review_state=REVIEW_PENDING if status == STATUS_DONE else REVIEW_NONE,
        created_at=now,
        source_chat_id=source_message[0] if source_message else None,
        source_message_id=source_message[1] if source_message else None,
        values=[ReportValue(target_id=tid, value=value) for tid, value in values.items()],
    )
    for piece in pieces:
        relative = store.final_relative_path(
            piece.staged, binding.campaign_id, department_id, item.code
        )
        # Files first: once the row is committed, its file must already be in place.
        store.place(piece.staged, relative)
        earlier_use = reused.get(piece.staged.sha256)
        report.evidence.append(
            Evidence(
                kind=piece.kind,
                file_id=piece.file_id,
                file_unique_id=piece.file_unique_id,
                sha256=piece.staged.sha256,
                size=piece.staged.size,
                mime_type=piece.mime_type,
                file_name=piece.file_name[:255],
                stored_path=relative,
                media_group_id=piece.media_group_id,
                reused_from_report_id=earlier_use.earlier_report_id if earlier_use else None,
                created_at=now,
            )
        )
    session.add(report)
    await session.flush()

    # The counters are incremented in SQL, never read-modify-written: two liaisons of one
    # department reporting on the item at once both count (issue 19).
    written: dict[str, Any] = {
        "status": status,
        "review_state": report.review_state,
        "last_report_id": report.id,
        "last_reported_at": now,
    }
    # The paced target is the item's first (core.status.model.is_cumulative).
    first_target = min(targets.values(), key=lambda t: t.position, default=None)
    if first_target is not None and first_target.id in values:
        written["progress_value"] = values[first_target.id]
    counts = (
        await session.execute(
            update(Binding)
            .where(Binding.id == binding.id)
            .values(
                **written,
                report_count=Binding.report_count + 1,
                evidence_count=Binding.evidence_count + len(pieces),
            )
            .returning(Binding.report_count, Binding.evidence_count)
            .execution_options(synchronize_session=False)
        )
    ).one()
    # The loaded binding shows what the database now holds (without writing it again).
    written.update(report_count=counts.report_count, evidence_count=counts.evidence_count)
    for name, value in written.items():
        set_committed_value(binding, name, value)

    return Recorded(
        report_id=report.id,
        code=item.code,
        title=item.title,
        status=status,
        values=tuple(
            (TargetView(t.id, t.metric, t.op, t.value, t.unit, values[t.id]), values[t.id])
            for t in sorted(targets.values(), key=lambda t: t.position)
            if t.id in values
        ),
        text=report.text,
        photos=sum(1 for p in pieces if p.kind == "photo"),
        documents=sum(1 for p in pieces if p.kind != "photo"),
        created_at=now,
        reused=tuple(reused.values()),
    )


async def recorded_view(session: AsyncSession, report_id: int) -> Recorded:
    """The summary of a report already saved (for a repeated delivery of its message)."""
    report = await session.get(Report, report_id)
    assert report is not None
    binding = await session.get(Binding, report.binding_id)
    assert binding is not None
    item = await session.get(Item, binding.item_id)
    assert item is not None
    await session.refresh(report, ["values", "evidence"])
    targets = {
        t.id: t for t in await session.scalars(select(Target).where(Target.item_id == item.id))
    }
    values = tuple(
        (TargetView(t.id, t.metric, t.op, t.value, t.unit, v.value), v.value)
        for v in report.values
        if (t := targets.get(v.target_id)) is not None
    )
    return Recorded(
        report_id=report.id,
        code=item.code,
        title=item.title,
        status=report.status,
        values=values,
        text=report.text,
        photos=sum(1 for e in report.evidence if e.kind == "photo"),
        documents=sum(1 for e in report.evidence if e.kind != "photo"),
        created_at=report.created_at,
    )


async def _earlier_uses(
    session: AsyncSession, pieces: Sequence[NewEvidence]
) -> dict[str, ReusedEvidence]:
    """Evidence already submitted with an earlier report, by sha256 (one query)."""
    if not pieces:
        return {}
    hashes = [p.staged.sha256 for p in pieces]
    uniques = [p.file_unique_id for p in pieces]
    rows = await session.execute(
        select(
            Evidence.sha256,
            Evidence.file_unique_id,
            Evidence.report_id,
            Item.code,
            Report.created_at,
        )
        .join(Report, Report.id == Evidence.report_id)
        .join(Binding, Binding.id == Report.binding_id)
        .join(Item, Item.id == Binding.item_id)
        .where(or_(Evidence.sha256.in_(hashes), Evidence.file_unique_id.in_(uniques)))
        .order_by(Evidence.id)
    )
    by_unique = {p.file_unique_id: p.staged.sha256 for p in pieces}
    found: dict[str, ReusedEvidence] = {}
    names = {p.staged.sha256: p.file_name for p in pieces}
    for sha, unique_id, report_id, code, created_at in rows:
        key = sha if sha in names else by_unique.get(unique_id, sha)
        if key in names and key not in found:
            found[key] = ReusedEvidence(names[key], report_id, code, created_at)
    return found


@dataclass(frozen=True)
class HistoryEntry:
    report_id: int
    status: str
    text: str
    created_at: dt.datetime
    review_state: str
    values: tuple[tuple[str, Decimal], ...]  # (metric, value)
    evidence_count: int


async def history(
    session: AsyncSession, binding_id: int, *, offset: int = 0, limit: int = 5
) -> tuple[list[HistoryEntry], int]:
    """A binding's reports, newest first, one page of them, and the total count."""
    total = int(
        await session.scalar(select(func.count(Report.id)).where(Report.binding_id == binding_id))
        or 0
    )
    reports = (
        await session.scalars(
            select(Report)
            .where(Report.binding_id == binding_id)
            .order_by(Report.created_at.desc(), Report.id.desc())
            .offset(offset)
            .limit(limit)
        )
    ).all()
    ids = [r.id for r in reports]
    values: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    counts: dict[int, int] = {}
    if ids:
        for report_id, metric, value in await session.execute(
            select(ReportValue.report_id, Target.metric, ReportValue.value)
            .join(Target, Target.id == ReportValue.target_id)
            .where(ReportValue.report_id.in_(ids))
            .order_by(Target.position)
        ):
            values[report_id].append((metric, value))
        for report_id, count in await session.execute(
            select(Evidence.report_id, func.count(Evidence.id))
            .where(Evidence.report_id.in_(ids))
            .group_by(Evidence.report_id)
        ):
            counts[report_id] = count
    entries = [
        HistoryEntry(
            r.id,
            r.status,
            r.text,
            r.created_at,
            r.review_state,
            tuple(values[r.id]),
            counts.get(r.id, 0),
        )
        for r in reports
    ]
    return entries, total


@dataclass(frozen=True)
class EvidenceEntry:
    kind: str
    file_id: str
    file_name: str
    report_id: int
    created_at: dt.datetime
    reused_from_report_id: int | None


async def evidence_of(session: AsyncSession, binding_id: int) -> list[EvidenceEntry]:
    rows = await session.execute(
        select(Evidence, Report.created_at)
        .join(Report, Report.id == Evidence.report_id)
        .where(Report.binding_id == binding_id)
        .order_by(Report.created_at.desc(), Evidence.id)
    )
    return [
        EvidenceEntry(
            e.kind, e.file_id, e.file_name, e.report_id, created_at, e.reused_from_report_id
        )
        for e, created_at in rows
    ]


async def department_name(session: AsyncSession, department_id: int) -> str:
    department = await session.get(Department, department_id)
    return department.name if department else "?"


async def reporter_names(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}
