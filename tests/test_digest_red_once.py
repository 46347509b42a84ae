"""An item turning red (past its deadline, not done) is named once, in the next digest;
later digests only count it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select, update

from handlers.digest.delivery import Outcome, deliver_due_digest
from storage.models import Binding, Item
from tests.digest_support import GROUP, services, set_group, start_office_rig, utc
from tests.support.botapi import FakeBotAPI


async def test_red_item_is_reported_once(
    fake_api: FakeBotAPI, sqlite_url: str, tmp_path: Path
) -> None:
    rig = await start_office_rig(fake_api, sqlite_url, tmp_path)
    try:
        async with rig.session() as session:
            await session.execute(
                update(Item).where(Item.code == "A5.1").values(deadline=dt.date(2020, 5, 31))
            )
            await session.commit()
        await set_group(rig)
        assert rig.app is not None

        rig.clock.set(utc(2, 1, 0))
        since = rig.api.mark()
        assert await deliver_due_digest(rig.app.bot, services(rig)) is Outcome.SENT
        first = "\n".join(m.plain_text or "" for m in rig.api.sent[since:] if m.chat_id == GROUP.id)
        assert "Newly past deadline: 1" in first and "A5.1 (deadline 2020-05-31)" in first

        rig.clock.set(utc(3, 1, 0))
        since = rig.api.mark()
        assert await deliver_due_digest(rig.app.bot, services(rig)) is Outcome.SENT
        second = "\n".join(
            m.plain_text or "" for m in rig.api.sent[since:] if m.chat_id == GROUP.id
        )
        assert "A5.1" not in second and "Newly" not in second
        assert "past deadline" in second  # still counted

        async with rig.session() as session:
            told = await session.scalar(
                select(Binding.red_reported_at)
                .join(Item, Item.id == Binding.item_id)
                .where(Item.code == "A5.1")
            )
            assert told == utc(2, 1, 0)
    finally:
        await rig.close()


async def test_a_department_whose_liaison_is_on_leave_is_named_for_follow_up(
    fake_api: FakeBotAPI, sqlite_url: str, tmp_path: Path
) -> None:
    from storage.models import Leave
    from tests.digest_support import FARM, some_reports

    rig = await start_office_rig(fake_api, sqlite_url, tmp_path)
    try:
        await some_reports(rig)  # FARM joins 区农业农村局 and reports
        async with rig.session() as session:
            session.add(
                Leave(
                    user_tg_id=FARM.id, start_date=dt.date(2020, 6, 1), end_date=dt.date(2020, 6, 5)
                )
            )
            await session.commit()
        await set_group(rig)
        assert rig.app is not None
        rig.clock.set(utc(2, 1, 0))
        since = rig.api.mark()
        assert await deliver_due_digest(rig.app.bot, services(rig)) is Outcome.SENT
        text = "\n".join(m.plain_text or "" for m in rig.api.sent[since:] if m.chat_id == GROUP.id)
        assert (
            "Liaison on leave today; the deputy or the office follows up:\n• 区农业农村局" in text
        )
    finally:
        await rig.close()


async def test_a_refused_chart_does_not_block_the_digest_text(
    fake_api: FakeBotAPI, sqlite_url: str, tmp_path: Path
) -> None:
    from tests.digest_support import some_reports

    rig = await start_office_rig(fake_api, sqlite_url, tmp_path)
    try:
        await some_reports(rig)
        await set_group(rig)
        assert rig.app is not None
        rig.clock.set(utc(2, 1, 0))
        rig.api.fail_next(
            "sendPhoto", status=400, description="Bad Request: PHOTO_INVALID_DIMENSIONS"
        )
        since = rig.api.mark()
        assert await deliver_due_digest(rig.app.bot, services(rig)) is Outcome.SENT
        texts = [m.plain_text or "" for m in rig.api.sent[since:] if m.chat_id == GROUP.id]
        assert any("Daily digest" in t for t in texts)
        assert any("Overall completion" in t for t in texts)
    finally:
        await rig.close()
