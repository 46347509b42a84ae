"""Pytest fixtures around :class:`~tests.support.botapi.FakeBotAPI`.

Import them into a conftest (``from tests.support.fixtures import fake_api, fake_bot_client``)
or list the module in ``pytest_plugins``.  They use ``pytest_asyncio.fixture`` so they
work with ``asyncio_mode`` "strict" as well as "auto".
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from telegram import Bot

from .botapi import FakeBotAPI
from .harness import fake_bot

__all__ = ["fake_api", "fake_bot_client"]


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    """A fresh server per test (starting one takes milliseconds)."""
    async with FakeBotAPI() as api:
        yield api


@pytest_asyncio.fixture
async def fake_bot_client(fake_api: FakeBotAPI) -> AsyncIterator[Bot]:
    """An initialized ``telegram.Bot`` pointed at ``fake_api``."""
    async with fake_bot(fake_api) as bot:
        yield bot
