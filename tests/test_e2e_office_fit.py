"""How Duban fits Chinese offices: deadlines on holidays say so, evidence is required only
where the office says, and the same file submitted again is accepted but flagged."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from storage.models import Evidence, Item
from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig

FARM = u.TgUser(id=670_001, first_name="农业联络员")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452")


async def test_a_deadline_on_a_holiday_says_so(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    async with rig.session() as session:
        await session.execute(
            update(Item).where(Item.code == "A5.1").values(deadline=dt.date(2020, 10, 1))
        )
        await session.commit()
    reply = await rig.ask(ADMIN, "/item A5.1")
    assert "2020-10-01（法定节假日：国庆节）" in reply.plain_text


async def test_evidence_is_required_only_where_the_office_says(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/report A5.2")
    await rig.ask(FARM, "推进中")
    prompt = await rig.ask(FARM, "/skip")
    assert "非必需" in prompt.plain_text  # asked, not required
    await rig.ask(FARM, "/cancel")

    reply = await rig.ask(ADMIN, "/needevidence A5.2 on")
    assert "须附" in reply.plain_text
    await rig.ask(FARM, "/report A5.2")
    await rig.ask(FARM, "推进中")
    prompt = await rig.ask(FARM, "/skip")
    assert "需要佐证材料" in prompt.plain_text
    refused = await rig.ask(FARM, "/done")
    assert "至少发送一张照片" in refused.plain_text
    ref = rig.api.add_file(PNG + b"need", mime_type="image/jpeg")
    await rig.send_and_wait(u.photo_message(FARM, ref), FARM.id)
    done = await rig.ask(FARM, "/done")
    assert "已记录" in done.plain_text
    reply = await rig.ask(ADMIN, "/needevidence A99.1 on")
    assert "没有编号" in reply.plain_text


async def test_the_same_photo_on_two_items_is_flagged_with_the_earlier_report(
    rig: DubanRig,
) -> None:
    await rig.join(FARM, "农业")
    ref = rig.api.add_file(PNG + b"same", mime_type="image/jpeg")
    first = await rig.send_and_wait(u.photo_message(FARM, ref, caption="#A5.1 推进中"), FARM.id)
    assert "已记录" in first.plain_text and "提示" not in first.plain_text
    second = await rig.send_and_wait(u.photo_message(FARM, ref, caption="#A5.2 推进中"), FARM.id)
    assert "已记录" in second.plain_text
    async with rig.session() as session:
        rows = (await session.scalars(select(Evidence).order_by(Evidence.id))).all()
    assert len(rows) == 2 and rows[1].reused_from_report_id == rows[0].report_id
    assert f"第 {rows[0].report_id} 号汇报（A5.1）" in second.plain_text
    # Stored once on disk, in each item's folder by content.
    assert rows[0].sha256 == rows[1].sha256


async def test_status_shows_red_and_yellow_counts(rig: DubanRig) -> None:
    async with rig.session() as session:
        await session.execute(
            update(Item).where(Item.code == "A5.1").values(deadline=dt.date(2020, 5, 31))
        )
        await session.execute(
            update(Item).where(Item.code == "A5.2").values(deadline=dt.date(2020, 6, 5))
        )
        await session.commit()
    rig.clock.set(dt.datetime(2020, 6, 2, 2, 0, tzinfo=dt.UTC))
    reply = await rig.ask(ADMIN, "/status")
    section = reply.plain_text[reply.plain_text.index("区农业农村局") :].split("\n\n")[0]
    # A5.1 past its deadline; A5.2 due within 7 days, and G1 ("不少于2次", nothing
    # reported by June) behind its pace line (issue 22).
    assert "🔴1 🟡2" in section
    # The legend says what they mean, behind pace (G1's reason) too.
    assert (
        "🔴 已过完成时限 · 🟡 7 天内到期、14 天未汇报或进度滞后（落后序时进度超过目标的 10%） "
        "· 🟢 正常推进"
    ) in reply.plain_text.splitlines()
    other = reply.plain_text[reply.plain_text.index("区发展改革局") :].split("\n\n")[0]
    # Nothing red there (G1, bound to every department, is behind pace: yellow).
    assert "🔴0 🟡1" in other
