"""/start, /help, /lang and the catch-alls, end to end over the fake Bot API server."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import User
from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig

STRANGER = u.TgUser(id=500_001, first_name="路人")


async def test_start_for_a_stranger_says_only_how_to_join(rig: DubanRig) -> None:
    reply = await rig.ask(STRANGER, "/start")
    assert "督办" in reply.plain_text
    assert "/join" in reply.plain_text
    assert "/status" not in reply.plain_text and "区农业农村局" not in reply.plain_text


async def test_help_lists_the_admins_commands(rig: DubanRig) -> None:
    reply = await rig.ask(ADMIN, "/help")
    for command in ("/invite", "/status", "/export", "/lang"):
        assert command in reply.plain_text
    assert "/report" not in reply.plain_text


async def test_lang_switches_and_persists(rig: DubanRig) -> None:
    reply = await rig.ask(STRANGER, "/lang en")
    assert reply.plain_text == "Language set to English."
    reply = await rig.ask(STRANGER, "/start")
    assert "Welcome to Duban" in reply.plain_text
    await rig.restart()
    reply = await rig.ask(STRANGER, "/help")
    assert "Commands you can use" in reply.plain_text
    async with rig.session() as session:
        user = await session.scalar(select(User).where(User.tg_id == STRANGER.id))
        assert user is not None and user.locale == "en" and user.role is None
    reply = await rig.ask(STRANGER, "/lang fr")
    assert "/lang zh" in reply.plain_text


async def test_unknown_command_and_stray_text(rig: DubanRig) -> None:
    reply = await rig.ask(STRANGER, "/frobnicate")
    assert "/help" in reply.plain_text
    reply = await rig.ask(STRANGER, "你好")
    assert "/join" in reply.plain_text


async def test_stranger_is_refused_staff_commands(rig: DubanRig) -> None:
    for command in ("/status", "/items", "/report", "/invite 农业", "/history A5.1"):
        reply = await rig.ask(STRANGER, command)
        assert "无权" in reply.plain_text, command
        assert "A5.1" not in reply.plain_text and "区农业" not in reply.plain_text


async def test_command_menus_are_set_per_language(rig: DubanRig) -> None:
    calls = rig.api.calls_to("setMyCommands")
    languages = {c.params.get("language_code") for c in calls}
    assert {None, "en"} <= languages
