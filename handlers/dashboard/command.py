"""/dashboard: a button that opens the Mini App (issue 12).

Web-app buttons work only in private chats; in a group the answer is a t.me link to the
Mini App when WEBAPP_SHORT_NAME is set (registered with @BotFather), otherwise a note to
open it in a private chat. Without WEBAPP_URL there is no dashboard, and the answer says so.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from core.people.permissions import ChatKind
from handlers.base import Turn, use_case
from handlers.menu import set_dashboard_button


@use_case("dashboard")
async def dashboard_command(turn: Turn) -> None:
    _ = turn._
    settings = turn.services.settings
    if not settings.webapp_url:
        await turn.reply(_("The dashboard is not set up on this bot (WEBAPP_URL)."))
        return
    if turn.chat is ChatKind.PRIVATE:
        webapp_url, actor = settings.webapp_url, turn.actor
        await turn.after_commit(
            lambda: set_dashboard_button(
                turn.context.bot, actor.tg_id, actor.role, webapp_url, actor.locale
            )
        )
        button = InlineKeyboardButton(
            _("Open the dashboard"), web_app=WebAppInfo(settings.webapp_url)
        )
        await turn.reply(
            _("The dashboard: overview, departments, items, overdue and evidence."),
            reply_markup=InlineKeyboardMarkup([[button]]),
        )
        return
    if settings.webapp_short_name:
        link = f"https://t.me/{turn.context.bot.username}/{settings.webapp_short_name}"
        await turn.reply(
            _("The dashboard opens in Telegram:"),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("Open the dashboard"), url=link)]]
            ),
        )
        return
    await turn.reply(_("The dashboard opens in a private chat with me: send /dashboard there."))
