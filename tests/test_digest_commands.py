"""/setgroup and /digest end to end: who may set the office group, the audit row, and
/digest counting as the day's digest only once (a copy for the admin afterwards)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.digest.data import OFFICE_CHAT_KEY
from handlers.digest.delivery import Outcome, deliver_due_digest
from storage import repositories as repo
from storage.models import AuditLog
from tests.digest_support import (
    GROUP,
    group_sends,
    services,
    set_group,
    some_reports,
    start_office_rig,
    utc,
    wait_digest,
)
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, DubanRig

STRANGER = u.TgUser(id=610_999, first_name="路人")


@pytest.fixture
async def office(sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    rig = await start_office_rig(fake_api, sqlite_url, tmp_path)
    try:
        yield rig
    finally:
        await rig.close()


# ---------------------------------------------------------------- /setgroup


async def test_setgroup_makes_this_group_the_office_group(office: DubanRig) -> None:
    rig = office
    reply = await rig.ask(ADMIN, "/setgroup")
    assert reply.plain_text == "This command works only in a group."
    reply = await rig.ask(STRANGER, "/setgroup", chat=GROUP)
    assert "not available to you" in (reply.plain_text or "")
    async with rig.session() as session:
        assert await repo.get_setting(session, OFFICE_CHAT_KEY) is None

    reply = await set_group(rig)
    assert reply.plain_text == (
        "This group is now the office group: the digest comes here every day at 09:00 "
        "(Asia/Shanghai)."
    )
    reply = await set_group(rig)
    assert reply.plain_text == "This group is already the office group."
    async with rig.session() as session:
        assert await repo.get_setting(session, OFFICE_CHAT_KEY) == str(GROUP.id)
        audits = list(await session.scalars(select(AuditLog).where(AuditLog.action == "setgroup")))
    assert len(audits) == 1
    assert audits[0].actor_tg_id == ADMIN.id and audits[0].detail["chat_id"] == GROUP.id


# ---------------------------------------------------------------- /digest


async def test_digest_command_sends_once_and_then_shows_a_copy(office: DubanRig) -> None:
    rig = office
    reply = await rig.ask(ADMIN, "/digest")
    assert reply.plain_text == (
        "There is no office group yet: send /setgroup in the office's group first."
    )
    await set_group(rig)
    await some_reports(rig)

    since = rig.api.mark()
    reply = await rig.ask(ADMIN, "/digest", timeout=20)  # 08:30, before the scheduled time
    assert reply.plain_text == "Today's digest was sent to the office group."
    await wait_digest(rig, since)

    since = rig.api.mark()
    reply = await rig.ask(ADMIN, "/digest", timeout=20)
    assert reply.plain_text == (
        "Today's digest was already sent to the office group at 2020-06-02 08:30; "
        "here it is again, for you only."
    )
    await rig.api.wait_for(chat_id=ADMIN.id, method="sendPhoto", since=since, timeout=20)
    copy = await rig.api.wait_for(chat_id=ADMIN.id, method="sendMessage", since=since)
    assert (copy.plain_text or "").startswith("📋 Daily digest 2020-06-02")
    reply = await rig.ask(ADMIN, "/digest", chat=GROUP)
    assert reply.plain_text == "Today's digest was already sent at 2020-06-02 08:30."
    await rig.api.assert_quiet(GROUP.id, seconds=0.3)

    rig.clock.set(utc(2, 1, 0))  # 09:00: /digest was today's digest
    assert await deliver_due_digest(rig.app.bot, services(rig)) is Outcome.ALREADY  # type: ignore[union-attr]
    assert len([m for m in group_sends(rig) if m.method == "sendPhoto"]) == 1
