"""/urge DEPT [text] (admin, private): 催办, urging a department to report.

Each liaison of the department gets a private message in their own language with the
office's text and the department's outstanding items; the office group gets a note that
names the department only (never a person, never the text, which may name people). The
urge is audit-logged by the use case `core.oversight.urge.urge`, given `SqlUrge` over the
update's unit of work. Urging the same department again within the hour asks to confirm
first. What waits for a choice (which department, or the confirmation) is kept in the
draft store (`storage.drafts`) under the name "urge", so a restart in between loses
nothing.

Callback data:
    ug:d:<department>  the department, when the typed name matched several
    ug:y:<department>  yes, urge again
    ug:n               no
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from core.oversight.interfaces import DepartmentRef
from core.oversight.urge import (
    GroupNote,
    UrgeOutcome,
    UrgePlan,
    UrgeRefusal,
    urge,
    urge_by_id,
)
from core.oversight.urge_sql import SqlUrge
from core.people.invites import find_department
from core.scheduling.workdays import holiday_name, working_day_rule
from core.text.formatting import local_datetime, shorten
from core.text.i18n import Translate, translator
from handlers.base import Turn, use_case
from handlers.conversation import draft_key, timeout_of
from handlers.notify import tell_privately
from handlers.oversight.screens import button_allowed, effective_label, esc, keyboard
from storage import drafts

log = logging.getLogger(__name__)

NAME = drafts.URGE
CHOOSING, CONFIRMING = 1, 2
ITEMS_SHOWN = 15


# ---------------------------------------------------------------- drafts


async def save_draft(turn: Turn, state: int, data: dict[str, Any]) -> None:
    key = draft_key(turn, NAME)
    if key is not None:
        await drafts.save(turn.session, key, state, data, turn.now)


async def take_draft(turn: Turn) -> tuple[int, dict[str, Any]] | None:
    """The waiting draft's (state, data) if fresh; removed either way (with the use case's
    commit), so a choice is used once."""
    key = draft_key(turn, NAME)
    draft = await drafts.load(turn.session, key) if key is not None else None
    if draft is None or key is None:
        return None
    fresh = not drafts.expired(draft, turn.now, timeout_of(turn))
    state, data = draft.state, dict(draft.data or {})
    await drafts.drop(turn.session, key)
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


def group_text(group: GroupNote, _: Translate) -> str:
    return _("📣 The office urged {department} to report on {count} outstanding items.").format(
        department=group.department, count=group.outstanding
    )


# ---------------------------------------------------------------- the urge


def store(turn: Turn) -> SqlUrge:
    """The urge reader and writer over this update's unit of work."""
    return SqlUrge(turn.session)


async def note_in_group(turn: Turn, group: GroupNote | None) -> str:
    """Send the group note; the sentence telling the admin what happened to it."""
    _ = turn._
    if group is None:
        return _("No office group is set (/setgroup in the group), so the group note was skipped.")
    group_ = translator(turn.services.settings.default_locale)
    try:
        await turn.context.bot.send_message(group.chat_id, group_text(group, group_))
    except TelegramError as exc:
        log.warning("could not post the urge note to the office group: %s", exc)
        return _("The note to the office group could not be sent.")
    return _("A note naming only the department went to the office group.")


async def answer(turn: Turn, outcome: UrgeOutcome) -> None:
    """Reply to an urge: refused, asked to confirm (the choice kept as a draft), or urged
    (the liaisons and the group are told once the urge is committed, then the admin)."""
    _ = turn._
    plan = outcome.plan
    if outcome.refusal is UrgeRefusal.NO_DEPARTMENT or plan is None:
        await turn.reply(_("This department no longer exists."))
        return
    department = plan.department
    if outcome.refusal is UrgeRefusal.NO_LIAISON:
        await turn.reply(
            _(
                "{department} has no liaison yet, so nobody was urged and nothing was recorded. "
                "/invite makes an invite code for one."
            ).format(department=department.name)
        )
        return
    if outcome.confirm_since is not None:
        await save_draft(turn, CONFIRMING, {"department_id": department.id, "text": outcome.note})
        buttons = [
            InlineKeyboardButton(_("Yes, urge again"), callback_data=f"ug:y:{department.id}"),
            InlineKeyboardButton(_("No"), callback_data="ug:n"),
        ]
        await turn.reply(
            _(
                "{department} was already urged at {time}, less than an hour ago. Urge again?"
            ).format(
                department=department.name,
                time=local_datetime(outcome.confirm_since, turn.services.settings.tz),
            ),
            reply_markup=InlineKeyboardMarkup([buttons]),
        )
        return

    async def tell_everyone() -> None:
        told = await tell_privately(
            turn.context.bot,
            plan.liaisons,
            lambda their: liaison_text(department.name, plan, outcome.note, their),
            default_locale=turn.services.settings.default_locale,
        )
        group = await note_in_group(turn, outcome.group)
        await turn.reply(
            _("Urged {department}: {told} of {count} liaisons told privately.").format(
                department=department.name, told=told, count=len(plan.liaisons)
            )
            + " "
            + group
        )

    await turn.after_commit(tell_everyone)


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
    note = parts[2] if len(parts) > 2 else ""  # trimmed by the use case
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
        department = DepartmentRef(choice.found.id, choice.found.name)
        await answer(
            turn,
            await urge(
                store(turn), department, note=note, actor_tg_id=turn.actor.tg_id, now=turn.now
            ),
        )
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
    query = turn.query
    if query is None:
        return
    await query.answer()
    _ = turn._
    draft = await take_draft(turn)
    if turn.callback_data == "ug:n":
        await turn.reply(_("Nothing was sent."))
        return
    kind = turn.callback_data.split(":")[1]
    department_id = turn.callback_int(2)
    state, data = draft if draft else (None, {})
    expected = CONFIRMING if kind == "y" else CHOOSING
    if state != expected or (kind == "y" and data.get("department_id") != department_id):
        await turn.reply(_("That urge is no longer open; send /urge again."))
        return
    if not department_id:
        await turn.reply(_("This department no longer exists."))
        return
    outcome = await urge_by_id(
        store(turn),
        department_id,
        note=str(data.get("text") or ""),
        actor_tg_id=turn.actor.tg_id,
        now=turn.now,
        confirmed=kind == "y",  # "urge again" was pressed: the hour's window is answered
    )
    await answer(turn, outcome)
