"""Webhook mode: Telegram's POST is answered only after the update is in the inbox.

PTB's own webhook server answers 200 as soon as the update is queued in memory; here the
answer waits for the inbox commit, and any failure answers 500 so Telegram redelivers.

The process has one web server, aiohttp (as PTB's custom-webhook example runs its own
framework): with WEBAPP_URL set it is the dashboard's application (issue 12) with the
webhook route added, so both share WEBHOOK_LISTEN:WEBHOOK_PORT.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot, Update

from bot.intake.receive import store_updates
from bot.untrusted_http import (
    keep_dead_letter,
    parse_update,
    quiet_server_logger,
    same_secret,
    single_header,
)
from storage.db import Database

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_route(
    db: Database, secret: str, on_stored: Callable[[], None]
) -> Callable[[web.Request], Any]:
    """The POST handler: check the secret, commit the update to the inbox, then answer."""

    async def webhook(request: web.Request) -> web.Response:
        # Malformed credentials and bodies: bot.untrusted_http (issue 18).
        if not same_secret(single_header(request, SECRET_HEADER) or "", secret):
            return web.Response(status=403)
        body = await request.read()
        payload = parse_update(body)
        if payload is None:  # Telegram's, but unreadable: set aside, and stop its resending
            try:
                await keep_dead_letter(db, body, "not an update")
            except Exception:
                log.exception("could not keep an unreadable webhook body; Telegram will resend")
                return web.Response(status=500)
            return web.Response()
        try:
            await store_updates(db, [payload])
        except Exception:
            log.exception("could not store a webhook update; Telegram will send it again")
            return web.Response(status=500)
        on_stored()
        return web.Response()

    return webhook


class WebhookReceiver:
    """Registers the webhook with Telegram and serves it until stopped.

    `make_app` gives the aiohttp application to add the route to (the dashboard's, or a
    bare one); it is called once the bot has started, so the dashboard has its services.
    """

    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        url: str,
        secret: str,
        listen: str,
        port: int,
        make_app: Callable[[], web.Application] = web.Application,
        max_connections: int = 40,
    ) -> None:
        self.bot = bot
        self.db = db
        self.url = url
        self.secret = secret
        self.listen = listen
        self.port = port
        self.make_app = make_app
        # Telegram's simultaneous requests (its default is 40): each waits for its inbox
        # commit, so this bounds the receiver's share of the database pool too.
        self.max_connections = max_connections

    async def run(self, stop: asyncio.Event, on_stored: Callable[[], None]) -> None:
        path = "/" + urlsplit(self.url).path.lstrip("/")
        app = self.make_app()
        app.router.add_post(path, webhook_route(self.db, self.secret, on_stored))
        runner = web.AppRunner(app, access_log=None, logger=quiet_server_logger())
        await runner.setup()
        try:
            await web.TCPSite(runner, self.listen, self.port).start()
            await self.bot.set_webhook(
                self.url,
                secret_token=self.secret,
                allowed_updates=list(Update.ALL_TYPES),
                max_connections=self.max_connections,
            )
            log.info("serving the webhook on %s:%s", self.listen, self.port)
            await stop.wait()
        finally:
            await runner.cleanup()
