"""Starting the bot for real: upgrade the database, seed the first campaign, then receive
and handle updates through the durable inbox (bot/intake) in the process's role."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
from collections.abc import Callable

from bot.app import build_application
from bot.intake.runtime import IntakeRuntime, Role
from bot.ops.server import OpsConfig, OpsServer, start_ops_server
from core.assessment.campaigns import BUNDLED_DOCUMENT, create_campaign, load_file
from handlers.base import SERVICES_KEY
from runtime.config import Settings
from storage import repositories as repo
from storage.db import Database, upgrade_database

log = logging.getLogger(__name__)


async def seed_first_campaign(database_url: str) -> None:
    """On first start, with no campaign in the database, load the bundled 2020 document."""
    db = Database(database_url)
    try:
        async with db.unit() as unit:
            session = unit.session
            if await repo.campaign_count(session) > 0:
                return
            doc = load_file(BUNDLED_DOCUMENT)
            outcome = await create_campaign(session, doc, source_name=BUNDLED_DOCUMENT.name)
            await unit.commit()
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


def run_polling(settings: Settings, role: Role = "both") -> int:
    """Long polling through the durable inbox (bot/intake), until SIGINT or SIGTERM."""
    if role != "work":
        prepare_database(settings)
    app = build_application(settings)
    log.info("starting (%s) against %s", role, settings.telegram_api_base_url)
    return asyncio.run(_serve(IntakeRuntime(app, settings, role=role)))


async def _serve(runtime: IntakeRuntime) -> int:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, runtime.stop_event.set)
    ops = await start_ops(runtime)  # -- operations (issue 19): before the bot, after it --
    try:
        await runtime.start()
        try:
            await runtime.wait()
        finally:
            await runtime.stop()
    finally:
        if ops is not None:
            await ops.stop()
    return 0


async def start_ops(runtime: IntakeRuntime) -> OpsServer | None:
    """/livez, /readyz, /metrics for this process (bot/ops), unless METRICS_ENABLED=false."""
    settings = runtime.settings
    if not settings.metrics_enabled:
        return None
    config = OpsConfig(
        db=runtime.db,
        max_inbox_age=dt.timedelta(seconds=settings.ready_max_inbox_age_seconds),
        checks_backlog=runtime.works,
        stopping=runtime.stop_event,
    )
    return await start_ops_server(config, settings.metrics_listen, settings.metrics_port)


def run_webhook(settings: Settings, role: Role = "both") -> int:
    """Serve Telegram's webhook calls, each answered after its inbox commit. A request
    without the X-Telegram-Bot-Api-Secret-Token header of WEBHOOK_SECRET gets a 403."""
    from aiohttp import web

    from bot.intake.webhook import WebhookReceiver

    if not settings.webhook_url or not settings.webhook_secret:
        raise ValueError("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET")
    if role != "work":
        prepare_database(settings)
    app = build_application(settings)
    runtime = IntakeRuntime(app, settings, role=role)
    make_app: Callable[[], web.Application] = web.Application
    if settings.webapp_url:
        # -- dashboard (issue 12): webhook and Mini App share one aiohttp server --
        from bot.webapp.server import MOUNTED_KEY, build_web_app

        app.bot_data[MOUNTED_KEY] = True  # post_init starts no server of its own

        def make_app() -> web.Application:
            return build_web_app(app.bot_data[SERVICES_KEY])

    receiver = WebhookReceiver(
        app.bot,
        runtime.db,
        url=settings.webhook_url,
        secret=settings.webhook_secret.get_secret_value(),
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        make_app=make_app,
        max_connections=settings.webhook_max_connections,
    )
    runtime.custom_receiver = receiver.run
    return asyncio.run(_serve(runtime))
