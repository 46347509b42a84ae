"""What the office screens share: escaping, labels, counts, keyboards, sending long
screens in parts, and checking a button's permission like its command's.

Used by handlers.oversight.office (/status, /dept, /item, /overdue),
handlers.reporting.review, handlers.oversight.urge and handlers.people.roster.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from core.people.permissions import Decision, check
from core.reporting.reports import ItemView
from core.scoring.amounts import show
from core.status.day import Reading
from core.status.model import (
    EFFECTIVE_ICONS,
    EFFECTIVE_LABELS,
    EMOJI,
    Counts,
    Rules,
    State,
    format_rate,
)
from core.text.formatting import shorten, value_against_target
from core.text.i18n import Translate
from core.text.split import split_sections
from handlers.base import Turn
from storage.models import REVIEW_RETURNED

BUTTONS_PER_MESSAGE = 90  # Telegram allows about 100 buttons on one message
COUNT_ORDER = ("done", "pending_review", "in_progress", "not_started", "blocked")


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def short_name(name: str) -> str:
    """区农业农村局 -> 农业农村局, for buttons."""
    if name[:1] in ("区", "市") and len(name) > 3:
        name = name[1:]
    return shorten(name, 14)


def effective_label(effective: str, _: Translate) -> str:
    return f"{EFFECTIVE_ICONS.get(effective, '')} {_(EFFECTIVE_LABELS.get(effective, effective))}"


def status_words(view: ItemView, _: Translate) -> str:
    """`🔵 in progress (returned)`: the effective status, and why when it was sent back."""
    words = effective_label(view.effective, _)
    if view.review_state == REVIEW_RETURNED:
        words += " (" + _("returned") + ")"
    return words


def counts_legend(counts: Counts, _: Translate) -> str:
    """`✅ done 2 · 🕓 awaiting review 1 · 🔵 in progress 3 · ⚪ not started 8 · ⚠️ blocked 1`."""
    return " · ".join(f"{effective_label(s, _)} {counts.get(s)}" for s in COUNT_ORDER)


def counts_icons(counts: Counts) -> str:
    return " · ".join(f"{EFFECTIVE_ICONS[s]} {counts.get(s)}" for s in COUNT_ORDER)


def done_line(counts: Counts, _: Translate) -> str:
    return _("{rate} done ({done} of {total} items accepted)").format(
        rate=format_rate(counts), done=counts.done, total=counts.total
    )


def value_lines(view: ItemView, _: Translate, indent: str = "   ") -> list[str]:
    return [
        f"{indent}🎯 {esc(t.metric)}: "
        + esc(value_against_target(t.last_value, t.op, t.value, t.unit, _))
        for t in view.targets
    ]


def reading_of(turn: Turn) -> Reading:
    """The day this update reads (`Turn.reading`, made once per update)."""
    return turn.reading


def today_of(turn: Turn) -> dt.date:
    """The update's local date (`reading_of`)."""
    return reading_of(turn).today


def keyboard(buttons: Sequence[InlineKeyboardButton], per_row: int) -> InlineKeyboardMarkup | None:
    buttons = list(buttons)[:BUTTONS_PER_MESSAGE]
    if not buttons:
        return None
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


async def send_screen(
    turn: Turn,
    sections: Sequence[str],
    buttons: dict[int, list[InlineKeyboardButton]] | None = None,
    *,
    per_row: int = 3,
) -> None:
    """Send the sections as few messages as fit; each carries its own sections' buttons."""
    buttons = buttons or {}
    for chunk in split_sections(sections):
        row = [b for index in chunk.sections for b in buttons.get(index, [])]
        await turn.reply(chunk.text, parse_mode=ParseMode.HTML, reply_markup=keyboard(row, per_row))


async def button_allowed(turn: Turn, command: str) -> bool:
    """A button acts like `command`: refuse it (as a pop-up, nothing in the chat) if the
    presser may not use that command here."""
    query = turn.update.callback_query
    if check(command, turn.actor.role, turn.chat) is Decision.ALLOWED:
        return True
    if query is None:
        return False
    await query.answer(
        turn._("This command is not available to you. /help shows what you can do."),
        show_alert=True,
    )
    return False


def callback_id(turn: Turn) -> int:
    """The id at the end of the pressed button's data (0, matching nothing, if there is none)."""
    return turn.callback_int(-1) or 0


def rules_of(turn: Turn) -> Rules:
    """The status model's rules this update reads with (`Turn.reading`'s)."""
    return turn.reading.rules


def state_of(view: ItemView, turn: Turn) -> State:
    """The status model's view of a binding today."""
    reading = reading_of(turn)
    return view.state(reading.today, reading.rules)


def colour_mark(state: State) -> str:
    """The item's three-colour warning as its emoji."""
    return EMOJI[state.colour] + " "


def colour_legend(turn: Turn) -> str:
    """What the three colours mean, with this bot's settings: red when past due, yellow for
    each of the status model's yellow reasons (due soon, silent, behind pace)."""
    rules = rules_of(turn)
    return turn._(
        "🔴 past its deadline · 🟡 due within {yellow} days, silent for {silent} days or "
        "more than {margin}% behind pace · 🟢 on track"
    ).format(yellow=rules.yellow_days, silent=rules.silent_days, margin=show(rules.pace_margin))
