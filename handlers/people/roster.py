"""/users and /revoke USER (admin, private): who has which role, and taking a role away.

Names appear here because these are the office's private screens; nothing of this is
ever sent to a group.
"""

from __future__ import annotations

from telegram.constants import ParseMode

from core.people.permissions import Role
from core.people.roster import Person, RevokeFailure, RevokeRefused, people, revoke
from core.people.sql import SqlPeople
from core.text.i18n import Translate
from handlers.base import Turn, use_case
from handlers.menu import set_user_menu
from handlers.oversight.screens import esc, send_screen


def person_line(person: Person, _: Translate) -> str:
    name = person.display_name or "—"
    line = f" • {esc(name)} <code>{person.tg_id}</code>"
    if person.is_deputy:
        line += " " + esc(_("(deputy)"))
    return line


@use_case("users")
async def users_command(turn: Turn) -> None:
    """/users: liaisons by department, departments without one, leaders, office staff."""
    _ = turn._
    listing = await people(SqlPeople(turn.session))
    sections = [
        "<b>"
        + esc(_("Liaisons and leaders"))
        + "</b>\n"
        + esc(_("/revoke followed by a user's number removes their role."))
    ]
    missing = []
    for department in listing.departments:
        if not department.liaisons:
            missing.append(department.name)
            continue
        lines = [f"<b>{esc(department.name)}</b>"]
        lines.extend(person_line(p, _) for p in department.liaisons)
        sections.append("\n".join(lines))
    for department_name, person in listing.other_liaisons:
        sections.append(
            f"<b>{esc(department_name)}</b> "
            + esc(_("(not in the active campaign)"))
            + "\n"
            + person_line(person, _)
        )
    if missing:
        sections.append(
            "<b>"
            + esc(_("Departments without a liaison ({count})").format(count=len(missing)))
            + "</b>\n"
            + esc("、".join(missing))
        )
    for title, group in ((_("Leaders"), listing.leaders), (_("Office staff"), listing.admins)):
        lines = [f"<b>{esc(title)}</b>"]
        if group:
            lines.extend(person_line(p, _) for p in group)
        else:
            lines.append(" —")
        sections.append("\n".join(lines))
    await send_screen(turn, sections)


@use_case("revoke")
async def revoke_command(turn: Turn) -> None:
    """/revoke USER: USER is a Telegram user id (see /users) or a display name."""
    _ = turn._
    query = " ".join(turn.args).strip()
    if not query:
        await turn.reply(_("Usage: /revoke USER, where USER is the number shown by /users."))
        return
    try:
        revoked = await revoke(
            SqlPeople(turn.session),
            query=query,
            admin_ids=turn.services.admin_ids,
            actor_tg_id=turn.actor.tg_id,
            now=turn.now,
        )
    except RevokeRefused as exc:  # refused before anything was staged
        messages = {
            RevokeFailure.NOT_FOUND: _("No user matches “{query}”. /users lists them."),
            RevokeFailure.AMBIGUOUS: _("Several users match “{query}”; use the number:"),
            RevokeFailure.CONFIGURED_ADMIN: _(
                "“{query}” is an office admin from the configuration (ADMIN_IDS); "
                "remove them there. Nothing was changed."
            ),
            RevokeFailure.NO_ROLE: _("“{query}” has no role to remove. Nothing was changed."),
        }
        text = esc(messages[exc.failure].format(query=query[:40]))
        if exc.candidates:
            text += "\n" + "\n".join(person_line(p, _) for p in exc.candidates[:20])
        await turn.reply(text, parse_mode=ParseMode.HTML)
        return
    role = {"liaison": _("department liaison"), "leader": _("leader"), "admin": _("office staff")}
    text = _("{name} ({id}) is no longer {role}. Their reports stay, attributed to them.").format(
        name=revoked.display_name or "—",
        id=revoked.tg_id,
        role=role.get(revoked.role, revoked.role)
        + (f" · {revoked.department_name}" if revoked.department_name else ""),
    )
    await turn.reply(text)
    settings = turn.services.settings
    await turn.after_commit(
        lambda: set_user_menu(
            turn.context.bot,
            revoked.tg_id,
            Role.STRANGER,
            webapp_url=settings.webapp_url,
            locale=settings.default_locale,
        )
    )
