"""/invite DEPT and /invite leader (admin): one-time codes to forward to new users.

Callback data: `inv:<department id>` picks one department of an ambiguous name for a
liaison's invite, `inv:d:<department id>` for a deputy liaison's (the flag survives the
choice).
"""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from core.people.interfaces import DepartmentRef
from core.people.invites import MadeInvite, choose_department, make_invite
from core.people.sql import SqlPeople
from core.text.formatting import local_datetime
from core.text.i18n import Translate
from handlers.base import Turn, use_case
from storage.models import ROLE_LEADER, ROLE_LIAISON


def invite_text(made: MadeInvite, _: Translate, tz: ZoneInfo) -> str:
    if made.department_name:
        head = _("Invite for a liaison of {department}, valid until {until}, usable once:").format(
            department=made.department_name,
            until=local_datetime(made.expires_at, tz),
        )
    else:
        head = _("Invite for a leader, valid until {until}, usable once:").format(
            until=local_datetime(made.expires_at, tz)
        )
    forward = _("Forward this line to them:")
    return (
        f"{html.escape(head)}\n\n<code>{made.code}</code>\n\n"
        f"{html.escape(forward)}\n<code>/join {made.code}</code>"
    )


async def _make(turn: Turn, department: DepartmentRef | None, *, deputy: bool = False) -> None:
    settings = turn.services.settings
    made = await make_invite(
        SqlPeople(turn.session),
        role=ROLE_LIAISON if department else ROLE_LEADER,
        department=department,
        created_by=turn.actor.tg_id,
        now=turn.now,
        ttl=dt.timedelta(days=settings.invite_ttl_days),
        deputy=deputy,
    )
    text = invite_text(made, turn._, settings.tz)
    if deputy:
        text = (
            html.escape(
                turn._("A deputy liaison: reminded only when the main liaison is away or silent.")
            )
            + "\n"
            + text
        )
    await turn.reply(text, parse_mode=ParseMode.HTML)


@use_case("invite")
async def invite_command(turn: Turn) -> None:
    """/invite DEPT | leader."""
    _ = turn._
    args = list(turn.args)
    # "/invite 农业 deputy" (or 副): an invite for a deputy liaison.
    deputy = bool(args) and args[-1].lower() in ("deputy", "副", "副联络员")
    if deputy:
        args = args[:-1]
    query = " ".join(args).strip()
    if not query:
        await turn.reply(_("Usage: /invite DEPT (part of a department's name) or /invite leader"))
        return
    if query.lower() in ("leader", "领导"):
        await _make(turn, None)
        return
    choice = await choose_department(SqlPeople(turn.session), query)
    if choice.found is not None:
        await _make(turn, choice.found, deputy=deputy)
        return
    if not choice.candidates:
        await turn.reply(_("No department matches “{query}”.").format(query=query[:40]))
        return
    prefix = "inv:d:" if deputy else "inv:"
    buttons = [
        [InlineKeyboardButton(d.name, callback_data=f"{prefix}{d.id}")]
        for d in choice.candidates[:20]
    ]
    await turn.reply(
        _("Several departments match “{query}”. Which one?").format(query=query[:40]),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


@use_case("invite")
async def invite_button(turn: Turn) -> None:
    query = turn.query
    if query is None:
        return
    await query.answer()
    department_id = turn.callback_int(-1)  # inv:<id> or inv:d:<id>
    store = SqlPeople(turn.session)
    department = await store.department(department_id) if department_id else None
    if department is None:
        await turn.reply(turn._("No department matches “{query}”.").format(query="?"))
        return
    await _make(turn, department, deputy=turn.callback_data.startswith("inv:d:"))
