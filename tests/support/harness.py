"""Glue between :class:`~tests.support.botapi.FakeBotAPI` and a real PTB Application.

``polling(app)`` runs the Application exactly like production polling does
(initialize -> start -> updater.start_polling) and always shuts it down in the right
order, so a failing test cannot leave a polling task or an HTTP pool behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Bot
from telegram.ext import Application, ApplicationBuilder

from .botapi import FakeBotAPI

__all__ = ["application_builder", "fake_bot", "polling"]


def application_builder(api: FakeBotAPI) -> ApplicationBuilder:  # type: ignore[type-arg]
    """An ``ApplicationBuilder`` already pointed at ``api`` (add handlers, then build)."""
    return (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
    )


def fake_bot(api: FakeBotAPI) -> Bot:
    """A bare ``telegram.Bot`` talking to ``api`` (use ``async with bot:``)."""
    return Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url)


@asynccontextmanager
async def polling(
    app: Application[Any, Any, Any, Any, Any, Any],
    *,
    poll_timeout: float = 10.0,
    drop_pending_updates: bool = False,
    allowed_updates: list[str] | None = None,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Run ``app`` with long polling for the duration of the block.

    ``poll_interval=0`` so updates are fetched back to back; ``poll_timeout`` (the
    getUpdates long-poll timeout) only bounds idle polls: the fake server answers as
    soon as an update is injected, and stopping cancels the poll at once.
    """
    async with app:
        await app.start()
        assert app.updater is not None, "build the Application with an Updater"
        await app.updater.start_polling(
            poll_interval=0,
            timeout=int(poll_timeout),
            drop_pending_updates=drop_pending_updates,
            allowed_updates=allowed_updates,
        )
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
