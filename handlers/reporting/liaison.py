"""Liaison screens: /join, /items (paged, with item cards), /history and /evidence.

Callback data (all well under Telegram's 64 bytes):
    items:<page>          a page of /items
    item:<binding>        an item's card
    hist:<binding>:<off>  a page of an item's history
    ev:<binding>          an item's evidence
"""

from __future__ import annotations

import html
import math
from zoneinfo import ZoneInfo

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from core.people.invites import JoinError, JoinFailure, find_department, join
from core.people.permissions import Role
from core.people.sql import SqlPeople
from core.reporting import reports, use_cases
from core.reporting.reports import ItemView
from core.reporting.values import format_number
from core.status.model import DONE, DueSource, due_date_text, due_text
from core.text import i18n
from core.text.formatting import (
    deadline_text,
    local_date,
    local_datetime,
    shorten,
    status_label,
    target_text,
    value_against_target,
)
from core.text.i18n import Translate
from core.text.matching import code_from_args
from core.text.split import MESSAGE_LIMIT, utf16_length
from handlers.base import Turn, use_case
from handlers.menu import set_user_menu
from handlers.oversight.screens import colour_mark, state_of, status_words
from handlers.reporting.ports import reporting
from handlers.supervision.lines import milestones_line, pace_line, reasons_line, rectification_line

ITEMS_PAGE_SIZE = 8  # when the whole list does not fit one message
ITEMS_ONE_PAGE_MAX = 48  # 12 rows of 4 buttons
ITEMS_TEXT_ROOM = MESSAGE_LIMIT - 200  # the header's room
HISTORY_PAGE_SIZE = 5


# ---------------------------------------------------------------- /join


@use_case("join")
async def join_command(turn: Turn) -> None:
    """/join CODE: become a liaison or leader with a one-time invite code."""
    _ = turn._
    if not turn.args:
        await turn.reply(_("Please send the code with the command: /join CODE"))
        return
    user = turn.update.effective_user
    if user is None:
        return
    try:
        joined = await join(
            SqlPeople(turn.session),
            tg_id=user.id,
            display_name=user.full_name,
            code_text=" ".join(turn.args),
            now=turn.now,
        )
    except JoinError as exc:
        messages = {
            JoinFailure.UNKNOWN: _(
                "This invite code is not valid. Please check it with the office."
            ),
            JoinFailure.USED: _(
                "This invite code has already been used. Ask the office for a new one."
            ),
            JoinFailure.EXPIRED: _("This invite code has expired. Ask the office for a new one."),
            JoinFailure.TOO_MANY_TRIES: _(
                "Too many wrong codes. Please wait 15 minutes and try again."
            ),
            JoinFailure.NO_CODE: _("Please send the code with the command: /join CODE"),
        }
        await turn.reply(messages[exc.failure])
        return
    if joined.department_name:
        text = _(
            "Welcome! You are now the liaison of {department}, which has {count} items this year.\n"
            "/items lists them; /report reports progress."
        ).format(department=joined.department_name, count=joined.item_count)
    else:
        text = _("Welcome! You now have leader access. /status shows the overview.")
    await turn.reply(text)
    role = Role.LIAISON if joined.department_name else Role.LEADER
    settings = turn.services.settings
    await turn.after_commit(
        lambda: set_user_menu(
            turn.context.bot,
            user.id,
            role,
            webapp_url=settings.webapp_url,
            locale=settings.default_locale,
        )
    )


# ---------------------------------------------------------------- /items


def item_line(view: ItemView, turn: Turn) -> str:
    """An item of /items: colour, code and title; status, last report, due date; values."""
    _ = turn._
    tz = turn.services.settings.tz
    state = state_of(view, turn)
    parts = [
        colour_mark(state)
        + f"<b>{html.escape(view.code)}</b> {html.escape(shorten(view.title, 24))}"
    ]
    words = [
        status_words(view, _),
        _("last report {date}").format(date=local_date(view.last_reported_at, tz)),
    ]
    if state.due is not None and not state.done:
        words.append(due_text(state, _))
    parts.append("   " + html.escape(" · ".join(words)))
    for target in view.targets:
        parts.append(
            "   🎯 "
            + html.escape(target.metric)
            + ": "
            + html.escape(
                value_against_target(target.last_value, target.op, target.value, target.unit, _)
            )
        )
    parts.extend(reasons_line(state, _))
    parts.extend(pace_line(state, view.progress_value, view.pace_target, _))
    parts.extend(rectification_line(state, view.rectification_measures, _))
    return "\n".join(parts)


def group_heading(view: ItemView, _: Translate) -> str:
    """The heading above a run of items: the department's own, or the general items."""
    return (
        "<b>"
        + html.escape(_("General items") if view.general else _("Your department's items"))
        + "</b>"
    )


def items_body(chunk: list[ItemView], turn: Turn) -> str:
    """Item lines under their group headings (own items first, as `liaison_order` sorts)."""
    blocks: list[str] = []
    previous: bool | None = None
    for view in chunk:
        line = item_line(view, turn)
        if view.general != previous:
            line = group_heading(view, turn._) + "\n" + line
            previous = view.general
        blocks.append(line)
    return "\n\n".join(blocks)


def one_page_body(views: list[ItemView], turn: Turn) -> str | None:
    """The whole list's text when it fits one message (and its buttons one keyboard)."""
    if len(views) > ITEMS_ONE_PAGE_MAX:
        return None
    body = items_body(views, turn)
    return body if utf16_length(body) <= ITEMS_TEXT_ROOM else None


def items_page(views: list[ItemView], page: int, turn: Turn) -> tuple[str, InlineKeyboardMarkup]:
    _ = turn._
    whole = one_page_body(views, turn)
    size = max(1, len(views)) if whole is not None else ITEMS_PAGE_SIZE
    pages = max(1, math.ceil(len(views) / size))
    page = min(max(page, 0), pages - 1)
    chunk = views[page * size : (page + 1) * size]
    done = sum(1 for v in views if v.effective == DONE)
    if pages == 1:
        header = _("Your items: {done} of {total} done").format(done=done, total=len(views))
    else:
        header = _("Your items: {done} of {total} done (page {page}/{pages})").format(
            done=done, total=len(views), page=page + 1, pages=pages
        )
    # The one-page text is already made: rendered once, not once to measure and again.
    body = whole if whole is not None else items_body(chunk, turn)
    text = html.escape(header) + "\n\n" + body
    buttons = [
        [
            InlineKeyboardButton(v.code, callback_data=f"item:{v.binding_id}")
            for v in chunk[i : i + 4]
        ]
        for i in range(0, len(chunk), 4)
    ]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀ " + _("previous"), callback_data=f"items:{page - 1}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton(_("next") + " ▶", callback_data=f"items:{page + 1}"))
    if nav:
        buttons.append(nav)
    return text, InlineKeyboardMarkup(buttons)


@use_case("items")
async def items_command(turn: Turn) -> None:
    """/items: the department's own items, then the general ones; outstanding first in
    each; one message when they fit, else paged."""
    if turn.actor.department_id is None:  # a liaison always has one
        return
    views = await use_cases.liaison_items(reporting(turn), turn.actor.department_id)
    if not views:
        await turn.reply(turn._("Your department has no items in the active campaign."))
        return
    text, markup = items_page(views, 0, turn)
    await turn.reply(text, parse_mode=ParseMode.HTML, reply_markup=markup)


@use_case("items")
async def items_page_button(turn: Turn) -> None:
    """Paging buttons of /items: edit the list in place."""
    query = turn.query
    if query is None or turn.actor.department_id is None:
        return
    await query.answer()
    page = turn.callback_int(1) or 0
    views = await reporting(turn).department_items(turn.actor.department_id)
    text, markup = items_page(views, page, turn)
    await turn.after_commit(lambda: _edit(query, text, markup))


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:  # pressing the same page twice: "message is not modified"
        if "not modified" not in str(exc).lower():
            raise


async def pressed_binding(turn: Turn) -> ItemView | None:
    """The binding a button (`prefix:<binding id>...`) names, if this user may see it; the
    press is answered either way (an alert when it may not be seen)."""
    query = turn.query
    if query is None:
        return None
    view = await visible_binding(turn, turn.callback_int(1))
    if view is None:
        await query.answer(turn._("This item is not available to you."), show_alert=True)
        return None
    await query.answer()
    return view


async def visible_binding(turn: Turn, binding_id: int | None) -> ItemView | None:
    """The binding's view if this user may see it: own department, or staff."""
    if binding_id is None:
        return None
    if turn.actor.role is Role.LIAISON:
        if turn.actor.department_id is None:
            return None
        return await reports.binding_view(
            turn.session, binding_id, department_id=turn.actor.department_id
        )
    if turn.actor.is_staff:
        return await reports.binding_view(turn.session, binding_id)
    return None


def item_card(view: ItemView, turn: Turn, department: str | None = None) -> str:
    _ = turn._
    tz = turn.services.settings.tz
    lines = [
        f"<b>{html.escape(view.code)}</b>" + (f" · {html.escape(department)}" if department else "")
    ]
    lines.append(html.escape(view.text))
    lines.append("")
    state = state_of(view, turn)
    lines.append(
        colour_mark(state) + html.escape(_("Status: {status}").format(status=status_words(view, _)))
    )
    if view.deadline:
        settings = turn.services.settings
        shown = deadline_text(view.deadline, _, settings.workdays_calendar, turn.actor.locale)
        lines.append(html.escape(_("Deadline: {date}").format(date=shown)))
    elif state.due is not None:
        lines.append(html.escape(_("Deadline: {date}").format(date=due_date_text(state, _))))
    if state.due is not None and not state.done and state.due_source is not DueSource.OWN:
        # A milestone, an extension or a rectification is due before (or instead of) it.
        lines.append(html.escape(due_text(state, _)))
    lines.extend(milestones_line(state, _))
    lines.extend(reasons_line(state, _, indent=""))
    lines.extend(pace_line(state, view.progress_value, view.pace_target, _, indent=""))
    lines.extend(rectification_line(state, view.rectification_measures, _, indent=""))
    for target in view.targets:
        lines.append(
            "🎯 "
            + html.escape(target_text(target.metric, target.op, target.value, target.unit))
            + " — "
            + html.escape(
                value_against_target(target.last_value, target.op, target.value, target.unit, _)
            )
        )
    lines.append(
        _("Reports: {reports} · evidence files: {evidence} · last report: {date}").format(
            reports=view.report_count,
            evidence=view.evidence_count,
            date=local_datetime(view.last_reported_at, tz),
        )
    )
    return "\n".join(lines)


def card_buttons(view: ItemView, turn: Turn) -> InlineKeyboardMarkup:
    _ = turn._
    row = []
    if turn.actor.role is Role.LIAISON:
        row.append(InlineKeyboardButton(_("Report"), callback_data=f"rep:{view.binding_id}"))
    row.append(InlineKeyboardButton(_("History"), callback_data=f"hist:{view.binding_id}:0"))
    if view.evidence_count:
        row.append(InlineKeyboardButton(_("Evidence"), callback_data=f"ev:{view.binding_id}"))
    return InlineKeyboardMarkup([row])


@use_case()
async def item_button(turn: Turn) -> None:
    """An item's card: full text, targets, counts, and what to do next."""
    view = await pressed_binding(turn)
    if view is None:
        return
    await turn.reply(
        item_card(view, turn), parse_mode=ParseMode.HTML, reply_markup=card_buttons(view, turn)
    )


# ---------------------------------------------------------------- /history and /evidence


async def resolve_code(turn: Turn, command: str) -> ItemView | None:
    """The binding a /history or /evidence CODE [DEPT] means for this user, or a reply why not."""
    _ = turn._
    if not turn.args:
        await turn.reply(_("Please add an item code, e.g. /{command} A5.1").format(command=command))
        return None
    code, rest = code_from_args(turn.args)
    if code is None or not await reporting(turn).code_exists(code):
        await turn.reply(_("There is no item {code}.").format(code=shorten(turn.args[0], 20)))
        return None
    if turn.actor.role is Role.LIAISON:
        view = (
            await reporting(turn).own_item(turn.actor.department_id, code)
            if turn.actor.department_id is not None
            else None
        )
        if view is None:
            await turn.reply(
                _("Item {code} is not one of your department's items.").format(code=code)
            )
        return view
    views = await reports.item_bindings(turn.session, code)
    if len(views) == 1:
        return views[0]
    if rest:
        choice = await find_department(turn.session, " ".join(rest))
        if choice.found is not None:
            for view in views:
                if view.department_id == choice.found.id:
                    return view
    await turn.reply(
        _("Item {code} belongs to {count} departments; add one: /{command} {code} DEPT").format(
            code=code, count=len(views), command=command
        )
    )
    return None


async def send_history(turn: Turn, view: ItemView, offset: int) -> None:
    _ = turn._
    ngettext = i18n.ngettext(turn.actor.locale)
    tz = turn.services.settings.tz
    entries, total = await reports.history(
        turn.session, view.binding_id, offset=offset, limit=HISTORY_PAGE_SIZE
    )
    if total == 0:
        await turn.reply(_("No reports yet for {code}.").format(code=view.code))
        return
    lines = [
        html.escape(
            _("Reports of {code}, newest first ({first}-{last} of {total}):").format(
                code=view.code, first=offset + 1, last=offset + len(entries), total=total
            )
        )
    ]
    for entry in entries:
        head = f"• {local_datetime(entry.created_at, tz)} — {status_label(entry.status, _)}"
        if entry.review_state in ("pending", "accepted", "returned"):
            from core.text.formatting import REVIEW_LABELS

            head += f" ({_(REVIEW_LABELS[entry.review_state])})"
        lines.append(html.escape(head))
        for metric, value in entry.values:
            lines.append("   " + html.escape(f"{metric}: {format_number(value)}"))
        if entry.text:
            lines.append("   " + html.escape(shorten(entry.text, 300)))
        if entry.evidence_count:
            lines.append(
                "   📎 "
                + html.escape(
                    ngettext("{count} file", "{count} files", entry.evidence_count).format(
                        count=entry.evidence_count
                    )
                )
            )
    nav = []
    if offset > 0:
        nav.append(
            InlineKeyboardButton(
                "◀ " + _("newer"),
                callback_data=f"hist:{view.binding_id}:{max(0, offset - HISTORY_PAGE_SIZE)}",
            )
        )
    if offset + HISTORY_PAGE_SIZE < total:
        nav.append(
            InlineKeyboardButton(
                _("older") + " ▶",
                callback_data=f"hist:{view.binding_id}:{offset + HISTORY_PAGE_SIZE}",
            )
        )
    await turn.reply(
        "\n".join(lines),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([nav]) if nav else None,
    )


@use_case("history")
async def history_command(turn: Turn) -> None:
    """/history CODE: an item's reports, newest first, paged."""
    view = await resolve_code(turn, "history")
    if view is not None:
        await send_history(turn, view, 0)


@use_case()
async def history_button(turn: Turn) -> None:
    view = await pressed_binding(turn)
    if view is None:
        return
    await send_history(turn, view, max(0, turn.callback_int(2) or 0))


async def send_evidence(turn: Turn, view: ItemView) -> None:
    """The item's evidence as albums: photos together, documents together, 10 at a time."""
    _ = turn._
    ngettext = i18n.ngettext(turn.actor.locale)
    tz = turn.services.settings.tz
    entries = await reports.evidence_of(turn.session, view.binding_id)
    if not entries:
        await turn.reply(_("No evidence yet for {code}.").format(code=view.code))
        return
    chat = turn.update.effective_chat
    if chat is None:
        return
    chat_id, bot = chat.id, turn.context.bot
    await turn.reply(
        ngettext(
            "Evidence of {code}: {count} file.", "Evidence of {code}: {count} files.", len(entries)
        ).format(code=view.code, count=len(entries))
    )
    await turn.after_commit(lambda: _send_albums(bot, chat_id, view, entries, _, tz))


async def _send_albums(
    bot: Bot,
    chat_id: int,
    view: ItemView,
    entries: list[reports.EvidenceEntry],
    _: Translate,
    tz: ZoneInfo,
) -> None:
    for kind in ("photo", "document"):
        group = [e for e in entries if e.kind == kind]
        for start in range(0, len(group), 10):
            chunk = group[start : start + 10]
            captions = [
                shorten(
                    _("{code} · report #{report} · {date}").format(
                        code=view.code, report=e.report_id, date=local_date(e.created_at, tz)
                    ),
                    1024,
                )
                for e in chunk
            ]
            if len(chunk) == 1:
                if kind == "photo":
                    await bot.send_photo(chat_id, chunk[0].file_id, caption=captions[0])
                else:
                    await bot.send_document(chat_id, chunk[0].file_id, caption=captions[0])
                continue
            media = [
                InputMediaPhoto(e.file_id, caption=c)
                if kind == "photo"
                else InputMediaDocument(e.file_id, caption=c)
                for e, c in zip(chunk, captions, strict=True)
            ]
            await bot.send_media_group(chat_id, media)


@use_case("evidence")
async def evidence_command(turn: Turn) -> None:
    """/evidence CODE: an item's photos and documents, as albums."""
    view = await resolve_code(turn, "evidence")
    if view is not None:
        await send_evidence(turn, view)


@use_case()
async def evidence_button(turn: Turn) -> None:
    view = await pressed_binding(turn)
    if view is None:
        return
    await send_evidence(turn, view)
