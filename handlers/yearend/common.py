"""What the year end's handlers share: the year end's readers and writer over the
update's unit of work (`store`), refusals in the user's language, the acting person's
`Acting`, and a department's result as text."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

from core.scoring.amounts import show
from core.text.i18n import Translate
from core.yearend.feedback import Outcome
from core.yearend.sql import SqlYearEnd
from core.yearend.state import Acting, YearEndRefused
from handlers.base import Turn


def store(turn: Turn) -> SqlYearEnd:
    """The year end's (and scoring's) readers and writer over this update's unit of work."""
    return SqlYearEnd(turn.session)


def acting(turn: Turn) -> Acting:
    return Acting(turn.actor.tg_id, turn.now, turn.services.settings.tz)


def day_text(day: object, _: Translate) -> str:
    if not isinstance(day, dt.date):
        return str(day)
    return _("{year}-{month:02d}-{day:02d}").format(year=day.year, month=day.month, day=day.day)


def refusal_text(exc: YearEndRefused, _: Translate) -> str:
    """One line for each refusal; every one ends by saying nothing changed."""
    detail = exc.detail
    messages = {
        "no_campaign": _("There is no active campaign; import a document first."),
        "scheme_not_confirmed": _(
            "The scoring scheme is not confirmed yet (/scheme confirm). Nothing was changed."
        ),
        "final": _("The results are final; nothing can change now (/finalize reopen REASON)."),
        "approved": _("The results are approved; reopen them first. Nothing was changed."),
        "not_open": _("The self-assessment is not open. Nothing was changed."),
        "window_closed": _("The self-assessment window is closed. Nothing was changed."),
        "bad_deadline": _("{date} is not a possible date here. Nothing was changed."),
        "submitted": _(
            "Your self-assessment is submitted and locked; the office can return it. "
            "Nothing was changed."
        ),
        "not_submitted": _(
            "That department has not submitted its self-assessment. Nothing was changed."
        ),
        "no_points": _("{code} has no points in the scheme yet. Nothing was changed."),
        "above_points": _(
            "A score for {code} lies between 0 and its {points} points. Nothing was changed."
        ),
        "statement_needed": _(
            "{code} was never accepted: add a statement after the score. Nothing was changed."
        ),
        "incomplete": _("Still missing a score or statement: {codes}. Nothing was submitted."),
        "no_department": _("That department is not in the active campaign. Nothing was changed."),
        "no_item": _("{code} is not one of the department's items. Nothing was changed."),
        "not_yours": _(
            "{code} is another department's item; you can appeal only your own result. "
            "Nothing was changed."
        ),
        "no_feedback": _(
            "Your department has not been given its result yet, so there is nothing to "
            "appeal. Nothing was changed."
        ),
        "past_deadline": _("The re-check deadline ({date}) has passed. Nothing was changed."),
        "no_target": _("There is nothing of that kind to appeal. Nothing was changed."),
        "no_appeal": _("There is no such appeal. Nothing was changed."),
        "decided": _("That appeal is already decided. Nothing was changed."),
        "reason_needed": _("A reason is required. Nothing was changed."),
        "window_running": _("The window is still running (until {date}). Nothing was changed."),
        "appeals_open": _("{count} appeal(s) are still open. Nothing was changed."),
        "not_approved": _("The results are not approved yet (/approve). Nothing was changed."),
        "no_feedback_yet": _(
            "Not every department has been given its result (/feedback). Nothing was changed."
        ),
        "incomplete_scores": _("Not every item is scored yet: {departments}. Nothing was sent."),
        "approval_incomplete": _(
            "Usage: /approve BODY YYYY-MM-DD NUMBER, e.g. /approve 区环委会 2021-02-26 "
            "雨环委〔2021〕3号"
        ),
        "past_cap": _("The amount lies between 0 and the cap of {cap}. Nothing was changed."),
        "grade_follows": _(
            "A grade follows the score: change the item, bonus, penalty or veto, then "
            "uphold this appeal with a note. Nothing was changed."
        ),
        "sitecheck_incomplete": _(
            "Usage: /sitecheck DEPT YYYY-MM-DD who went | findings (photos: the same as a "
            "photo's caption)"
        ),
        "no_sitecheck": _("There is no site check S{id}. Nothing was changed."),
        "value_needed": _(
            "A changed result needs the new score or amount: /appeal ID SCORE REASON. "
            "Nothing was changed."
        ),
        "rules_exceed": _(
            "Deductions proposed by rules leave at most {most} on {subject}. Nothing was changed."
        ),
        "nothing_to_undo": _("There is nothing to withdraw. Nothing was changed."),
        "not_positive": _("The amount must be above 0. Nothing was changed."),
        "no_deduction": _(
            "That department has no confirmed deduction on {code}. Nothing was changed."
        ),
    }
    text = messages.get(exc.reason, _("That cannot be done now. Nothing was changed."))
    shown = {
        key: (
            day_text(value, _)
            if isinstance(value, dt.date)
            else show(value)
            if isinstance(value, Decimal)
            else value
        )
        for key, value in detail.items()
    }
    shown.setdefault("date", day_text(detail.get("deadline", ""), _))
    return text.format(**shown) if shown else text


def outcome_text(
    outcome: Outcome, _: Translate, *, deadline: dt.date | None, final: bool
) -> list[str]:
    """A department's result as sections of HTML text: total, grade, each item's score
    and every deduction with its reason, bonus, penalty, veto, and the re-check deadline."""
    result = outcome.result
    head = (
        _("<b>{department}</b>: final result")
        if final
        else _("<b>{department}</b>: preliminary result")
    ).format(department=html.escape(outcome.department))
    summary = _("Score {score} · grade {grade}").format(
        score=show(result.score), grade=html.escape(result.grade)
    )
    if result.converted is not None:
        summary += " · " + _("converted {score}").format(score=show(result.converted))
    sections = [f"{head}\n{summary}"]
    lines = []
    for item in outcome.items:
        score = _("not scored") if item.score is None else show(item.score)
        lines.append(f"{html.escape(item.code)} {score}/{show(item.points)}")
        for deduction in item.deductions:
            cited = f"（{html.escape(deduction.cites)}）" if deduction.cites else ""
            lines.append(
                "  "
                + _("−{points}: {reason}").format(
                    points=show(deduction.points), reason=html.escape(deduction.reason)
                )
                + cited
            )
    sections.append("\n".join(lines))
    extra = []
    for label, entries in ((_("Bonus"), outcome.bonus), (_("Penalty"), outcome.penalty)):
        if entries:
            extra += [f"{label} {show(a.points)}: {html.escape(a.reason)}" for a in entries]
    veto = "；".join(outcome.vetoes) if outcome.vetoes else _("none")
    extra.append(f"{_('Veto')}: {html.escape(veto)}")
    if deadline is not None and not final:
        extra.append(
            _("Re-check: /appeal by {date} (end of that day).").format(date=day_text(deadline, _))
        )
    sections.append("\n".join(extra))
    return sections
