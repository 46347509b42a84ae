"""Webhook mode: Telegram's POST is answered only after the update is in the inbox.

PTB's own webhook server answers 200 as soon as the update is queued in memory; here the
answer waits for the inbox commit, and any failure answers 500 so Telegram redelivers.

`WebServer` is the process's one HTTP server (tornado, which PTB's webhook extra already
brings): others add their routes with `add_route` before `start` (e.g. the dashboard).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.web
from telegram import Bot, Update

from bot.intake.receive import store_updates
from storage.db import Database

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebServer:
    """One tornado application and HTTP server; routes are added before `start`."""

    def __init__(self, listen: str, port: int) -> None:
        self.listen = listen
        self.port = port
        self.routes: list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]] = []
        self._server: tornado.httpserver.HTTPServer | None = None

    def add_route(
        self,
        pattern: str,
        handler: type[tornado.web.RequestHandler],
        options: dict[str, Any] | None = None,
    ) -> None:
        self.routes.append((pattern, handler, options or {}))

    def start(self) -> None:
        app = tornado.web.Application(self.routes, log_function=lambda _handler: None)
        self._server = tornado.httpserver.HTTPServer(app, xheaders=True)
        self._server.listen(self.port, self.listen)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None


class _WebhookHandler(tornado.web.RequestHandler):
    def initialize(self, db: Database, secret: str, on_stored: Callable[[], None]) -> None:
        self.db = db
        self.secret = secret
        self.on_stored = on_stored

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            return
        try:
            payload = json.loads(self.request.body or b"null")
        except ValueError:
            self.set_status(400)
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            self.set_status(400)
            return
        try:
            await store_updates(self.db, [payload])
        except Exception:
            log.exception("could not store a webhook update; Telegram will send it again")
            self.set_status(500)
            return
        self.on_stored()
        self.set_status(200)


class WebhookReceiver:
    """Registers the webhook with Telegram and serves it until stopped."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        url: str,
        secret: str,
        server: WebServer,
    ) -> None:
        self.bot = bot
        self.db = db
        self.url = url
        self.secret = secret
        self.server = server

    async def run(self, stop: asyncio.Event, on_stored: Callable[[], None]) -> None:
        path = "/" + urlsplit(self.url).path.lstrip("/")
        self.server.add_route(
            path, _WebhookHandler, {"db": self.db, "secret": self.secret, "on_stored": on_stored}
        )
        self.server.start()
        try:
            await self.bot.set_webhook(
                self.url, secret_token=self.secret, allowed_updates=list(Update.ALL_TYPES)
            )
            log.info("serving the webhook on %s:%s", self.server.listen, self.server.port)
            await stop.wait()
        finally:
            await self.server.stop()
