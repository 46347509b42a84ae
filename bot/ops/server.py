"""Health and metrics on a port of their own (METRICS_LISTEN, METRICS_PORT; issue 19).

* `GET /livez` — 200 while the process's event loop answers at all;
* `GET /readyz` — 200 when the database answers and (in a process that handles updates)
  the oldest pending inbox update is younger than READY_MAX_INBOX_AGE_SECONDS; else 503
  with the reason in one line of text. A process that is stopping is not ready either.
* `GET /metrics` — Prometheus' text format (bot/ops/metrics.py).

Never on the webhook's or the Mini App's port (the settings refuse it): this server is
for the operators' network, loopback by default. Every process role (both, receive,
work) starts one from bot/runner.py; a port already taken is logged and the bot runs on
without it, so a second process on one host with the default port still works.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.ops.metrics import render
from core.export.runs import STALE_AFTER as EXPORT_STALE_AFTER
from storage.db import Database
from storage.health import SharedState, shared_state

log = logging.getLogger(__name__)
DATABASE_TIMEOUT_SECONDS = 5.0


@dataclass
class OpsConfig:
    db: Database
    max_inbox_age: dt.timedelta
    checks_backlog: bool  # a receive-only process is ready while workers lag behind
    stopping: asyncio.Event


OPS_KEY = web.AppKey("ops", OpsConfig)


async def read_state(db: Database) -> SharedState:
    alive_since = dt.datetime.now(dt.UTC) - EXPORT_STALE_AFTER
    async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS), db.session() as session:
        return await shared_state(session, exports_alive_since=alive_since)


async def livez(request: web.Request) -> web.Response:
    return web.Response(text="alive\n")


async def readyz(request: web.Request) -> web.Response:
    config = request.app[OPS_KEY]
    if config.stopping.is_set():
        return _not_ready("the process is stopping")
    try:
        state = await read_state(config.db)
    except Exception as exc:  # any failure to read is "the database does not answer"
        # The type only: a driver's message may carry the host or user of the URL.
        return _not_ready(f"the database does not answer ({type(exc).__name__})")
    if config.checks_backlog and state.inbox_oldest_pending_at is not None:
        waited = dt.datetime.now(dt.UTC) - state.inbox_oldest_pending_at
        if waited > config.max_inbox_age:
            return _not_ready(
                f"the oldest pending update has waited {waited.total_seconds():.0f} s "
                f"(limit {config.max_inbox_age.total_seconds():.0f} s; "
                f"{state.inbox_pending} pending)"
            )
    return web.Response(text="ready\n")


def _not_ready(reason: str) -> web.Response:
    return web.Response(status=503, text=f"not ready: {reason}\n")


async def metrics(request: web.Request) -> web.Response:
    config = request.app[OPS_KEY]
    try:
        state: SharedState | None = await read_state(config.db)
    except Exception as exc:
        log.warning("metrics: the database could not be read (%s)", type(exc).__name__)
        state = None
    body = render(state, dt.datetime.now(dt.UTC))
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def build_ops_app(config: OpsConfig) -> web.Application:
    app = web.Application()
    app[OPS_KEY] = config
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


class OpsServer:
    """The running server: its bound port (METRICS_PORT=0 picks a free one) and stop()."""

    def __init__(self, runner: web.AppRunner) -> None:
        self.runner = runner

    @property
    def port(self) -> int:
        return int(self.runner.addresses[0][1])

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_ops_server(config: OpsConfig, listen: str, port: int) -> OpsServer | None:
    """Serve /livez, /readyz and /metrics; None (logged) if the address is taken."""
    runner = web.AppRunner(build_ops_app(config), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
    except OSError as exc:
        await runner.cleanup()
        log.error(
            "health and metrics not served: %s:%s is not available (%s); set METRICS_PORT "
            "per process (0 = any free port)",
            listen,
            port,
            exc.strerror or exc,
        )
        return None
    server = OpsServer(runner)
    log.info("health and metrics on http://%s:%s/ (livez, readyz, metrics)", listen, server.port)
    return server
