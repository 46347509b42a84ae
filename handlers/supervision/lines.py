"""What every screen adds for supervision (issue 22), written once: the reasons of a
colour in the agreed order, the milestones, the pace line, the extensions with who
decided them, an open rectification. /items, /item, /dept and /overdue call these."""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.status.model import State, reasons_text
from core.supervision.extensions import ExtensionEntry
from core.text.i18n import Translate
from storage.models import EXTENSION_APPROVED, EXTENSION_PENDING, EXTENSION_REJECTED

esc = html.escape


def reasons_line(state: State, _: Translate, indent: str = "   ") -> list[str]:
    """`⚑ past due · behind pace`, or nothing when there is no reason."""
    if not state.reasons:
        return []
    return [indent + "⚑ " + esc(reasons_text(state, _))]


def _number(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.1')):f}"
    return text[:-2] if text.endswith(".0") else text


def pace_line(
    state: State, latest: Decimal | None, target: Decimal | None, _: Translate, indent: str = "   "
) -> list[str]:
    """`📈 pace: 1.2 expected by today, 0 reported (target 2)` for a paced item."""
    if state.expected is None or target is None or state.done:
        return []
    return [
        indent
        + "📈 "
        + esc(
            _("pace: {expected} expected by today, {latest} reported (target {target})").format(
                expected=_number(state.expected),
                latest=_number(latest or Decimal(0)),
                target=_number(target),
            )
        )
    ]


def milestones_line(state: State, _: Translate, indent: str = "") -> list[str]:
    """`🗓 milestones: 2020-06-30 → 2020-09-30 → 2020-12-31` (the last is the due date)."""
    if not state.milestones or state.final_due is None:
        return []
    steps = [*(m.isoformat() for m in state.milestones), state.final_due.isoformat()]
    return [indent + "🗓 " + esc(_("milestones: {steps}").format(steps=" → ".join(steps)))]


def extension_lines(
    entries: Sequence[ExtensionEntry], tz: ZoneInfo, _: Translate, indent: str = "   "
) -> list[str]:
    """One line per extension asked: dates, what was decided, by whom and when."""
    lines = []
    for entry in entries:
        moved = (
            (entry.original_due.isoformat() if entry.original_due else "—")
            + " → "
            + entry.requested_due.isoformat()
        )
        if entry.state == EXTENSION_APPROVED:
            words = _("extended {moved}, approved by {who} on {date}")
        elif entry.state == EXTENSION_REJECTED:
            words = _("extension {moved} rejected by {who} on {date}")
        elif entry.state == EXTENSION_PENDING:
            words = _("extension {moved} asked, awaiting approval")
        else:
            continue
        when = entry.decided_at.astimezone(tz).date().isoformat() if entry.decided_at else ""
        text = words.format(moved=moved, who=entry.decided_by, date=when)
        if entry.reason:
            text += " — " + entry.reason
        if entry.comment:
            text += " (" + entry.comment + ")"
        lines.append(indent + "⏩ " + esc(text))
    return lines


def rectification_line(state: State, measures: str, _: Translate, indent: str = "   ") -> list[str]:
    """`🛠 整改中 until 2020-07-10; measures: …` while a rectification is open."""
    if state.rectification_due is None:
        return []
    text = _("under rectification until {date}").format(date=state.rectification_due.isoformat())
    if measures:
        text += "; " + _("measures: {text}").format(text=measures)
    else:
        text += "; " + _("measures not sent yet")
    return [indent + "🛠 " + esc(text)]
