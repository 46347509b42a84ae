"""/handover: moving a department's liaison role to another person.

    /handover FROM TO   (office)   at once; FROM and TO are Telegram user ids or names
    /handover TO        (liaison)  a request the office confirms with a button

Callback data: `ho:y:<from id>` confirm, `ho:n:<from id>` refuse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from core.people.handover import (
    HandedOver,
    HandoverRefused,
    hand_over,
    refuse_request,
    request_handover,
    requested_target,
)
from core.people.interfaces import Recipient
from core.people.permissions import Role
from core.people.roster import find_users
from core.people.sql import SqlPeople
from core.text.i18n import Translate, translator
from handlers.base import Turn, use_case
from handlers.menu import set_user_menu

log = logging.getLogger(__name__)


async def person_id(turn: Turn, query: str) -> int | None:
    """A Telegram user id, or the id of the one known user whose name matches."""
    text = query.strip()
    if text.lstrip("-").isdigit() and len(text) < 19:
        return int(text)
    matches = await find_users(SqlPeople(turn.session), text, with_role=False)
    return matches[0].tg_id if len(matches) == 1 else None


def refusal_text(reason: str, _: Translate) -> str:
    return {
        "not_liaison": _("That person is not a department liaison."),
        "same_person": _("That is the same person."),
        "target_is_staff": _(
            "That person is office staff or a leader; they cannot become a liaison."
        ),
        "no_request": _("There is no pending handover request."),
    }.get(reason, _("The handover could not be done."))


async def locales(turn: Turn, tg_ids: tuple[int, ...]) -> dict[int, str]:
    """Each user's language (one read, inside the unit: the messages go after the commit)."""
    default = turn.services.settings.default_locale
    known = await SqlPeople(turn.session).users(tg_ids)
    return {tg_id: (known[tg_id].locale if tg_id in known else None) or default for tg_id in tg_ids}


async def tell(turn: Turn, tg_id: int, locale: str, make_text: Callable[[Translate], str]) -> None:
    """A private message to `tg_id` in their language; silence if they never started the bot."""
    try:
        await turn.context.bot.send_message(tg_id, make_text(translator(locale)))
    except TelegramError as exc:
        log.info("could not notify a user about a handover: %s", exc)


async def announce(turn: Turn, done: HandedOver, locale: dict[int, str]) -> None:
    await tell(
        turn,
        done.from_tg_id,
        locale[done.from_tg_id],
        lambda _: _(
            "Your liaison role for {department} was handed over. Anything you had not "
            "finished with /done was closed and not saved; your earlier reports stay."
        ).format(department=done.department_name),
    )
    await tell(
        turn,
        done.to_tg_id,
        locale[done.to_tg_id],
        lambda _: _("You are now the liaison of {department}. /items lists its items.").format(
            department=done.department_name
        ),
    )
    settings = turn.services.settings
    for tg_id, role in ((done.to_tg_id, Role.LIAISON), (done.from_tg_id, Role.STRANGER)):
        await set_user_menu(
            turn.context.bot,
            tg_id,
            role,
            webapp_url=settings.webapp_url,
            locale=settings.default_locale,
        )


async def carry_out(turn: Turn, from_id: int, to_id: int) -> None:
    """Hand over (one commit), then tell the office, the old and the new liaison."""
    _ = turn._
    try:
        done = await hand_over(
            SqlPeople(turn.session),
            from_tg_id=from_id,
            to_tg_id=to_id,
            actor_tg_id=turn.actor.tg_id,
            now=turn.now,
        )
    except HandoverRefused as exc:
        await turn.reply(refusal_text(exc.reason, _))
        return
    await turn.reply(
        _("Done: {department} has a new liaison.").format(department=done.department_name)
    )
    locale = await locales(turn, (done.from_tg_id, done.to_tg_id))
    await turn.after_commit(lambda: announce(turn, done, locale))


@use_case("handover")
async def handover_command(turn: Turn) -> None:
    _ = turn._
    args = turn.args
    if turn.actor.role is Role.ADMIN:
        if len(args) != 2:
            await turn.reply(_("Usage: /handover FROM TO (Telegram user ids or names)"))
            return
        from_id, to_id = await person_id(turn, args[0]), await person_id(turn, args[1])
        if from_id is None or to_id is None:
            await turn.reply(_("I could not tell who is meant; use Telegram user ids."))
            return
        await carry_out(turn, from_id, to_id)
        return
    # A liaison asks; the office confirms.
    if len(args) != 1:
        await turn.reply(_("Usage: /handover TO (the Telegram user id of the new liaison)"))
        return
    to_id = await person_id(turn, args[0])
    if to_id is None:
        await turn.reply(_("I could not tell who is meant; use Telegram user ids."))
        return
    store = SqlPeople(turn.session)
    try:
        department = await request_handover(
            store, from_tg_id=turn.actor.tg_id, to_tg_id=to_id, now=turn.now
        )
    except HandoverRefused as exc:
        await turn.reply(refusal_text(exc.reason, _))
        return
    admins = await store.admins(turn.services.admin_ids)
    await turn.reply(_("Your request was sent to the office for confirmation."))
    await turn.after_commit(lambda: ask_the_office(turn, admins, department, to_id))


async def ask_the_office(turn: Turn, admins: list[Recipient], department: str, to_id: int) -> None:
    """After the request is committed: each admin gets the confirm / refuse buttons."""
    default = turn.services.settings.default_locale
    for admin in admins:
        text, markup = confirmation_request(
            translator(admin.locale or default), department, turn.actor.tg_id, to_id
        )
        try:
            await turn.context.bot.send_message(admin.tg_id, text, reply_markup=markup)
        except TelegramError as exc:
            log.info("could not ask an admin to confirm a handover: %s", exc)


def confirmation_request(
    _: Translate, department: str, from_id: int, to_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Confirm"), callback_data=f"ho:y:{from_id}"),
                InlineKeyboardButton(_("Refuse"), callback_data=f"ho:n:{from_id}"),
            ]
        ]
    )
    text = _("The liaison of {department} asks to hand the role to user {to}.").format(
        department=department, to=to_id
    )
    return text, markup


@use_case("handover")
async def handover_button(turn: Turn) -> None:
    """The office confirms or refuses a liaison's request."""
    _ = turn._
    query = turn.query
    if query is None:
        return
    await query.answer()
    if turn.actor.role is not Role.ADMIN:
        return
    decision, from_id = turn.callback_data.split(":")[1], turn.callback_int(2)
    if from_id is None:
        return
    store = SqlPeople(turn.session)
    try:
        to_id = await requested_target(store, from_id)
    except HandoverRefused as exc:
        await turn.reply(refusal_text(exc.reason, _))
        return
    if decision == "n":
        await refuse_request(store, from_id)
        locale = await locales(turn, (from_id,))
        await turn.reply(_("Refused; nothing changed."))
        await turn.after_commit(
            lambda: tell(
                turn,
                from_id,
                locale[from_id],
                lambda _: _("The office did not confirm your handover request."),
            )
        )
        return
    await carry_out(turn, from_id, to_id)
