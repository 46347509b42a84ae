"""/dashboard and the menu button over the real bot (issue 12).

Private chat: a web-app button with WEBAPP_URL, and the chat's menu button set to the
Mini App. Group: a t.me link when WEBAPP_SHORT_NAME is set, otherwise a note to open it
in a private chat (Telegram allows web-app buttons in private chats only). Strangers are
refused by the permission table; leaders get the menu button when they join, and lose
it when revoked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.text.i18n import translator
from tests.dashboard_support import WEBAPP_URL, dashboard_rig
from tests.office_support import FARM, STRANGER
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, LEADER, DubanRig

_ = translator("zh")


@pytest.fixture
async def rig(sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    async for duban in dashboard_rig(fake_api, sqlite_url, tmp_path):
        yield duban


@pytest.fixture
async def named_rig(
    sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI
) -> AsyncIterator[DubanRig]:
    async for duban in dashboard_rig(fake_api, sqlite_url, tmp_path, webapp_short_name="board"):
        yield duban


def web_app_url(message: object) -> str | None:
    markup = getattr(message, "reply_markup", None) or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if "web_app" in button:
                return str(button["web_app"]["url"])
    return None


def link_url(message: object) -> str | None:
    markup = getattr(message, "reply_markup", None) or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if "url" in button:
                return str(button["url"])
    return None


async def test_dashboard_in_private_gives_the_mini_app_and_sets_the_menu_button(
    rig: DubanRig,
) -> None:
    assert rig.api.menu_button(ADMIN.id)["type"] == "web_app"  # admins get it at start
    await rig.join(LEADER, None)
    # Updates are handled one at a time: once /dashboard is answered, /join is finished.
    reply = await rig.ask(LEADER, "/dashboard")
    button = rig.api.menu_button(LEADER.id)
    assert button == {"type": "web_app", "text": "督办看板", "web_app": {"url": WEBAPP_URL}}
    assert reply.plain_text == _(
        "The dashboard: overview, departments, items, overdue and evidence."
    )
    assert web_app_url(reply) == WEBAPP_URL

    await rig.join(FARM, "农业")
    assert web_app_url(await rig.ask(FARM, "/dashboard")) == WEBAPP_URL
    assert rig.api.menu_button(FARM.id)["type"] == "web_app"

    await rig.ask(ADMIN, f"/revoke {LEADER.id}")
    refused = await rig.ask(LEADER, "/dashboard")
    assert rig.api.menu_button(LEADER.id)["type"] == "default"
    assert web_app_url(refused) is None
    assert refused.plain_text == _(
        "This command is not available to you. /help shows what you can do."
    )


async def test_a_stranger_gets_no_dashboard(rig: DubanRig) -> None:
    reply = await rig.ask(STRANGER, "/dashboard")
    assert web_app_url(reply) is None and link_url(reply) is None
    assert rig.api.menu_button(STRANGER.id)["type"] == "commands"  # never touched


async def test_in_a_group_without_a_short_name_it_says_to_open_it_privately(
    rig: DubanRig,
) -> None:
    group = u.group_chat(id=-1003000000001, title="区环委办")
    reply = await rig.ask(ADMIN, "/dashboard", chat=group)
    assert reply.plain_text == _(
        "The dashboard opens in a private chat with me: send /dashboard there."
    )
    assert web_app_url(reply) is None


async def test_in_a_group_with_a_short_name_it_links_to_the_mini_app(named_rig: DubanRig) -> None:
    rig = named_rig
    group = u.group_chat(id=-1003000000002, title="区环委办")
    reply = await rig.ask(ADMIN, "/dashboard", chat=group)
    assert reply.plain_text == _("The dashboard opens in Telegram:")
    assert web_app_url(reply) is None
    assert link_url(reply) == f"https://t.me/{rig.app.bot.username}/board"  # type: ignore[union-attr]


async def test_without_webapp_url_there_is_no_dashboard(sqlite_rig: DubanRig) -> None:
    reply = await sqlite_rig.ask(ADMIN, "/dashboard")
    assert reply.plain_text == _("The dashboard is not set up on this bot (WEBAPP_URL).")
    assert sqlite_rig.api.menu_button(ADMIN.id)["type"] == "commands"
