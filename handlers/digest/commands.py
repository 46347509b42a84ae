"""/setgroup (admin, in a group) and /digest (admin): the office group and its digest.

/setgroup makes the group it is sent in the office group (Setting `office_chat_id`,
audit-logged). /digest sends today's digest to the office group at once; it counts as
the day's digest only if none was sent yet (the same claim as the scheduled one). If it
was sent already, an admin asking in private gets a copy for themselves; the group never
gets a second one.
"""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from core.digest.group import follow_group_migration, set_office_group
from core.digest.sql import SqlDigest, SqlOfficeGroup
from core.people.permissions import ChatKind
from core.text.formatting import local_datetime
from handlers.base import Turn, services, use_case
from handlers.digest.delivery import (
    Outcome,
    deliver_digest,
    instance_owner,
    make_digest,
    office_chat,
    send_parts,
)
from handlers.oversight.screens import reading_of

log = logging.getLogger(__name__)


@use_case("setgroup")
async def setgroup_command(turn: Turn) -> None:
    """Make this group the office group (the permission table allows it in groups only)."""
    _ = turn._
    chat = turn.update.effective_chat
    if chat is None:
        return
    settings = turn.services.settings
    changed = await set_office_group(
        SqlOfficeGroup(turn.session),
        chat.id,
        title=chat.title or "",
        actor_tg_id=turn.actor.tg_id,
        now=turn.now,
    )
    if not changed:
        await turn.reply(_("This group is already the office group."))
        return
    await turn.reply(
        _(
            "This group is now the office group: the digest comes here every day at "
            "{time} ({zone})."
        ).format(time=settings.digest_time.strftime("%H:%M"), zone=settings.timezone)
    )


@use_case("digest")
async def digest_command(turn: Turn) -> None:
    """Send today's digest to the office group now (once per day, like the scheduled one)."""
    _ = turn._
    svc = turn.services
    chat_id, _set_at = await office_chat(svc)
    if chat_id is None:
        await turn.reply(
            _("There is no office group yet: send /setgroup in the office's group first.")
        )
        return
    reading = reading_of(turn)  # the update's day, for the digest and its copy
    today = reading.today
    outcome = await deliver_digest(
        turn.context.bot, svc, chat_id, today, owner=instance_owner(svc), reading=reading
    )
    here = turn.update.effective_chat
    in_office_group = here is not None and here.id == chat_id
    if outcome is Outcome.SENT:
        if not in_office_group:
            await turn.reply(_("Today's digest was sent to the office group."))
        return
    if outcome is Outcome.FAILED:
        await turn.reply(_("The digest could not be sent to the office group; it will be retried."))
        return
    async with svc.db.session() as session:
        row = await SqlDigest(session).stored_digest(chat_id, today)
    if row is None or row.sent_at is None:
        await turn.reply(_("Today's digest is being sent right now."))
        return
    sent_at = local_datetime(row.sent_at, svc.settings.tz)
    if turn.chat is ChatKind.GROUP:
        await turn.reply(_("Today's digest was already sent at {time}.").format(time=sent_at))
        return
    await turn.reply(
        html.escape(
            _(
                "Today's digest was already sent to the office group at {time}; "
                "here it is again, for you only."
            ).format(time=sent_at)
        ),
        parse_mode=ParseMode.HTML,
    )
    built = await make_digest(svc, chat_id, today, reading)
    bot = turn.context.bot
    await turn.after_commit(lambda: send_parts(bot, turn.actor.tg_id, built.parts))


async def group_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The group became a supergroup: its new chat id receives the digest from now on.

    Not a use case: the service message comes from no user (Telegram sends it), and
    nobody is answered.
    """
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    svc = services(context)
    async with svc.db.unit() as unit:
        store = SqlOfficeGroup(unit.session)
        if await follow_group_migration(store, message.chat_id, message.migrate_to_chat_id):
            log.info("the office group became a supergroup; its digest follows it")
        await unit.commit()
