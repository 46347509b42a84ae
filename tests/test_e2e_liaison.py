"""A liaison's day, end to end over the fake Bot API server, on SQLite and PostgreSQL:
join, /items, the /report conversation with an album and a PDF, /cancel, a restart in
the middle, /history and /evidence, and the boundaries of what a liaison may do.

After each step the tests look at what the bot sent, and at what the database and the
evidence directory hold."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from sqlalchemy import func, select

from storage.models import AuditLog, Binding, ConversationDraft, Evidence, Item, Report, User
from tests.support import updates as u
from tests.support.botapi import SentMessage
from tests.support.duban import DubanRig

FARM = u.TgUser(id=600_001, first_name="农业联络员")
ECO = u.TgUser(id=600_017, first_name="生态联络员")
STRANGER = u.TgUser(id=600_999, first_name="路人")

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def photo_bytes(n: int) -> bytes:
    return PNG + f"photo-{n}".encode()


async def reports_count(rig: DubanRig) -> int:
    async with rig.session() as session:
        return int(await session.scalar(select(func.count(Report.id))) or 0)


def button_for(message: SentMessage, code: str) -> str | None:
    for button in message.buttons:
        if button["text"].split()[0] == code:
            return str(button["callback_data"])
    return None


async def choose_item(
    rig: DubanRig, user: u.TgUser, message: SentMessage, code: str
) -> SentMessage:
    """Page through item buttons (▶) until `code` shows, and press it."""
    for _ in range(5):
        data = button_for(message, code)
        if data is not None:
            return await rig.press(user, message, data)
        forward = [
            d
            for d, b in zip(message.callback_data, message.buttons, strict=True)
            if "▶" in b["text"]
        ]
        assert forward, f"no button for {code}"
        message = await rig.press(user, message, forward[0])
    raise AssertionError(f"no button for {code}")


# ---------------------------------------------------------------- joining


async def test_join_with_fresh_used_and_expired_codes(rig: DubanRig) -> None:
    code = await rig.invite_code("农业")
    reply = await rig.ask(FARM, f"/join {code}")
    assert "区农业农村局" in reply.plain_text and "15" in reply.plain_text  # 7 own + 8 general

    reply = await rig.ask(STRANGER, f"/join {code}")
    assert "已被使用" in reply.plain_text

    old = await rig.invite_code("生态")
    rig.clock.advance(days=8)
    reply = await rig.ask(STRANGER, f"/join {old}")
    assert "已过期" in reply.plain_text

    reply = await rig.ask(STRANGER, "/join NOSUCHCODE1")
    assert "无效" in reply.plain_text

    async with rig.session() as session:
        farm = await session.scalar(select(User).where(User.tg_id == FARM.id))
        stranger = await session.scalar(select(User).where(User.tg_id == STRANGER.id))
        assert farm is not None and farm.role == "liaison" and farm.department_id is not None
        assert stranger is None or stranger.role is None


async def test_failed_joins_are_rate_limited(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    for _ in range(5):
        reply = await rig.ask(STRANGER, "/join WRONGWRONG")
        assert "无效" in reply.plain_text
    good = await rig.invite_code("农业")
    reply = await rig.ask(STRANGER, f"/join {good}")
    assert "15 分钟" in reply.plain_text
    rig.clock.advance(minutes=16)
    reply = await rig.ask(STRANGER, f"/join {good}")
    assert "区农业农村局" in reply.plain_text


# ---------------------------------------------------------------- /items


async def test_items_shows_21_items_in_one_message_own_first(rig: DubanRig) -> None:
    await rig.join(ECO, "生态环境局")
    listing = await rig.ask(ECO, "/items")
    text = listing.plain_text
    assert len(text) < 4096 and "页" not in text
    assert text.startswith("本单位事项：已完成 0/21")
    # The department's own work first, then the general items under their own heading.
    assert text.index("本部门考核内容") < text.index("A17.1 ") < text.index("通用考核内容")
    assert text.index("通用考核内容") < text.index("G1 ")
    assert text.index("A17.13") < text.index("G1 ")
    codes = [b["text"] for b in listing.buttons if b["callback_data"].startswith("item:")]
    assert len(codes) == 21 and codes[0] == "A17.1" and codes[-8:] == [f"G{n}" for n in range(1, 9)]
    assert not any(d.startswith("items:") for d in listing.callback_data)
    # The year 2020 is over and these items have no deadline of their own: due at year end.
    assert "截止 2020-12-31（年度末）" in text


async def test_items_pages_when_they_do_not_fit_one_message(rig: DubanRig) -> None:
    await rig.join(ECO, "生态环境局")
    async with rig.session() as session:
        eco = await session.scalar(
            select(Binding.department_id).where(
                Binding.id.in_(
                    select(Binding.id)
                    .join(Item, Item.id == Binding.item_id)
                    .where(Item.code == "A17.1")
                )
            )
        )
        campaign = await session.scalar(select(Item.campaign_id).where(Item.code == "A17.1"))
        bound = set(
            await session.scalars(select(Binding.item_id).where(Binding.department_id == eco))
        )
        for item_id in await session.scalars(select(Item.id).where(Item.campaign_id == campaign)):
            if item_id not in bound:
                session.add(Binding(campaign_id=campaign, department_id=eco, item_id=item_id))
        await session.commit()
        total = int(
            await session.scalar(select(func.count(Binding.id)).where(Binding.department_id == eco))
            or 0
        )
    assert total > 48
    first = await rig.ask(ECO, "/items")
    pages = -(-total // 8)
    assert f"第 1/{pages} 页" in first.plain_text
    assert len(first.plain_text) < 4096
    assert "items:1" in first.callback_data
    seen: set[str] = set()
    message = first
    for page in range(1, pages + 1):
        seen |= {b["text"] for b in message.buttons if b["callback_data"].startswith("item:")}
        if page < pages:
            message = await rig.press(ECO, message, f"items:{page}")
            assert message.kind == "edit" and f"第 {page + 1}/{pages} 页" in message.plain_text
    assert len(seen) == total
    # The general items come last, under their heading.
    assert "通用考核内容" in message.plain_text and "G8" in message.plain_text


async def test_report_chooser_and_items_lead_with_own_work_outstanding_first(
    rig: DubanRig,
) -> None:
    from tests.office_support import accept, report

    await rig.join(FARM, "农业")
    # A5.1 done and accepted: it moves after the department's outstanding items.
    await accept(rig, await report(rig, "农业", "A5.1", "done", "92", by=FARM))
    chooser = await rig.ask(FARM, "/report")
    codes = [b["text"].split()[0] for b in chooser.buttons]
    own = ["A5.2", "A5.3", "A5.4", "A5.5", "A5.6", "A5.7", "A5.1"]
    assert codes == own + [f"G{n}" for n in range(1, 9)]  # all 15, no paging
    assert not any(d.startswith("rp:p:") for d in chooser.callback_data)
    lines = chooser.plain_text.split("\n")
    assert lines[1] == "本部门考核内容：" + "、".join(own)
    assert lines[2] == "通用考核内容：" + "、".join(f"G{n}" for n in range(1, 9))
    await rig.ask(FARM, "/cancel")

    listing = await rig.ask(FARM, "/items")
    assert listing.plain_text.startswith("本单位事项：已完成 1/15")
    shown = [b["text"] for b in listing.buttons if b["callback_data"].startswith("item:")]
    assert shown == codes


async def test_item_card_shows_target_and_report_button(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    listing = await rig.ask(FARM, "/items")
    card = await choose_item(rig, FARM, listing, "A5.1")
    assert "秸秆综合利用率 ≥ 90%" in card.plain_text
    assert any(d.startswith("rep:") for d in card.callback_data)


# ---------------------------------------------------------------- /report


async def test_full_report_with_value_album_and_pdf(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    ask_item = await rig.ask(FARM, "/report")
    ask_status = await choose_item(rig, FARM, ask_item, "A5.1")
    assert "目前进展状态" in ask_status.plain_text
    ask_value = await rig.press(FARM, ask_status, "rp:s:done")
    assert "秸秆综合利用率 ≥ 90%" in ask_value.plain_text

    reply = await rig.ask(FARM, "about ninety")
    assert "不是数字" in reply.plain_text
    reply = await rig.ask(FARM, "９２％")
    assert "简要说明" in reply.plain_text
    reply = await rig.ask(FARM, "秸秆综合利用已完成，台账已建立")
    assert "/done" in reply.plain_text

    photos = [rig.api.add_file(photo_bytes(i), mime_type="image/jpeg") for i in range(3)]
    for update in u.album(FARM, photos):
        rig.inject(update)
    await rig.api.wait_for(contains="已收到 3 个文件", chat_id=FARM.id, timeout=10)
    pdf_bytes = b"%PDF-1.4 test evidence\n%%EOF"
    pdf = rig.api.add_file(pdf_bytes, mime_type="application/pdf", file_name="台账.pdf")
    rig.inject(u.document_message(FARM, pdf, file_name="台账.pdf", mime_type="application/pdf"))
    await rig.api.wait_for(contains="已收到 4 个文件", chat_id=FARM.id, timeout=10)

    summary = await rig.ask(FARM, "/done")
    assert "已记录" in summary.plain_text
    assert "92%" in summary.plain_text and "达标" in summary.plain_text
    assert "照片 3 张，文件 1 个" in summary.plain_text

    async with rig.session() as session:
        report = await session.scalar(select(Report))
        assert report is not None and report.status == "done" and report.review_state == "pending"
        assert "台账已建立" in report.text
        await session.refresh(report, ["values", "evidence"])
        assert [v.value for v in report.values] == [Decimal(92)]
        assert len(report.evidence) == 4
        binding = await session.get(Binding, report.binding_id)
        assert binding is not None and binding.status == "done" and binding.evidence_count == 4
        assert binding.last_report_id == report.id
        drafts = await session.scalar(select(func.count()).select_from(ConversationDraft))
        assert drafts == 0
        for evidence in report.evidence:
            path = rig.evidence_dir / evidence.stored_path
            assert path.is_file()
            assert hashlib.sha256(path.read_bytes()).hexdigest() == evidence.sha256
            assert path.resolve().is_relative_to(rig.evidence_dir.resolve())
        stored = {e.sha256 for e in report.evidence}
        assert hashlib.sha256(pdf_bytes).hexdigest() in stored

    # It is found again in /history and /evidence.
    history = await rig.ask(FARM, "/history A5.1")
    assert "已完成" in history.plain_text and "秸秆综合利用率: 92" in history.plain_text
    since = rig.api.mark()
    rig.inject(u.command(FARM, "/evidence a5.1"))
    album = await rig.api.wait_for(
        method="sendMediaGroup", chat_id=FARM.id, since=since, timeout=10
    )
    assert len(album.media) == 3
    assert {m["media"] for m in album.media} == {p.file_id for p in photos}
    single = await rig.api.wait_for(method="sendDocument", chat_id=FARM.id, since=since, timeout=10)
    assert "A5.1" in (single.plain_caption or "")


async def test_a_correction_is_a_new_report_and_history_keeps_both(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    for text in ("#A5.1 80% 推进中", "#A5.1 95% 已完成"):
        ref = rig.api.add_file(photo_bytes(len(text)), mime_type="image/jpeg")
        reply = await rig.send_and_wait(u.photo_message(FARM, ref, caption=text), FARM.id)
        assert "已记录" in reply.plain_text
        rig.clock.advance(hours=1)
    history = await rig.ask(FARM, "/history A5.1")
    text = history.plain_text
    assert text.index("95") < text.index("80")  # newest first
    assert "共 2 条" in text


async def test_cancel_drops_everything(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/report A5.1")
    reply = await rig.ask(FARM, "推进中")
    assert "秸秆综合利用率" in reply.plain_text
    reply = await rig.ask(FARM, "/cancel")
    assert "已取消" in reply.plain_text
    assert await reports_count(rig) == 0
    async with rig.session() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationDraft)) == 0
    reply = await rig.ask(FARM, "88")  # no conversation any more: a stray message
    assert "/report" in reply.plain_text


async def test_conversation_survives_a_restart(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/report A5.1")
    await rig.ask(FARM, "推进中")
    await rig.restart()
    reply = await rig.ask(FARM, "88%")
    assert "简要说明" in reply.plain_text
    await rig.ask(FARM, "/skip")
    summary = await rig.ask(FARM, "/done")
    assert "已记录" in summary.plain_text and "未达标" in summary.plain_text
    async with rig.session() as session:
        report = await session.scalar(select(Report))
        assert report is not None and report.status == "in_progress"


async def test_silence_ends_the_conversation(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/report A5.1")
    rig.clock.advance(minutes=31)
    reply = await rig.ask(FARM, "推进中")
    assert "30 分钟内没有收到回复" in reply.plain_text
    assert await reports_count(rig) == 0


async def test_bad_evidence_is_refused_and_nothing_half_saved(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/report A5.2")
    await rig.ask(FARM, "推进中")
    await rig.ask(FARM, "正在推进")
    big = rig.api.add_file(b"x" * 100, mime_type="application/pdf", declared_size=25 * 1024 * 1024)
    reply = await rig.send_and_wait(
        u.document_message(FARM, big, file_name="big.pdf", mime_type="application/pdf"), FARM.id
    )
    assert "20 MB" in reply.plain_text
    exe = rig.api.add_file(b"MZ\x90\x00", mime_type="application/x-msdownload", file_name="a.exe")
    reply = await rig.send_and_wait(
        u.document_message(FARM, exe, file_name="a.exe", mime_type="application/x-msdownload"),
        FARM.id,
    )
    assert "不能作为佐证材料" in reply.plain_text
    for update in (u.sticker_message(FARM), u.voice_message(FARM), u.video_note_message(FARM)):
        reply = await rig.send_and_wait(update, FARM.id)
        assert "不能作为佐证材料" in reply.plain_text
    summary = await rig.ask(FARM, "/done")
    assert "照片 0 张，文件 0 个" in summary.plain_text
    async with rig.session() as session:
        assert await session.scalar(select(func.count(Evidence.id))) == 0
    assert not list((rig.evidence_dir).glob("*/*/*/*"))


# ---------------------------------------------------------------- quick reports


async def test_quick_report_by_single_photo(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    ref = rig.api.add_file(photo_bytes(1), mime_type="image/jpeg")
    reply = await rig.send_and_wait(
        u.photo_message(FARM, ref, caption="#A5.1 92% 秸秆综合利用已完成"), FARM.id
    )
    assert "已记录" in reply.plain_text and "92%" in reply.plain_text
    async with rig.session() as session:
        report = await session.scalar(select(Report))
        assert report is not None and report.status == "done" and report.source == "quick"
        await session.refresh(report, ["values", "evidence"])
        assert report.values[0].value == Decimal(92) and len(report.evidence) == 1


async def test_quick_report_by_album_is_one_report(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    refs = [rig.api.add_file(photo_bytes(10 + i), mime_type="image/jpeg") for i in range(3)]
    since = rig.api.mark()
    for update in u.album(FARM, refs, caption="#A5.3 推进中 畜禽粪污资源化利用"):
        rig.inject(update)
    reply = await rig.api.wait_for(chat_id=FARM.id, since=since, timeout=15)
    assert "已记录" in reply.plain_text and "照片 3 张" in reply.plain_text
    await rig.api.assert_quiet(FARM.id, seconds=0.5)
    async with rig.session() as session:
        reports = (await session.scalars(select(Report))).all()
        assert len(reports) == 1
        assert await session.scalar(select(func.count(Evidence.id))) == 3


async def test_quick_report_by_document(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    ref = rig.api.add_file(
        b"PK\x03\x04 fake xlsx",
        mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name="台账.xlsx",
    )
    reply = await rig.send_and_wait(
        u.document_message(
            FARM,
            ref,
            file_name="台账.xlsx",
            mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            caption="#G2 台账已更新",
        ),
        FARM.id,
    )
    assert "已记录" in reply.plain_text and "文件 1 个" in reply.plain_text


async def test_quick_report_refusals_record_nothing(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    ref = rig.api.add_file(photo_bytes(2), mime_type="image/jpeg")
    for caption, expected in (
        ("#A17.1 已完成", "不属于本单位"),
        ("#A99.9 已完成", "没有编号为 A99.9"),
        ("just a photo", "#编号"),
    ):
        reply = await rig.send_and_wait(u.photo_message(FARM, ref, caption=caption), FARM.id)
        assert expected in reply.plain_text, caption
    assert await reports_count(rig) == 0


# ---------------------------------------------------------------- boundaries


async def test_liaison_sees_only_their_own_department(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.join(ECO, "生态")
    ref = rig.api.add_file(photo_bytes(3), mime_type="image/jpeg")
    await rig.send_and_wait(u.photo_message(FARM, ref, caption="#A5.1 90% 已完成"), FARM.id)

    for command in ("/history A5.1", "/evidence A5.1", "/report A5.1"):
        reply = await rig.ask(ECO, command)
        assert "不属于本单位" in reply.plain_text or "不是本单位" in reply.plain_text, command
    # A general item: ECO's own G1 has no reports, FARM's stays invisible.
    reply = await rig.ask(ECO, "/history G1")
    assert "尚无汇报记录" in reply.plain_text

    # A forged button press for FARM's binding, on a message the bot sent ECO.
    async with rig.session() as session:
        farm_binding = await session.scalar(
            select(Binding.id).join(Item, Item.id == Binding.item_id).where(Item.code == "A5.1")
        )
    listing = await rig.ask(ECO, "/items")
    for data in (f"item:{farm_binding}", f"hist:{farm_binding}:0", f"ev:{farm_binding}"):
        since = rig.api.mark()
        rig.inject(u.callback_query(ECO, data, listing))
        answer = await rig.api.wait_call("answerCallbackQuery", since=since, timeout=10)
        assert "无权" in str(answer.params.get("text", "")), data
    await rig.api.assert_quiet(ECO.id, seconds=0.3)


async def test_stranger_learns_nothing(rig: DubanRig) -> None:
    for command in ("/items", "/report A5.1", "/history A5.1", "/evidence A5.1", "/invite 农业"):
        reply = await rig.ask(STRANGER, command)
        assert "无权" in reply.plain_text
        assert "区农业农村局" not in reply.plain_text and "秸秆" not in reply.plain_text
    ref = rig.api.add_file(photo_bytes(4), mime_type="image/jpeg")
    reply = await rig.send_and_wait(
        u.photo_message(STRANGER, ref, caption="#A5.1 已完成"), STRANGER.id
    )
    assert "/join" in reply.plain_text
    assert await reports_count(rig) == 0


async def test_edited_message_changes_nothing(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    original = u.text_message(FARM, "推进中")
    rig.inject(original)
    await rig.api.wait_for(chat_id=FARM.id, timeout=10)
    reply = await rig.send_and_wait(u.edited_message(FARM, original, "已完成"), FARM.id)
    assert "编辑过的消息不会修改" in reply.plain_text
    assert await reports_count(rig) == 0


async def test_invite_from_the_admin_and_join(rig: DubanRig) -> None:
    from tests.support.duban import ADMIN

    reply = await rig.ask(ADMIN, "/invite 城")
    assert len(reply.buttons) == 3  # 住房城乡建设局, 城管执法局, 城市管理综合执法大队
    chosen = await rig.press(ADMIN, reply, next(d for d in reply.callback_data))
    line = next(line for line in chosen.plain_text.splitlines() if line.startswith("/join "))
    joined = await rig.ask(FARM, line)
    assert "联络员" in joined.plain_text
    async with rig.session() as session:
        actions = (await session.scalars(select(AuditLog.action))).all()
        assert "invite" in actions and "join" in actions
    expired_at = dt.datetime.now(dt.UTC)
    assert expired_at  # invites expire: covered in the join test


async def test_silence_times_out_with_a_message(
    sqlite_url: str,
    tmp_path,
    fake_api,  # type: ignore[no-untyped-def]
) -> None:
    """The live timeout: PTB's conversation_timeout fires and the liaison is told."""
    rig = DubanRig(
        fake_api,
        sqlite_url,
        tmp_path / "evidence",
        overrides={"conversation_timeout_minutes": 0.03},
    )
    await rig.import_bundled()
    await rig.start()
    try:
        await rig.join(FARM, "农业")
        since = rig.api.mark()
        await rig.ask(FARM, "/report A5.1")
        # The reply says the configured minutes (CONVERSATION_TIMEOUT_MINUTES), not 30.
        told = await rig.api.wait_for(
            contains="0.03 分钟", chat_id=FARM.id, since=since, timeout=15
        )
        assert "未保存" in told.plain_text
        async with rig.session() as session:
            assert await session.scalar(select(func.count()).select_from(ConversationDraft)) == 0
    finally:
        await rig.close()
