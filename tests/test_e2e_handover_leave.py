"""Handover of a liaison role (also in the middle of a /report) and a liaison's leave."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from storage.models import ConversationDraft, Leave, Report, User
from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig

FARM = u.TgUser(id=650_001, first_name="老农业联络员")
NEW = u.TgUser(id=650_002, first_name="新农业联络员")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452")


async def test_admin_handover_mid_conversation_keeps_history(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    ref = rig.api.add_file(PNG, mime_type="image/jpeg")
    await rig.send_and_wait(u.photo_message(FARM, ref, caption="#A5.1 推进中"), FARM.id)
    await rig.ask(FARM, "/report A5.2")  # a conversation left open

    since = rig.api.mark()
    reply = await rig.ask(ADMIN, f"/handover {FARM.id} {NEW.id}")
    assert "已更换联络员" in reply.plain_text and "区农业农村局" in reply.plain_text
    told_old = await rig.api.wait_for(chat_id=FARM.id, since=since, timeout=10)
    assert "已交接" in told_old.plain_text
    told_new = await rig.api.wait_for(chat_id=NEW.id, since=since, timeout=10)
    assert "区农业农村局" in told_new.plain_text

    async with rig.session() as session:
        old = await session.scalar(select(User).where(User.tg_id == FARM.id))
        new = await session.scalar(select(User).where(User.tg_id == NEW.id))
        assert old is not None and old.role is None and old.department_id is None
        assert new is not None and new.role == "liaison" and new.department_id is not None
        assert await session.scalar(select(func.count()).select_from(ConversationDraft)) == 0
        report = await session.scalar(select(Report))
        assert report is not None and report.reporter_id == old.id  # history stays attributed

    # The old liaison's open conversation is gone; they now have no access.
    reply = await rig.ask(FARM, "推进中")
    assert "无权" in reply.plain_text
    reply = await rig.ask(FARM, "/items")
    assert "无权" in reply.plain_text
    listing = await rig.ask(NEW, "/items")
    assert "本单位事项" in listing.plain_text
    history = await rig.ask(NEW, "/history A5.1")
    assert "推进中" in history.plain_text


async def test_liaison_asks_and_the_office_confirms(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    since = rig.api.mark()
    reply = await rig.ask(FARM, f"/handover {NEW.id}")
    assert "提交办公室确认" in reply.plain_text
    request = await rig.api.wait_for(chat_id=ADMIN.id, since=since, timeout=10)
    assert f"ho:y:{FARM.id}" in request.callback_data
    done = await rig.press(ADMIN, request, f"ho:y:{FARM.id}")
    assert "已更换联络员" in done.plain_text
    reply = await rig.ask(NEW, "/items")
    assert "本单位事项" in reply.plain_text


async def test_handover_refusals_change_nothing(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    for text, expected in (
        (f"/handover {NEW.id} {FARM.id}", "不是单位联络员"),
        (f"/handover {FARM.id} {FARM.id}", "同一个人"),
        (f"/handover {FARM.id} {ADMIN.id}", "不能担任联络员"),
        ("/handover", "用法"),
    ):
        reply = await rig.ask(ADMIN, text)
        assert expected in reply.plain_text, text
    async with rig.session() as session:
        farm = await session.scalar(select(User).where(User.tg_id == FARM.id))
        assert farm is not None and farm.role == "liaison"


async def test_leave_is_recorded_listed_and_cancelled(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    today = rig.clock().astimezone(rig.settings.tz).date()
    start, end = today + dt.timedelta(days=1), today + dt.timedelta(days=5)
    reply = await rig.ask(FARM, f"/leave {start} {end}")
    assert "已登记请假" in reply.plain_text
    for bad, expected in (
        (f"/leave {end} {start}", "早于"),
        ("/leave 2020-02-30 2020-03-01", "格式"),
        ("/leave soon", "用法"),
        (f"/leave {today - dt.timedelta(days=9)} {today - dt.timedelta(days=8)}", "已结束"),
    ):
        reply = await rig.ask(FARM, bad)
        assert expected in reply.plain_text, bad
    listing = await rig.ask(FARM, "/leave")
    assert str(start) in listing.plain_text
    async with rig.session() as session:
        assert await session.scalar(select(func.count(Leave.id))) == 1
    reply = await rig.ask(FARM, "/leave cancel")
    assert "已取消请假" in reply.plain_text
    async with rig.session() as session:
        assert await session.scalar(select(func.count(Leave.id))) == 0
