"""What people read of the scores: /results, /scheme, a department's deductions, the year
beside a scoring entry. Shared by Telegram, the command line and the dashboard so that
every screen writes the same amounts (`amounts.show`) from the same results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.scoring.amounts import HUNDRED, show
from core.scoring.engine import DepartmentResult, in_rank_order
from core.scoring.ports import DeductionInfo, ScoreBook, ScoreLine, YearRecord
from core.scoring.results import grades_of
from core.status.model import EFFECTIVE_LABELS
from core.text.formatting import local_date, local_datetime, shorten, value_against_target
from core.text.i18n import N_, Translate
from storage.models import (
    ADJUST_BONUS,
    DEDUCTION_CONFIRMED,
    DEDUCTION_PROPOSED,
    DEDUCTION_REJECTED,
    DEDUCTION_WITHDRAWN,
    VETO_DOWN_ONE,
    VETO_FAIL,
    VETO_NO_TOP,
)

EFFECT_LABELS = {
    VETO_FAIL: N_("graded 不合格"),
    VETO_NO_TOP: N_("no top grade"),
    VETO_DOWN_ONE: N_("down one grade"),
}
STATE_LABELS = {
    DEDUCTION_PROPOSED: N_("proposed"),
    DEDUCTION_CONFIRMED: N_("confirmed"),
    DEDUCTION_REJECTED: N_("rejected"),
    DEDUCTION_WITHDRAWN: N_("replaced"),
}


def effect_label(effect: str, _: Translate) -> str:
    return _(EFFECT_LABELS[effect]) if effect in EFFECT_LABELS else effect


def deduction_reason(reason: str, _: Translate) -> str:
    """A rule's reason is data ("past_due:2020-06-30", then "| what the office added")."""
    head, sep, rest = reason.partition(" | ")
    if head.startswith("past_due:"):
        due = head.split(":", 1)[1]
        head = _("past due at year end (due {date})").format(date=due or "—")
    return f"{head}{sep}{rest}"


def score_cell(result: DepartmentResult, _: Translate) -> str:
    """`95.5`, or `61 (provisional, 3 to score)`."""
    text = show(result.score)
    if result.provisional:
        text += " " + _("(provisional, {count} to score)").format(count=result.remaining)
    return text


def result_line(result: DepartmentResult, _: Translate) -> str:
    rank = f"{result.rank}" + ("*" if result.rank_provisional else "")
    parts = [f"{rank}. {result.name}  {score_cell(result, _)}  {result.grade}"]
    if result.converted is not None:
        parts.append(
            _("raw {raw} of {points}").format(raw=show(result.total), points=show(result.points))
        )
    if result.bonus:
        parts.append(_("bonus +{amount}").format(amount=show(result.bonus)))
    if result.penalty:
        parts.append(_("penalty −{amount}").format(amount=show(result.penalty)))
    if result.supporting_deduction:
        parts.append(
            _("as supporting unit −{amount}").format(amount=show(result.supporting_deduction))
        )
    for effect in result.vetoes:
        parts.append("⛔ " + effect_label(effect, _))
    return " · ".join(parts)


def results_sections(
    book: ScoreBook, results: Sequence[DepartmentResult], _: Translate
) -> list[str]:
    """One section per class: its departments in rank order."""
    sections: list[str] = []
    ordered = in_rank_order(results)
    for dept_class in ("A", "B"):
        members = [r for r in ordered if r.dept_class == dept_class]
        if not members:
            continue
        head = _("Class {dept_class} ({count} departments)").format(
            dept_class=dept_class, count=len(members)
        )
        sections.append("\n".join([head, *(result_line(r, _) for r in members)]))
    return sections


def results_header(book: ScoreBook, results: Sequence[DepartmentResult], _: Translate) -> str:
    title = _("Assessment results (考核结果): {title}").format(title=book.campaign.title)
    lines = [title]
    if book.scheme is None or book.scheme.confirmed_at is None:
        lines.append(_("The scoring scheme is not confirmed yet (/scheme)."))
    remaining = sum(r.remaining for r in results)
    if remaining:
        lines.append(
            _("Provisional: {count} item scores still missing; * marks a provisional rank.").format(
                count=remaining
            )
        )
    else:
        lines.append(_("Every item is scored."))
    return "\n".join(lines)


def deduction_line(d: DeductionInfo, _: Translate) -> str:
    state = "" if d.state == DEDUCTION_CONFIRMED else f" [{_(STATE_LABELS.get(d.state, d.state))}]"
    return f"  −{show(d.amount)} {deduction_reason(d.reason, _)}{state}"


def department_detail(book: ScoreBook, result: DepartmentResult, _: Translate, tz: ZoneInfo) -> str:
    """A department's result and every deduction, bonus, penalty and veto with its reason."""
    lines = [
        _("{name} (class {dept_class}): {score}, {grade}, rank {rank}").format(
            name=result.name,
            dept_class=result.dept_class,
            score=score_cell(result, _),
            grade=result.grade,
            rank=f"{result.rank}{'*' if result.rank_provisional else ''}",
        )
    ]
    if result.converted is not None:
        lines.append(
            _("Items {raw} of {points} points, converted to 100: {converted}").format(
                raw=show(result.total), points=show(result.points), converted=show(result.converted)
            )
        )
    by_binding = {line.binding_id: line for line in book.lines}
    for item in result.items:
        line = by_binding[item.binding_id]
        points = "—" if item.points is None else show(item.points)
        if not item.counts:
            score = _("supporting unit, not counted")
        elif item.score is None:
            score = _("not scored")
        else:
            score = show(item.score)
        lines.append(f"{item.code}  {score} / {points}")
        for d in line.deductions:
            if d.state != DEDUCTION_WITHDRAWN:
                lines.append(deduction_line(d, _))
    for a in book.adjustments:
        if a.department_id == result.department_id:
            sign = "+" if a.kind == ADJUST_BONUS else "−"
            label = _("Bonus") if a.kind == ADJUST_BONUS else _("Penalty")
            lines.append(f"{label} {sign}{show(a.amount)}: {a.reason}")
    if result.bonus or result.penalty:
        lines.append(
            _("Counted after caps: bonus +{bonus}, penalty −{penalty}").format(
                bonus=show(result.bonus), penalty=show(result.penalty)
            )
        )
    for v in book.vetoes:
        if v.department_id == result.department_id:
            lines.append(
                _("Veto {code} {name} ({effect}): {grounds}; established by {body}, {date}").format(
                    code=v.condition_code,
                    name=v.condition_name,
                    effect=effect_label(v.effect, _),
                    grounds=v.grounds,
                    body=v.confirmed_by_body,
                    date=local_date(v.created_at, tz),
                )
            )
    return "\n".join(lines)


def scheme_text(
    book: ScoreBook, results: Sequence[DepartmentResult], _: Translate, tz: ZoneInfo
) -> str:
    scheme = book.scheme
    if scheme is None:
        return _("No scoring scheme yet.")
    lines = [_("Scoring scheme (评分办法): {title}").format(title=book.campaign.title)]
    if scheme.confirmed_at is not None:
        lines.append(
            _(
                "Confirmed {when}. Changes now need /points … REASON or /scheme reopen REASON."
            ).format(when=local_datetime(scheme.confirmed_at, tz))
        )
    else:
        lines.append(_("Not confirmed: check it, then /scheme confirm."))
    if scheme.source == "document":
        lines.append(_("Points: the document's 分值."))
    else:
        lines.append(
            _(
                "Points: common items {common}, the department's own items {own}, "
                "split equally in steps of 0.5."
            ).format(common=show(scheme.common_share), own=show(scheme.own_share))
        )
    grades = grades_of(scheme.grades or [])
    grade_text = ", ".join(f"{g.name} ≥ {show(g.lower)}" for g in grades[:-1])
    lines.append(
        _("Grades: {grades}, below: {last}").format(grades=grade_text, last=grades[-1].name)
    )
    lines.append(
        _("Caps: bonus {bonus}, penalty {penalty}").format(
            bonus=show(scheme.bonus_cap), penalty=show(scheme.penalty_cap)
        )
    )
    if scheme.supporting_counts:
        lines.append(_("Supporting units: their items count toward their 100."))
    else:
        lines.append(
            _(
                "Supporting units: not counted; they take {share} of the lead unit's deduction."
            ).format(share=f"{show(scheme.supporting_share * HUNDRED)}%")
        )
    if scheme.grade_on == "raw":
        lines.append(_("Where points are not 100 the raw total grades."))
    else:
        lines.append(_("Where points are not 100 the total converted to 100 (折算分) grades."))
    rules = list(scheme.rules or [])
    if rules:
        for rule in rules:
            if rule.get("kind") == "past_due":
                lines.append(
                    _("Rule: past due at year end −{points} (proposed, a person confirms)").format(
                        points=show(Decimal(rule["points"]))
                    )
                )
    else:
        lines.append(_("No deduction rules from the year's record."))
    if book.conditions:
        lines.append(_("Veto conditions (一票否决):"))
        for c in book.conditions:
            lines.append(f"  {c.code} {c.name} — {effect_label(c.effect, _)}")
    else:
        lines.append(_("No veto conditions."))
    hundred = [r for r in results if r.points == HUNDRED]
    lines.append(
        _("{count} of {total} departments total 100 points.").format(
            count=len(hundred), total=len(results)
        )
    )
    for r in results:
        if r.points != HUNDRED:
            lines.append(f"  {r.name}: {show(r.points)}")
    missing = sum(1 for line in book.lines if line.points is None)
    if missing:
        lines.append(_("{count} bindings have no points yet (/points).").format(count=missing))
    return "\n".join(lines)


def year_text(line: ScoreLine, record: YearRecord | None, _: Translate, tz: ZoneInfo) -> str:
    """The item's year beside the scoring entry (平时考核): accepted or not and when, past
    due, urges, returns, the latest value against its target."""
    lines = [f"{line.code} {shorten(line.title, 60)}"]
    if record is None:
        return lines[0]
    status = _(EFFECTIVE_LABELS.get(record.effective, record.effective))
    if record.accepted_at is not None:
        lines.append(_("Accepted {date}").format(date=local_date(record.accepted_at, tz)))
    else:
        lines.append(_("Not accepted; now: {status}").format(status=status))
    if record.past_due:
        lines.append(
            _("⚠️ past due (due {date})").format(date=record.due.isoformat() if record.due else "—")
        )
    lines.append(
        _(
            "Reports {reports}, evidence {evidence}, returned {returns}, department urged {urges}"
        ).format(
            reports=record.reports,
            evidence=record.evidence,
            returns=record.returns,
            urges=record.urges,
        )
    )
    for v in record.values:
        lines.append(f"{v.metric}: {value_against_target(v.value, v.op, v.target, v.unit, _)}")
    return "\n".join(lines)


def when_text(moment: dt.datetime | None, tz: ZoneInfo) -> str:
    return local_datetime(moment, tz)
