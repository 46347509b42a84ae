"""The office's scoring acts, each one use case: it reads through a `ScoringReader`,
stages through a `ScoringWriter`, writes one `ScoreAudit` row per change (who, when,
what, before, after, why) and never commits — the caller's unit of work does, once.

Every act checks everything first and raises `ScoringRefused` before staging anything,
so a refused command changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.scoring.amounts import ZERO, BadAmount, parse_amount, show
from core.scoring.audit import audit_entry
from core.scoring.engine import DEFAULT_GRADES, Grade
from core.scoring.points import default_points
from core.scoring.ports import (
    CampaignInfo,
    DepartmentInfo,
    ScoreBook,
    ScoreLine,
    ScoringReader,
    ScoringWriter,
)
from core.scoring.results import (
    grades_json,
    has_document_points,
    point_slots,
)
from core.text.matching import Named, match_names, normalize_code
from storage.models import (
    GRADE_ON_CONVERTED,
    GRADE_ON_RAW,
    VETO_EFFECTS,
    ScoringScheme,
    VetoCondition,
)

MAX_REASON = 500
SOURCE_MANUAL = "manual"
RULE_PAST_DUE = "past_due"
RULE_KINDS = (RULE_PAST_DUE,)


class ScoringRefused(Exception):
    """Why an act was refused; `detail` holds what the reply names.

    reasons: no_campaign, final, no_scheme, confirmed, not_confirmed, missing_points,
    no_department, ambiguous_department, no_item, not_bound, above_points, reason_needed,
    rules_exceed, past_cap, nothing_to_undo, no_condition, bad_effect, duplicate_condition,
    bad_grades, bad_rule, no_proposal, already_decided, not_supporting_share.
    """

    def __init__(self, reason: str, **detail: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Actor:
    """Who acts, and when (UTC)."""

    tg_id: int
    now: dt.datetime


def _audit(
    writer: ScoringWriter,
    campaign_id: int,
    actor: Actor,
    action: str,
    *,
    subject: str,
    before: str = "",
    after: str = "",
    reason: str = "",
    department_id: int | None = None,
    binding_id: int | None = None,
) -> None:
    writer.add(
        audit_entry(
            campaign_id,
            actor.tg_id,
            actor.now,
            action,
            subject=subject,
            before=before,
            after=after,
            reason=reason,
            department_id=department_id,
            binding_id=binding_id,
        )
    )


def clean_reason(text: str) -> str:
    return " ".join(text.split())[:MAX_REASON]


async def _campaign(reader: ScoringReader, campaign_id: int | None) -> CampaignInfo:
    campaign = await reader.campaign(campaign_id)
    if campaign is None:
        raise ScoringRefused("no_campaign")
    return campaign


# ---------------------------------------------------------------- finding things


def find_department(book: ScoreBook, query: str) -> DepartmentInfo:
    """A forgiving match of a typed name (a unique substring is enough)."""
    matches = match_names(query, [Named(d.id, d.name, d.aliases) for d in book.departments])
    if not matches:
        raise ScoringRefused("no_department", query=query[:40])
    if len(matches) > 1:
        raise ScoringRefused(
            "ambiguous_department", query=query[:40], names=[m.name for m in matches[:10]]
        )
    department = book.department(matches[0].id)
    assert department is not None
    return department


def item_lines(book: ScoreBook, code_text: str) -> list[ScoreLine]:
    """The bindings of an item typed by code; ScoringRefused("no_item") when none."""
    code = normalize_code(code_text)
    lines = [line for line in book.lines if code is not None and line.code == code]
    if not lines:
        raise ScoringRefused("no_item", code=(code or code_text)[:20])
    return lines


def binding_line(book: ScoreBook, department: DepartmentInfo, code_text: str) -> ScoreLine:
    lines = item_lines(book, code_text)
    line = next((x for x in lines if x.department_id == department.id), None)
    if line is None:
        raise ScoringRefused("not_bound", department=department.name, code=lines[0].code)
    return line


def subject(book: ScoreBook, line: ScoreLine) -> str:
    department = book.department(line.department_id)
    return f"{department.name if department else line.department_id} {line.code}"


# ---------------------------------------------------------------- the scheme


async def ensure_scheme(
    reader: ScoringReader, writer: ScoringWriter, actor: Actor, campaign_id: int | None = None
) -> ScoreBook:
    """The campaign's book, with a scheme: on first use one is made with the defaults
    (document 分值 where the table gives them, else the 30/70 blocks), logged."""
    campaign = await _campaign(reader, campaign_id)
    book = await reader.book(campaign.id)
    if book.scheme is not None:
        return book
    from_document = has_document_points(book.lines)
    scheme = ScoringScheme(
        campaign_id=campaign.id,
        source="document" if from_document else "blocks",
        common_share=Decimal(30),
        own_share=Decimal(70),
        grades=grades_json(DEFAULT_GRADES),
        grade_on=GRADE_ON_CONVERTED,
        bonus_cap=Decimal(10),
        penalty_cap=Decimal(10),
        supporting_counts=False,
        supporting_share=Decimal("0.5"),
        rules=[],
        created_at=actor.now,
    )
    writer.add(scheme)
    points = default_points(
        point_slots(book.lines), common=Decimal(30), own=Decimal(70), from_document=from_document
    )
    await writer.set_points(campaign.id, points, by=actor.tg_id, at=actor.now)
    _audit(
        writer,
        campaign.id,
        actor,
        "scheme_created",
        subject=campaign.title,
        after="document" if from_document else "blocks 30/70",
    )
    await writer.flush()
    return await reader.book(campaign.id)


async def changeable_book(
    reader: ScoringReader, writer: ScoringWriter, actor: Actor, campaign_id: int | None = None
) -> ScoreBook:
    """The book for an act that changes points, scores, bonus, penalty, vetoes or the
    scheme: refused with "final" once the year end made the results final (/finalize),
    before anything is staged (not even a first scheme). Every changing act starts here,
    so `/finalize reopen` is the one way to change a score again."""
    campaign = await _campaign(reader, campaign_id)
    if await reader.final(campaign.id):
        raise ScoringRefused("final")
    return await ensure_scheme(reader, writer, actor, campaign.id)


def _unconfirmed(scheme: ScoringScheme) -> None:
    if scheme.confirmed_at is not None:
        raise ScoringRefused("confirmed", at=scheme.confirmed_at)


def _scheme(book: ScoreBook) -> ScoringScheme:
    if book.scheme is None:
        raise ScoringRefused("no_scheme")
    return book.scheme


def missing_points(book: ScoreBook) -> list[ScoreLine]:
    return [line for line in book.lines if line.points is None]


async def confirm_scheme(
    reader: ScoringReader, writer: ScoringWriter, actor: Actor, campaign_id: int | None = None
) -> ScoreBook:
    """/scheme confirm: every binding has points; from now on scoring may start."""
    book = await changeable_book(reader, writer, actor, campaign_id)
    scheme = _scheme(book)
    _unconfirmed(scheme)
    missing = missing_points(book)
    if missing:
        raise ScoringRefused("missing_points", count=len(missing), first=subject(book, missing[0]))
    scheme.confirmed_by, scheme.confirmed_at = actor.tg_id, actor.now
    _audit(writer, book.campaign.id, actor, "scheme_confirmed", subject=book.campaign.title)
    await writer.flush()
    return book


async def reopen_scheme(
    reader: ScoringReader, writer: ScoringWriter, actor: Actor, reason: str
) -> ScoreBook:
    """/scheme reopen REASON: the explicit act that allows changing a confirmed scheme."""
    book = await changeable_book(reader, writer, actor)
    scheme = _scheme(book)
    reason = clean_reason(reason)
    if scheme.confirmed_at is None:
        raise ScoringRefused("not_confirmed")
    if not reason:
        raise ScoringRefused("reason_needed")
    before = scheme.confirmed_at.isoformat()
    scheme.confirmed_by, scheme.confirmed_at = None, None
    _audit(
        writer,
        book.campaign.id,
        actor,
        "scheme_reopened",
        subject=book.campaign.title,
        before=before,
        reason=reason,
    )
    await writer.flush()
    return book


async def set_points(
    reader: ScoringReader,
    writer: ScoringWriter,
    actor: Actor,
    *,
    code: str,
    points: Decimal,
    department: str | None = None,
    reason: str = "",
) -> tuple[ScoreBook, list[ScoreLine]]:
    """/points CODE N (every binding of the item) or /points DEPT CODE N (one binding).
    Once the scheme is confirmed a change needs a reason and is logged as such."""
    book = await changeable_book(reader, writer, actor)
    scheme = _scheme(book)
    reason = clean_reason(reason)
    if scheme.confirmed_at is not None and not reason:
        raise ScoringRefused("confirmed", at=scheme.confirmed_at)
    if department is not None:
        lines = [binding_line(book, find_department(book, department), code)]
    else:
        lines = item_lines(book, code)
    await writer.set_points(
        book.campaign.id, {line.binding_id: points for line in lines}, by=actor.tg_id, at=actor.now
    )
    action = "points" if scheme.confirmed_at is None else "points_after_confirm"
    for line in lines:
        _audit(
            writer,
            book.campaign.id,
            actor,
            action,
            subject=subject(book, line),
            before="" if line.points is None else show(line.points),
            after=show(points),
            reason=reason,
            department_id=line.department_id,
            binding_id=line.binding_id,
        )
    await writer.flush()
    return await reader.book(book.campaign.id), lines


# ---------------------------------------------------------------- scheme settings


# A setting's validation and change on the scheme: returns (before, after) as text.
SettingApply = Callable[[ScoreBook, ScoringScheme], tuple[str, str]]


@dataclass(frozen=True)
class SettingChange:
    name: str
    before: str
    after: str


async def _change_setting(
    reader: ScoringReader,
    writer: ScoringWriter,
    actor: Actor,
    name: str,
    apply: SettingApply,
) -> SettingChange:
    book = await changeable_book(reader, writer, actor)
    scheme = _scheme(book)
    _unconfirmed(scheme)
    before, after = apply(book, scheme)
    _audit(
        writer,
        book.campaign.id,
        actor,
        f"scheme_{name}",
        subject=book.campaign.title,
        before=before,
        after=after,
    )
    await writer.flush()
    return SettingChange(name, before, after)


def _grades_text(grades: Sequence[Sequence[str]]) -> str:
    return " ".join(f"{name} {show(Decimal(lower))}" for name, lower in grades)


def parse_grades(words: Sequence[str]) -> list[Grade]:
    """`优秀 90 良好 80 一般 70 合格 60 不合格` -> grades, best first; the last has no bound.

    Bounds must fall strictly from first to last; at least two grades."""
    words = [w for w in words if w.strip()]
    if len(words) < 3 or len(words) % 2 == 0:
        raise ScoringRefused("bad_grades")
    grades: list[Grade] = []
    for index in range(0, len(words) - 1, 2):
        try:
            lower = parse_amount(words[index + 1])
        except BadAmount as exc:
            raise ScoringRefused("bad_grades") from exc
        if grades and lower >= grades[-1].lower:
            raise ScoringRefused("bad_grades")
        grades.append(Grade(words[index][:20], lower))
    grades.append(Grade(words[-1][:20], ZERO))
    if len({g.name for g in grades}) != len(grades):
        raise ScoringRefused("bad_grades")
    return grades


async def set_grades(
    reader: ScoringReader, writer: ScoringWriter, actor: Actor, grades: Sequence[Grade]
) -> SettingChange:
    def apply(book: ScoreBook, scheme: ScoringScheme) -> tuple[str, str]:
        before = _grades_text(scheme.grades)
        scheme.grades = grades_json(grades)
        return before, _grades_text(scheme.grades)

    return await _change_setting(reader, writer, actor, "grades", apply)


async def set_caps(
    reader: ScoringReader, writer: ScoringWriter, actor: Actor, bonus: Decimal, penalty: Decimal
) -> SettingChange:
    def apply(book: ScoreBook, scheme: ScoringScheme) -> tuple[str, str]:
        before = f"{show(scheme.bonus_cap)} / {show(scheme.penalty_cap)}"
        scheme.bonus_cap, scheme.penalty_cap = bonus, penalty
        return before, f"{show(bonus)} / {show(penalty)}"

    return await _change_setting(reader, writer, actor, "caps", apply)


async def set_supporting(
    reader: ScoringReader,
    writer: ScoringWriter,
    actor: Actor,
    counts: bool,
    share: Decimal | None = None,
) -> SettingChange:
    if share is not None and share > Decimal(1):
        raise ScoringRefused("not_supporting_share")

    def apply(book: ScoreBook, scheme: ScoringScheme) -> tuple[str, str]:
        before = f"{'on' if scheme.supporting_counts else 'off'} {show(scheme.supporting_share)}"
        scheme.supporting_counts = counts
        if share is not None:
            scheme.supporting_share = share
        return before, f"{'on' if counts else 'off'} {show(scheme.supporting_share)}"

    return await _change_setting(reader, writer, actor, "supporting", apply)


async def set_grade_on(
    reader: ScoringReader, writer: ScoringWriter, actor: Actor, grade_on: str
) -> SettingChange:
    if grade_on not in (GRADE_ON_CONVERTED, GRADE_ON_RAW):
        raise ScoringRefused("bad_grade_on")

    def apply(book: ScoreBook, scheme: ScoringScheme) -> tuple[str, str]:
        before = scheme.grade_on
        scheme.grade_on = grade_on
        return before, grade_on

    return await _change_setting(reader, writer, actor, "grade_on", apply)


async def set_shares(
    reader: ScoringReader, writer: ScoringWriter, actor: Actor, common: Decimal, own: Decimal
) -> SettingChange:
    """Block shares; the explicit act re-splits every binding's points by the blocks."""

    def apply(book: ScoreBook, scheme: ScoringScheme) -> tuple[str, str]:
        before = f"{show(scheme.common_share)} / {show(scheme.own_share)}"
        scheme.common_share, scheme.own_share = common, own
        scheme.source = "blocks"
        return before, f"{show(common)} / {show(own)}"

    change = await _change_setting(reader, writer, actor, "shares", apply)
    book = await reader.book((await _campaign(reader, None)).id)
    points = default_points(point_slots(book.lines), common=common, own=own, from_document=False)
    await writer.set_points(book.campaign.id, points, by=actor.tg_id, at=actor.now)
    return change


async def set_rule(
    reader: ScoringReader, writer: ScoringWriter, actor: Actor, kind: str, points: Decimal
) -> SettingChange:
    """A deduction rule from the year's record, e.g. past_due 2; 0 removes it."""
    if kind not in RULE_KINDS:
        raise ScoringRefused("bad_rule", kind=kind[:20])

    def apply(book: ScoreBook, scheme: ScoringScheme) -> tuple[str, str]:
        rules = [dict(r) for r in scheme.rules or [] if r.get("kind") != kind]
        old = next((r["points"] for r in scheme.rules or [] if r.get("kind") == kind), "")
        if points > ZERO:
            rules.append({"kind": kind, "points": str(points)})
        scheme.rules = rules
        return f"{kind} {old}".strip(), f"{kind} {show(points)}"

    return await _change_setting(reader, writer, actor, "rule", apply)


def rule_points(scheme: ScoringScheme | None, kind: str) -> Decimal | None:
    if scheme is None:
        return None
    for rule in scheme.rules or []:
        if rule.get("kind") == kind:
            return Decimal(str(rule.get("points", "0")))
    return None


async def define_veto(
    reader: ScoringReader,
    writer: ScoringWriter,
    actor: Actor,
    *,
    code: str,
    effect: str,
    name: str,
) -> SettingChange:
    """A 一票否决 condition and its effect, defined before scoring starts."""
    code = code.strip().upper()[:20]
    name = clean_reason(name)[:200]
    if effect not in VETO_EFFECTS:
        raise ScoringRefused("bad_effect", effect=effect[:20])
    if not code or not name:
        raise ScoringRefused("bad_condition")

    def apply(book: ScoreBook, scheme: ScoringScheme) -> tuple[str, str]:
        if any(c.code == code for c in book.conditions):
            raise ScoringRefused("duplicate_condition", code=code)
        writer.add(VetoCondition(campaign_id=book.campaign.id, code=code, name=name, effect=effect))
        return "", f"{code} {effect} {name}"

    return await _change_setting(reader, writer, actor, "veto_condition", apply)
