"""Office and leader screens: /status, /dept NAME, /item CODE, /overdue.

/status and /overdue are the use cases `status_overview` and `read_overdue` of
`core.oversight.overview`, /dept and /item `department_card` and `item_card` of
`core.oversight.cards`, each given `SqlOverview` over the update's session (and the
update's reading).
Each screen is one query's worth of data rendered as sections (a header, then one block
per department or item) and sent as one message, or several split at section boundaries
when it would pass Telegram's limit. Values are always shown against their targets, a
miss marked. Nothing here names a person, so every screen may be shown in the office
group.

Callback data:
    dept:<department id>   a department's screen (buttons of /status, /item, /overdue)
    item:<binding id>      an item's card (handled by handlers.reporting.liaison; staff see any)
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton
from telegram.constants import ParseMode

from core.oversight.cards import department_card, item_card
from core.oversight.interfaces import DepartmentInfo
from core.oversight.overview import (
    OVERDUE_PAGE,
    DepartmentSummary,
    OverdueItem,
    read_overdue,
    status_overview,
)
from core.oversight.overview_sql import SqlOverview
from core.reporting.reports import ItemView
from core.reporting.values import format_number
from core.status.model import (
    State,
    due_text,
    format_rate,
    reasons_text,
)
from core.supervision.extensions import ExtensionEntry
from core.text import i18n
from core.text.formatting import deadline_text, local_date, local_datetime, shorten, target_text
from core.text.i18n import Plural, Translate
from core.text.matching import code_from_args
from handlers.base import Turn, use_case
from handlers.oversight.screens import (
    button_allowed,
    callback_id,
    colour_legend,
    colour_mark,
    counts_icons,
    counts_legend,
    done_line,
    effective_label,
    esc,
    keyboard,
    reading_of,
    send_screen,
    short_name,
    state_of,
    status_words,
    value_lines,
)
from handlers.supervision.lines import (
    extension_lines,
    milestones_line,
    pace_line,
    reasons_line,
    rectification_line,
)
from storage.models import BINDING_SUPPORTING

# ---------------------------------------------------------------- /status


def department_section(
    rank: int, summary: DepartmentSummary, turn: Turn, colours: dict[str, int] | None = None
) -> str:
    _ = turn._
    counts = summary.counts
    head = f"<b>{rank}. {esc(summary.name)}</b> — " + esc(
        _("{rate} ({done}/{total})").format(
            rate=format_rate(counts), done=counts.done, total=counts.total
        )
    )
    detail = (
        counts_icons(counts)
        + " · "
        + esc(
            _("last report {date}").format(
                date=local_date(summary.last_reported_at, turn.services.settings.tz)
            )
        )
    )
    if summary.silent and summary.quiet_days is not None:
        # The status model's department silence, the digest's "silent departments".
        detail += " · 🔕 " + esc(_("silent for {days} days").format(days=summary.quiet_days))
    if colours and (colours.get("red") or colours.get("yellow")):
        # Three-colour warnings: how many of the department's items are red and yellow.
        detail += f" · 🔴{colours.get('red', 0)} 🟡{colours.get('yellow', 0)}"
    return f"{head}\n{detail}"


@use_case("status")
async def status_command(turn: Turn) -> None:
    """/status: per department, how many items are in each state; worst first."""
    _ = turn._
    # The update's day (its reading) for every query of the screen.
    view = await status_overview(SqlOverview(turn.session), reading_of(turn))
    if view is None:
        await turn.reply(_("There is no active campaign yet."))
        return
    overview, colours = view.overview, view.colours
    header = "\n".join(
        [
            "<b>" + esc(_("Progress: {title}").format(title=shorten(overview.title, 80))) + "</b>",
            esc(_("Overall: {line}").format(line=done_line(overview.totals, _))),
            esc(counts_legend(overview.totals, _)),
            # The key to each department's 🔴/🟡 counts below.
            esc(colour_legend(turn)),
            esc(
                _("As of {time}; departments with the lowest rate first.").format(
                    time=local_datetime(turn.now, turn.services.settings.tz)
                )
            ),
        ]
    )
    sections = [header]
    buttons: dict[int, list[InlineKeyboardButton]] = {}
    for rank, summary in enumerate(overview.departments, start=1):
        sections.append(department_section(rank, summary, turn, colours.get(summary.id)))
        buttons[rank] = [
            InlineKeyboardButton(short_name(summary.name), callback_data=f"dept:{summary.id}")
        ]
    await send_screen(turn, sections, buttons)


# ---------------------------------------------------------------- /dept


def item_section(
    view: ItemView, state: State, turn: Turn, extensions: Sequence[ExtensionEntry] = ()
) -> str:
    _ = turn._
    parts = [
        esc(status_words(view, _)),
        esc(
            _("last report {date}").format(
                date=local_date(view.last_reported_at, turn.services.settings.tz)
            )
        ),
    ]
    if state.due is not None:
        parts.append(esc(due_text(state, _)))
    lines = [
        colour_mark(state) + f"<b>{esc(view.code)}</b> {esc(shorten(view.title, 40))}",
        "   " + " · ".join(parts),
    ]
    lines.extend(value_lines(view, _))
    lines.extend(supervision_lines(view, state, turn, extensions))
    return "\n".join(lines)


def supervision_lines(
    view: ItemView, state: State, turn: Turn, extensions: Sequence[ExtensionEntry]
) -> list[str]:
    """Reasons, pace, rectification and extensions of one binding (issue 22)."""
    _ = turn._
    return [
        *reasons_line(state, _),
        *pace_line(state, view.progress_value, view.pace_target, _),
        *rectification_line(state, view.rectification_measures, _),
        *extension_lines(extensions, turn.services.settings.tz, _),
    ]


def reader(turn: Turn) -> SqlOverview:
    """The office screens' reader over this update's session."""
    return SqlOverview(turn.session)


async def show_department(turn: Turn, department: DepartmentInfo) -> None:
    _ = turn._
    card = await department_card(reader(turn), department)
    views, counts = card.items, card.counts
    header = "\n".join(
        [
            f"<b>{esc(department.name)}</b> "
            + esc(_("(class {dept_class})").format(dept_class=department.dept_class)),
            esc(done_line(counts, _))
            + " · "
            + esc(
                _("last report {date}").format(
                    date=local_date(card.last_reported_at, turn.services.settings.tz)
                )
            ),
            esc(counts_legend(counts, _)),
            esc(colour_legend(turn)),
        ]
    )
    if not views:
        await turn.reply(
            header + "\n\n" + esc(_("This department has no items.")), parse_mode=ParseMode.HTML
        )
        return
    sections = [header] + [
        item_section(v, state_of(v, turn), turn, card.extensions.get(v.binding_id, ()))
        for v in views
    ]
    buttons = {
        index: [InlineKeyboardButton(view.code, callback_data=f"item:{view.binding_id}")]
        for index, view in enumerate(views, start=1)
    }
    await send_screen(turn, sections, buttons, per_row=4)


@use_case("dept")
async def dept_command(turn: Turn) -> None:
    """/dept NAME: one department's items with status, last report and values."""
    _ = turn._
    query = " ".join(turn.args).strip()
    if not query:
        await turn.reply(_("Usage: /dept NAME (part of a department's name), e.g. /dept 农业"))
        return
    choice = await reader(turn).find_department(query)
    if choice.found is not None:
        await show_department(turn, choice.found)
        return
    if not choice.candidates:
        await turn.reply(_("No department matches “{query}”.").format(query=query[:40]))
        return
    buttons = [
        InlineKeyboardButton(d.name, callback_data=f"dept:{d.id}") for d in choice.candidates[:40]
    ]
    await turn.reply(
        _("Several departments match “{query}”. Which one?").format(query=query[:40]),
        reply_markup=keyboard(buttons, 1),
    )


@use_case()
async def dept_button(turn: Turn) -> None:
    """A department's screen from a button (staff only, like /dept)."""
    if not await button_allowed(turn, "dept"):
        return
    query = turn.query
    if query is None:
        return
    department = await reader(turn).department(callback_id(turn))
    if department is None:
        await query.answer(turn._("This department no longer exists."), show_alert=True)
        return
    await query.answer()
    await show_department(turn, department)


# ---------------------------------------------------------------- /item


def binding_section(
    view: ItemView,
    name: str,
    turn: Turn,
    state: State,
    extensions: Sequence[ExtensionEntry] = (),
) -> str:
    _ = turn._
    line = (
        colour_mark(state)
        + f"<b>{esc(name)}</b>: {esc(status_words(view, _))} · "
        + esc(
            _("last report {date}").format(
                date=local_date(view.last_reported_at, turn.services.settings.tz)
            )
        )
    )
    if state.due is not None and not state.done:
        line += " · " + esc(due_text(state, _))
    return "\n".join(
        [line, *value_lines(view, _), *supervision_lines(view, state, turn, extensions)]
    )


@use_case("item")
async def item_command(turn: Turn) -> None:
    """/item CODE: one item in every department it is bound to, side by side."""
    _ = turn._
    if not turn.args:
        await turn.reply(_("Usage: /item CODE, e.g. /item A5.1"))
        return
    code, _rest = code_from_args(turn.args)
    card = await item_card(reader(turn), code or "")
    if card is None:
        await turn.reply(_("There is no item {code}.").format(code=shorten(turn.args[0], 20)))
        return
    views, names, counts, first = card.bindings, card.departments, card.counts, card.first
    header = [f"<b>{esc(first.code)}</b> {esc(shorten(first.text, 400))}"]
    for target in first.targets:
        header.append("🎯 " + esc(target_text(target.metric, target.op, target.value, target.unit)))
    first_state = state_of(first, turn)
    header.extend(milestones_line(first_state, _))
    if first.deadline:
        settings = turn.services.settings
        shown = deadline_text(first.deadline, _, settings.workdays_calendar, turn.actor.locale)
        header.append(esc(_("Deadline: {date}").format(date=shown)))
    elif first_state.due is not None:
        header.append(esc(due_text(first_state, _)))
    if first.score is not None:
        header.append(esc(_("Score: {score}").format(score=format_number(first.score))))
    if first.standard:
        header.append(esc(_("Standard: {text}").format(text=shorten(first.standard, 300))))
    header.append(
        esc(
            _("{done} of {total} departments done ({rate})").format(
                done=counts.done, total=counts.total, rate=format_rate(counts)
            )
        )
    )
    header.append(esc(counts_legend(counts, _)))
    sections = ["\n".join(header)]
    buttons: dict[int, list[InlineKeyboardButton]] = {}
    for index, view in enumerate(views, start=1):
        department = names.get(view.department_id)
        name = department.name if department else "?"
        if view.role == BINDING_SUPPORTING:
            name = _("{name} (supporting)").format(name=name)
        sections.append(
            binding_section(
                view,
                name,
                turn,
                state_of(view, turn),
                card.extensions.get(view.binding_id, ()),
            )
        )
        buttons[index] = [
            InlineKeyboardButton(short_name(name), callback_data=f"dept:{view.department_id}")
        ]
    await send_screen(turn, sections, buttons)


# ---------------------------------------------------------------- /overdue


def overdue_line(entry: OverdueItem, _: Translate, ngettext: Plural) -> str:
    reasons = []
    if entry.past_deadline:
        reasons.append(due_text(entry.state, _))
    if entry.silent_days is not None:
        if entry.last_reported_at is None:
            reasons.append(
                ngettext(
                    "never reported ({days} day)", "never reported ({days} days)", entry.silent_days
                ).format(days=entry.silent_days)
            )
        else:
            reasons.append(
                ngettext(
                    "no report for {days} day", "no report for {days} days", entry.silent_days
                ).format(days=entry.silent_days)
            )
    if entry.state.reasons:
        reasons.append("⚑ " + reasons_text(entry.state, _))
    return (
        colour_mark(entry.state)
        + f"<b>{esc(entry.code)}</b> {esc(shorten(entry.title, 30))} · "
        + esc(" · ".join(reasons))
        + " · "
        + esc(effective_label(entry.state.effective, _))
    )


@use_case("overdue")
async def overdue_command(turn: Turn) -> None:
    """/overdue: items past their deadline and not done, or silent, by department; the
    first page of them."""
    await overdue_screen(turn, 0)


@use_case("overdue")
async def overdue_page_button(turn: Turn) -> None:
    """The previous / next page of /overdue (`od:<offset>`): sent as a new screen."""
    if not await button_allowed(turn, "overdue"):
        return
    if turn.query is not None:
        await turn.query.answer()
    await overdue_screen(turn, turn.callback_int(1) or 0)


async def overdue_screen(turn: Turn, offset: int) -> None:
    _ = turn._
    ngettext = i18n.ngettext(turn.actor.locale)
    screen = await read_overdue(SqlOverview(turn.session), reading_of(turn), offset=offset)
    if screen is None:
        await turn.reply(_("There is no active campaign yet."))
        return
    day, found = screen.day, screen.page
    today = day.today
    if not found.total:
        await turn.reply(
            _(
                "Nothing is overdue: no item is past its deadline, and none has gone "
                "{days} days without a report."
            ).format(days=day.rules.silent_days)
        )
        return
    groups: dict[int, list[OverdueItem]] = {}
    for entry in found.rows:
        groups.setdefault(entry.department_id, []).append(entry)
    lines = [
        "<b>" + esc(_("Overdue and silent items, {date}").format(date=today.isoformat())) + "</b>",
        esc(
            _(
                "🔴 past its deadline and not done: {past} · 🟡 no report for {days} days "
                "or more: {silent}"
            ).format(past=found.past_due, days=day.rules.silent_days, silent=found.silent)
        ),
    ]
    paged = found.total > OVERDUE_PAGE
    if paged and found.rows:
        lines.append(
            esc(
                _("Items {first}–{last} of {total}, in {departments} departments").format(
                    first=found.offset + 1,
                    last=found.offset + len(found.rows),
                    total=found.total,
                    departments=found.departments,
                )
            )
        )
    sections = ["\n".join(lines)]
    buttons: dict[int, list[InlineKeyboardButton]] = {}
    for index, (department_id, group) in enumerate(groups.items(), start=1):
        name = group[0].department_name
        count = found.per_department.get(department_id, len(group))
        section = [f"<b>{esc(name)}</b> ({count})"] + [overdue_line(e, _, ngettext) for e in group]
        sections.append("\n".join(section))
        buttons[index] = [
            InlineKeyboardButton(short_name(name), callback_data=f"dept:{department_id}")
        ]
    if paged:
        nav = []
        if found.offset > 0:
            back = max(0, found.offset - OVERDUE_PAGE)
            nav.append(InlineKeyboardButton("◀ " + _("previous"), callback_data=f"od:{back}"))
        if found.offset + OVERDUE_PAGE < found.total:
            ahead = found.offset + OVERDUE_PAGE
            nav.append(InlineKeyboardButton(_("next") + " ▶", callback_data=f"od:{ahead}"))
        buttons.setdefault(len(sections) - 1, []).extend(nav)
    await send_screen(turn, sections, buttons)
