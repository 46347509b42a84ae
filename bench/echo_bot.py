"""The fastest thing Duban could be: a bare python-telegram-bot echo bot, for comparison.

Same library, same polling, same rate limiter as Duban; no database, no logic.
"""

import os

from telegram import Update
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "?")


def main() -> None:
    builder = (
        ApplicationBuilder().token(os.environ["ECHO_TOKEN"]).base_url(os.environ["ECHO_BASE_URL"])
    )
    if os.environ.get("TELEGRAM_RATE_LIMIT", "true").lower() not in ("0", "false", "no"):
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app = builder.build()
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
