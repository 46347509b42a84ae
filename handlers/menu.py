"""The command menu of a user's private chat: what their role may use, in both languages.

Set at start for the bootstrap admins (bot/app.py) and whenever a role changes (join,
handover, revoke), so it lives with the handlers and the wiring imports it from here.
"""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    MenuButton,
    MenuButtonDefault,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import TelegramError

from core.people.permissions import ChatKind, Decision, Role, check, commands_for
from core.text.i18n import translator

log = logging.getLogger(__name__)


async def set_user_menu(
    bot: Bot, user_id: int, role: Role, *, webapp_url: str | None = None, locale: str = "zh"
) -> None:
    """The command menu of one user's private chat with the bot, in both languages, and
    with a dashboard its menu button (leaders, admins, liaisons; strangers get it back to
    the default)."""
    if webapp_url:
        await set_dashboard_button(bot, user_id, role, webapp_url, locale)
    for locale, language_code in (("zh", None), ("en", "en")):
        try:
            await bot.set_my_commands(
                menu(role, locale), scope=BotCommandScopeChat(user_id), language_code=language_code
            )
        except TelegramError as exc:  # e.g. the user has not opened a chat with the bot yet
            log.info("could not set the command menu of a user: %s", exc)


async def set_dashboard_button(
    bot: Bot, user_id: int, role: Role, webapp_url: str, locale: str
) -> None:
    """setChatMenuButton: the dashboard for whoever may use /dashboard (issue 12)."""
    _ = translator(locale)
    allowed = check("dashboard", role, ChatKind.PRIVATE) is Decision.ALLOWED
    button: MenuButton = (
        MenuButtonWebApp(_("Dashboard"), WebAppInfo(webapp_url)) if allowed else MenuButtonDefault()
    )
    try:
        await bot.set_chat_menu_button(chat_id=user_id, menu_button=button)
    except TelegramError as exc:  # e.g. the user has not opened a chat with the bot yet
        log.info("could not set the menu button of a user: %s", exc)


def menu(role: Role, locale: str) -> list[BotCommand]:
    _ = translator(locale)
    return [
        BotCommand(rule.name, _(rule.description)) for rule in commands_for(role, ChatKind.PRIVATE)
    ]
