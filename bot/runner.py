"""Starting the bot for real: upgrade the database, seed the first campaign, poll."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot.app import build_application
from bot.config import Settings
from core.assessment.campaigns import BUNDLED_DOCUMENT, create_campaign, load_file
from storage import repositories as repo
from storage.db import Database, upgrade_database

log = logging.getLogger(__name__)


async def seed_first_campaign(database_url: str) -> None:
    """On first start, with no campaign in the database, load the bundled 2020 document."""
    db = Database(database_url)
    try:
        async with db.session() as session:
            if await repo.campaign_count(session) > 0:
                return
            doc = load_file(BUNDLED_DOCUMENT)
            outcome = await create_campaign(session, doc, source_name=BUNDLED_DOCUMENT.name)
            await session.commit()
            log.info(
                "first start: imported the bundled %s document as campaign %s (%s items)",
                doc.year,
                outcome.campaign_id,
                outcome.items,
            )
    finally:
        await db.close()


def prepare_database(settings: Settings) -> None:
    upgrade_database(settings.database_url)
    asyncio.run(seed_first_campaign(settings.database_url))


def run_polling(settings: Settings) -> int:
    prepare_database(settings)
    app = build_application(settings)
    log.info("starting long polling against %s", settings.telegram_api_base_url)
    app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
    return 0


def run_webhook(settings: Settings) -> int:
    """Serve Telegram's webhook calls. PTB checks the X-Telegram-Bot-Api-Secret-Token
    header against WEBHOOK_SECRET and answers 403 to any request without it."""
    from urllib.parse import urlsplit

    assert settings.webhook_url and settings.webhook_secret
    prepare_database(settings)
    app = build_application(settings)
    url_path = urlsplit(settings.webhook_url).path.lstrip("/")
    if settings.webapp_url:
        # -- dashboard (issue 12): webhook and Mini App share one aiohttp server --
        from bot.webapp.server import serve_webhook_with_dashboard

        log.info(
            "serving the webhook and the dashboard on %s:%s",
            settings.webhook_listen,
            settings.webhook_port,
        )
        asyncio.run(serve_webhook_with_dashboard(app, url_path))
        return 0
    log.info("serving the webhook on %s:%s", settings.webhook_listen, settings.webhook_port)
    app.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=url_path,
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=Update.ALL_TYPES,
    )
    return 0
