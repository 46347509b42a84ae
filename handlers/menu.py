"""The command menu of a user's private chat: what their role may use, in both languages.

Set at start for the bootstrap admins (bot/app.py) and whenever a role changes (join,
handover, revoke), so it lives with the handlers and the wiring imports it from here.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from core.people.permissions import ChatKind, Role, commands_for
from core.text.i18n import translator

log = logging.getLogger(__name__)


async def set_user_menu(bot: Bot, user_id: int, role: Role) -> None:
    """The command menu of one user's private chat with the bot, in both languages."""
    for locale, language_code in (("zh", None), ("en", "en")):
        try:
            await bot.set_my_commands(
                menu(role, locale), scope=BotCommandScopeChat(user_id), language_code=language_code
            )
        except TelegramError as exc:  # e.g. the user has not opened a chat with the bot yet
            log.info("could not set the command menu of a user: %s", exc)


def menu(role: Role, locale: str) -> list[BotCommand]:
    _ = translator(locale)
    return [
        BotCommand(rule.name, _(rule.description)) for rule in commands_for(role, ChatKind.PRIVATE)
    ]
