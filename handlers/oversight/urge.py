"""/urge DEPT [text] (admin, private): 催办, urging a department to report.

Each liaison of the department gets a private message in their own language with the
office's text and the department's outstanding items; the office group gets a note that
names the department only (never a person, never the text, which may name people). The
urge is audit-logged (core.oversight.urge). Urging the same department again within the hour asks
to confirm first. What waits for a choice (which department, or the confirmation) is kept
in a `conversation_draft` row named "urge", so a restart in between loses nothing.

Callback data:
    ug:d:<department>  the department, when the typed name matched several
    ug:y:<department>  yes, urge again
    ug:n               no
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import delete
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.intake.context import stage_outcome
from core.oversight.urge import UrgePlan, plan_urge, record_urge
from core.people.invites import find_department
from core.scheduling.workdays import holiday_name, working_day_rule
from core.text.formatting import local_datetime, shorten
from core.text.i18n import Translate, translator
from handlers.base import Turn, use_case
from handlers.notify import tell_privately
from handlers.oversight.screens import button_allowed, effective_label, esc, keyboard
from storage import repositories as repo
from storage.models import ConversationDraft, Department

log = logging.getLogger(__name__)

NAME = "urge"
CHOOSING, CONFIRMING = 1, 2
OFFICE_CHAT_KEY = "office_chat_id"
ITEMS_SHOWN = 15


# ---------------------------------------------------------------- drafts


def _key(turn: Turn) -> tuple[int, int]:
    return turn.update.effective_chat.id, turn.update.effective_user.id  # type: ignore[union-attr]


async def save_draft(turn: Turn, state: int, data: dict[str, Any]) -> None:
    chat_id, user_id = _key(turn)
    draft = await turn.session.get(ConversationDraft, (NAME, chat_id, user_id))
    if draft is None:
        draft = ConversationDraft(name=NAME, chat_id=chat_id, user_id=user_id, state=state)
        turn.session.add(draft)
    draft.state = state
    draft.data = dict(data)
    draft.updated_at = turn.now
    await turn.session.commit()


async def take_draft(turn: Turn) -> tuple[int, dict[str, Any]] | None:
    """The waiting draft's (state, data) if fresh; removed in its own commit either way,
    so a choice is used once."""
    chat_id, user_id = _key(turn)
    draft = await turn.session.get(ConversationDraft, (NAME, chat_id, user_id))
    if draft is None:
        return None
    fresh = draft.updated_at >= turn.now - dt.timedelta(
        minutes=turn.services.settings.conversation_timeout_minutes
    )
    state, data = draft.state, dict(draft.data or {})
    await turn.session.execute(
        delete(ConversationDraft).where(
            ConversationDraft.name == NAME,
            ConversationDraft.chat_id == chat_id,
            ConversationDraft.user_id == user_id,
        )
    )
    await turn.session.commit()
    return (state, data) if fresh else None


# ---------------------------------------------------------------- messages


def liaison_text(department: str, plan: UrgePlan, note: str, _: Translate) -> str:
    lines = [
        "📣 <b>"
        + esc(
            _("The office urges {department} to report on its outstanding items.").format(
                department=department
            )
        )
        + "</b>"
    ]
    if note:
        lines.append(esc(_("Note from the office: {text}").format(text=note)))
    if plan.outstanding:
        lines.append("")
        lines.append(esc(_("Outstanding items ({count}):").format(count=len(plan.outstanding))))
        for item in plan.outstanding[:ITEMS_SHOWN]:
            lines.append(
                f"<b>{esc(item.code)}</b> {esc(shorten(item.title, 24))} · "
                + esc(effective_label(item.status, _))
            )
        if len(plan.outstanding) > ITEMS_SHOWN:
            lines.append(
                esc(_("… and {count} more").format(count=len(plan.outstanding) - ITEMS_SHOWN))
            )
    lines.append("")
    lines.append(esc(_("/items lists your items; /report reports progress.")))
    return "\n".join(lines)


def group_text(department: str, plan: UrgePlan, _: Translate) -> str:
    return _("📣 The office urged {department} to report on {count} outstanding items.").format(
        department=department, count=len(plan.outstanding)
    )


# ---------------------------------------------------------------- the urge


async def note_in_group(turn: Turn, department: str, plan: UrgePlan) -> str:
    """Send the group note; the sentence telling the admin what happened to it."""
    _ = turn._
    chat_id = await repo.get_setting(turn.session, OFFICE_CHAT_KEY)
    if not chat_id or not chat_id.lstrip("-").isdigit():
        return _("No office group is set (/setgroup in the group), so the group note was skipped.")
    group_ = translator(turn.services.settings.default_locale)
    try:
        await turn.context.bot.send_message(int(chat_id), group_text(department, plan, group_))
    except TelegramError as exc:
        log.warning("could not post the urge note to the office group: %s", exc)
        return _("The note to the office group could not be sent.")
    return _("A note naming only the department went to the office group.")


async def carry_out(turn: Turn, department: Department, plan: UrgePlan, note: str) -> None:
    """Record (commit), then tell the liaisons and the group, then the admin."""
    _ = turn._
    # Handled in the same commit as the write: a redelivery must not repeat it.
    await stage_outcome(turn.session)
    await record_urge(
        turn.session,
        actor_tg_id=turn.actor.tg_id,
        department_id=department.id,
        text=note,
        liaison_count=len(plan.liaisons),
        now=turn.now,
    )
    told = await tell_privately(
        turn.context.bot,
        plan.liaisons,
        lambda their: liaison_text(department.name, plan, note, their),
        default_locale=turn.services.settings.default_locale,
    )
    group = await note_in_group(turn, department.name, plan)
    await turn.reply(
        _("Urged {department}: {told} of {count} liaisons told privately.").format(
            department=department.name, told=told, count=len(plan.liaisons)
        )
        + " "
        + group
    )


async def start_urge(turn: Turn, department: Department, note: str) -> None:
    """Urge now, or ask first when the department was urged within the hour."""
    _ = turn._
    plan = await plan_urge(turn.session, department.id, turn.now)
    if not plan.liaisons:
        await turn.reply(
            _(
                "{department} has no liaison yet, so nobody was urged and nothing was recorded. "
                "/invite makes an invite code for one."
            ).format(department=department.name)
        )
        return
    if plan.last_urged_at is not None:
        await save_draft(turn, CONFIRMING, {"department_id": department.id, "text": note})
        buttons = [
            InlineKeyboardButton(_("Yes, urge again"), callback_data=f"ug:y:{department.id}"),
            InlineKeyboardButton(_("No"), callback_data="ug:n"),
        ]
        await turn.reply(
            _(
                "{department} was already urged at {time}, less than an hour ago. Urge again?"
            ).format(
                department=department.name,
                time=local_datetime(plan.last_urged_at, turn.services.settings.tz),
            ),
            reply_markup=InlineKeyboardMarkup([buttons]),
        )
        return
    await carry_out(turn, department, plan, note)


@use_case("urge")
async def urge_command(turn: Turn) -> None:
    """/urge DEPT [text]: the department is the first word; the rest is the office's note."""
    _ = turn._
    text = turn.message.text if turn.message and turn.message.text else ""
    parts = text.split(maxsplit=2)
    if len(parts) < 2:
        await turn.reply(
            _("Usage: /urge DEPT [text], e.g. /urge 农业 请于本周内汇报秸秆综合利用进展")
        )
        return
    query = parts[1]
    note = parts[2].strip()[:1000] if len(parts) > 2 else ""
    # Urges, like reminders, go out on working days only (by the Chinese calendar).
    settings = turn.services.settings
    today = turn.now.astimezone(settings.tz).date()
    if not working_day_rule(settings.workdays_calendar)(today):
        holiday = holiday_name(today, settings.workdays_calendar, turn.actor.locale)
        await turn.reply(
            _(
                "Today ({day}) is not a working day, and urges go out on working days only. "
                "Nothing was sent; please urge again on the next working day."
            ).format(day=f"{today.isoformat()} {holiday}" if holiday else today.isoformat())
        )
        return
    choice = await find_department(turn.session, query)
    if choice.found is not None:
        await start_urge(turn, choice.found, note)
        return
    if not choice.candidates:
        await turn.reply(_("No department matches “{query}”.").format(query=query[:40]))
        return
    await save_draft(turn, CHOOSING, {"text": note})
    buttons = [
        InlineKeyboardButton(d.name, callback_data=f"ug:d:{d.id}") for d in choice.candidates[:40]
    ]
    await turn.reply(
        _("Several departments match “{query}”. Which one?").format(query=query[:40]),
        reply_markup=keyboard(buttons, 1),
    )


@use_case()
async def urge_button(turn: Turn) -> None:
    """ug:d (which department), ug:y (urge again), ug:n (don't)."""
    if not await button_allowed(turn, "urge"):
        return
    query = turn.update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    _ = turn._
    draft = await take_draft(turn)
    if query.data == "ug:n":
        await turn.reply(_("Nothing was sent."))
        return
    _prefix, kind, raw_id = query.data.split(":")
    department_id = int(raw_id)
    state, data = draft if draft else (None, {})
    expected = CONFIRMING if kind == "y" else CHOOSING
    if state != expected or (kind == "y" and data.get("department_id") != department_id):
        await turn.reply(_("That urge is no longer open; send /urge again."))
        return
    department = await turn.session.get(Department, department_id)
    if department is None:
        await turn.reply(_("This department no longer exists."))
        return
    note = str(data.get("text") or "")
    if kind == "d":
        await start_urge(turn, department, note)
        return
    plan = await plan_urge(turn.session, department.id, turn.now)
    if not plan.liaisons:
        await turn.reply(
            _(
                "{department} has no liaison yet, so nobody was urged and nothing was recorded. "
                "/invite makes an invite code for one."
            ).format(department=department.name)
        )
        return
    await carry_out(turn, department, plan, note)
