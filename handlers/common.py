"""/start, /help, /lang, replies to unknown commands and stray messages, and the error handler."""

from __future__ import annotations

import contextlib
import html
import logging
import re

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from core.people.actors import set_locale
from core.people.permissions import ChatKind, Decision, Role, check, commands_for
from core.text.i18n import SUPPORTED_LOCALES, Translate, translator
from handlers.base import Turn, chat_kind, services, use_case
from handlers.reporting.review_return import RETURN_PATTERN

log = logging.getLogger(__name__)


def role_label(role: Role, _: Translate) -> str:
    return {
        Role.STRANGER: _("visitor"),
        Role.LIAISON: _("department liaison"),
        Role.LEADER: _("leader"),
        Role.ADMIN: _("office staff"),
    }[role]


def help_text(role: Role, chat: ChatKind, _: Translate) -> str:
    lines = [_("Commands you can use:")]
    for rule in commands_for(role, chat):
        usage = f"/{rule.name}" + (f" {rule.args}" if rule.args else "")
        lines.append(f"{html.escape(usage)} — {html.escape(_(rule.description))}")
    if role is Role.LIAISON and chat is ChatKind.PRIVATE:
        lines.append("")
        lines.append(
            html.escape(
                _("Quick report: send a photo or document with the caption #CODE and a few words.")
            )
        )
    return "\n".join(lines)


async def ignore_bots(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Messages from other bots get no answer (two bots must not talk in circles)."""
    user = update.effective_user
    if user is not None and user.is_bot:
        raise ApplicationHandlerStop


@use_case()
async def start(turn: Turn) -> None:
    """Welcome; strangers learn only how to join."""
    _ = turn._
    if turn.actor.role is Role.STRANGER:
        text = _(
            "Welcome to Duban (督办), the assessment assistant of the district office.\n"
            "If your office gave you an invite code, send /join CODE."
        )
        await turn.reply(html.escape(text), parse_mode=ParseMode.HTML)
        return
    greeting = _("Welcome back to Duban. You are signed in as {role}.").format(
        role=role_label(turn.actor.role, _)
    )
    await turn.reply(
        html.escape(greeting) + "\n\n" + help_text(turn.actor.role, turn.chat, _),
        parse_mode=ParseMode.HTML,
    )


@use_case()
async def help_command(turn: Turn) -> None:
    """The commands this user's role may use here."""
    await turn.reply(help_text(turn.actor.role, turn.chat, turn._), parse_mode=ParseMode.HTML)


@use_case()
async def lang(turn: Turn) -> None:
    """/lang zh|en: switch and remember the user's language."""
    choice = turn.args[0].strip().lower() if turn.args else ""
    if choice not in SUPPORTED_LOCALES:
        await turn.reply(turn._("Usage: /lang zh or /lang en"))
        return
    user = turn.update.effective_user
    if user is None:
        return
    await set_locale(turn.session, user.id, choice, user.full_name)
    _ = translator(choice)
    await turn.reply(
        _("Language set to English.") if choice == "en" else _("Language set to Chinese.")
    )


@use_case("cancel")
async def nothing_to_cancel(turn: Turn) -> None:
    """/cancel with nothing in progress."""
    await turn.reply(turn._("There is nothing to cancel."))


@use_case()
async def unknown_command(turn: Turn) -> None:
    """A command nobody handles: point to /help (silently ignored in groups)."""
    if turn.chat is ChatKind.GROUP:
        return
    text = turn.message.text if turn.message and turn.message.text else ""
    name = text.split()[0].lstrip("/").split("@")[0].lower() if text.strip() else ""
    if check(name, turn.actor.role, turn.chat) is Decision.ROLE:
        await turn.reply(
            turn._("This command is not available to you. /help shows what you can do.")
        )
        return
    await turn.reply(turn._("I don't know that command. /help shows what you can do."))


@use_case()
async def stray_message(turn: Turn) -> None:
    """Text or media outside any conversation, in a private chat."""
    _ = turn._
    if turn.actor.role is Role.LIAISON:
        text = _(
            "To report, use /report, or send a photo or document with the caption #CODE. "
            "/items lists your items."
        )
    elif turn.actor.role is Role.STRANGER:
        text = _("Send /join CODE with the invite code from your office, or /help.")
    else:
        text = _("/help shows what you can do.")
    await turn.reply(text)


@use_case()
async def edited_message(turn: Turn) -> None:
    """Edits never change a report: say so, so nobody believes a correction was recorded."""
    if turn.chat is ChatKind.GROUP or turn.actor.role is Role.STRANGER:
        return
    await turn.reply(
        turn._(
            "Edited messages do not change what was recorded. "
            "To correct a report, send a new one: history keeps both."
        )
    )


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press nothing else took: answer it quietly, change nothing."""
    query = update.callback_query
    if query is None:
        return
    if isinstance(query.data, str) and re.match(RETURN_PATTERN, query.data):
        return  # the review-return conversation (handler group -1) took it
    with contextlib.suppress(TelegramError):
        await query.answer()


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure once, and tell the user politely that nothing was saved."""
    log.error("handler failed: %r", context.error, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if chat_kind(update) is ChatKind.GROUP and update.callback_query is None:
        return
    locale: str = services(context).settings.default_locale
    user = update.effective_user
    if user is not None:
        try:
            from core.people.actors import load_actor

            svc = services(context)
            async with svc.db.session() as session:
                actor = await load_actor(
                    session, user.id, admin_ids=svc.admin_ids, default_locale=locale
                )
                locale = actor.locale
        except Exception:  # the database may be what failed; fall back to the default
            pass
    _ = translator(locale)
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            _("Sorry, something went wrong. Please try again in a moment."),
        )
    except Exception:
        log.warning("could not tell the user about the failure")
