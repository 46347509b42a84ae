"""Telling people privately, each in their own language, after the database has committed.

A user who blocked the bot or never opened a chat with it cannot be told; that is
logged (without the message) and counted, never an error for the person acting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from core.people.roster import Recipient
from core.text.i18n import Translate, translator

log = logging.getLogger(__name__)


async def tell_privately(
    bot: Bot,
    recipients: Iterable[Recipient],
    render: Callable[[Translate], str],
    *,
    default_locale: str,
) -> int:
    """Send `render(their translator)` (HTML) to each recipient; how many were reached."""
    told = 0
    for person in recipients:
        _ = translator(person.locale or default_locale)
        try:
            await bot.send_message(person.tg_id, render(_), parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.info("could not tell user %s privately: %s", person.tg_id, exc)
            continue
        told += 1
    return told
