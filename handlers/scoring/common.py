"""What the scoring handlers share: the turn's reader/writer and actor, and the one
reply for each refusal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.scoring.amounts import BadAmount, parse_amount
from core.scoring.sql import SqlScoring
from core.scoring.usecases import RULE_KINDS, Actor, ScoringRefused
from core.text.formatting import local_datetime
from core.text.i18n import Translate
from handlers.base import Turn


def store(turn: Turn) -> SqlScoring:
    """The scoring reader and writer on this update's session (its one commit is finish's)."""
    return SqlScoring(turn.session)


def actor(turn: Turn) -> Actor:
    return Actor(turn.actor.tg_id, turn.now)


def amount(text: str) -> Decimal | None:
    """A parsed amount, or None when `text` is not one."""
    try:
        return parse_amount(text)
    except BadAmount:
        return None


def _texts(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def refusal_text(exc: ScoringRefused, _: Translate, turn: Turn) -> str:
    d = exc.detail
    reason = exc.reason
    tz = turn.services.settings.tz
    nothing = _("Nothing was changed.")
    texts = {
        "no_campaign": _("There is no active campaign; import a document first."),
        "no_scheme": _("There is no scoring scheme yet: /scheme shows the default."),
        "not_confirmed": _(
            "The scoring scheme is not confirmed yet: check it with /scheme, then /scheme confirm."
        ),
        "not_supporting_share": _("The supporting units' share is between 0 and 1."),
        "bad_grades": _(
            "Grades are names with falling lower bounds, the last without one, "
            "e.g. /scheme grades 优秀 90 良好 80 合格 60 不合格."
        ),
        "bad_grade_on": _("Say raw or converted."),
        "bad_rule": _("Unknown rule “{kind}”; known: {known}.").format(
            kind=d.get("kind", ""), known=", ".join(RULE_KINDS)
        ),
        "bad_effect": _("Unknown effect “{effect}”: use fail, no_top or down_one.").format(
            effect=d.get("effect", "")
        ),
        "bad_condition": _("A veto condition needs a code and a name."),
        "duplicate_condition": _("The scheme already has a veto condition {code}.").format(
            code=d.get("code", "")
        ),
        "no_department": _("No department matches “{query}”.").format(query=d.get("query", "")),
        "ambiguous_department": _(
            "Several departments match “{query}”: {names}. Type more of the name."
        ).format(query=d.get("query", ""), names="、".join(_texts(d.get("names")))),
        "no_item": _("There is no item {code} in the active campaign.").format(
            code=d.get("code", "")
        ),
        "not_bound": _("{department} is not bound to {code}.").format(
            department=d.get("department", ""), code=d.get("code", "")
        ),
        "missing_points": _(
            "{count} bindings have no points yet, e.g. {first}: set them with /points."
        ).format(count=d.get("count", 0), first=d.get("first", "")),
        "above_points": _(
            "A score is between 0 and the item's points ({points}) for {subject}."
        ).format(points=d.get("points", ""), subject=d.get("subject", "")),
        "rules_exceed": _(
            "Confirmed deductions from the year's record leave at most {most} of {points} "
            "for {subject}."
        ).format(most=d.get("most", ""), points=d.get("points", ""), subject=d.get("subject", "")),
        "reason_needed": _("A reason is required (扣分理由)."),
        "supporting": _(
            "{subject} is a supporting unit's item: it is not scored, it takes its share of "
            "the lead unit's deduction (/scheme)."
        ).format(subject=d.get("subject", "")),
        "not_positive": _("The points must be more than 0."),
        "past_cap": _("That would pass the cap of {cap} (already {already}).").format(
            cap=d.get("cap", ""), already=d.get("already", "")
        ),
        "nothing_to_undo": _("{department} has nothing of that kind to undo.").format(
            department=d.get("department", "")
        ),
        "no_condition": _("Unknown veto condition “{code}”; the scheme has: {known}.").format(
            code=d.get("code", ""),
            known=", ".join(_texts(d.get("known"))) or "—",
        ),
        "already_vetoed": _("{department} already has veto {code}.").format(
            department=d.get("department", ""), code=d.get("code", "")
        ),
        "no_proposal": _("There is no such proposed deduction."),
        "already_decided": _("That proposal was already decided."),
    }
    if reason == "final":
        # Its own sentence already says nothing changed, and how to change it again.
        return _(
            "The results are final (/finalize): scores cannot change any more, and nothing "
            "was changed. /finalize reopen REASON opens them again."
        )
    if reason == "confirmed":
        at = d.get("at")
        when = local_datetime(at, tz) if isinstance(at, dt.datetime) else ""
        return (
            _(
                "The scheme was confirmed {when}: add a reason to change points "
                "(/points … REASON), or /scheme reopen REASON."
            ).format(when=when)
            + " "
            + nothing
        )
    return texts.get(reason, _("That cannot be done.")) + " " + nothing
