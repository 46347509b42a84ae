"""/review end to end on SQLite and PostgreSQL: accept, return with a comment (also across
a restart), /cancel, evidence with reuse flagged, liaisons told in their own language,
and /status counting an item done only once accepted."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Binding, Report, Review
from tests.office_support import FARM, FARM_EN, speak_english
from tests.support import updates as u
from tests.support.botapi import SentMessage
from tests.support.duban import ADMIN, DubanRig

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


async def quick_report(rig: DubanRig, caption: str, content: bytes) -> None:
    ref = rig.api.add_file(content, mime_type="image/jpeg")
    reply = await rig.send_and_wait(u.photo_message(FARM, ref, caption=caption), FARM.id)
    assert "已记录" in reply.plain_text


async def setup_two_done_reports(rig: DubanRig) -> None:
    """FARM (Chinese) and FARM_EN (English) are 农业's liaisons; two done reports, the
    second reusing the first's photo."""
    await rig.join(FARM, "农业")
    await rig.join(FARM_EN, "农业")
    await speak_english(rig, ADMIN, FARM_EN)
    await quick_report(rig, "#A5.1 88% 秸秆综合利用已完成", PNG + b"one")
    await quick_report(rig, "#G1 3 已完成", PNG + b"one")


async def review_messages(rig: DubanRig) -> tuple[SentMessage, list[SentMessage]]:
    head = await rig.ask(ADMIN, "/review")
    count = int(head.plain_text.split()[0])
    wanted = "1 report awaits review." if count == 1 else "reports await review, oldest first"
    assert wanted in head.plain_text
    return head, await rig.api.wait_messages(ADMIN.id, count, timeout=10)


async def report_ids(rig: DubanRig) -> list[int]:
    async with rig.session() as session:
        return list((await session.scalars(select(Report.id).order_by(Report.id))).all())


async def test_accept_tells_liaisons_and_counts_done(rig: DubanRig) -> None:
    await setup_two_done_reports(rig)
    first_id, second_id = await report_ids(rig)
    head, (first, second) = await review_messages(rig)
    assert head.plain_text.startswith("2 reports")
    # Oldest first; everything the reviewer needs in the message.
    text = first.plain_text
    assert "Awaiting review: 区农业农村局" in text and "A5.1" in text
    assert "秸秆综合利用率: 88% (target ≥ 90%) ✗ misses the target" in text
    assert "秸秆综合利用已完成”" in text and "农业联络员" in text
    assert text.endswith("📎 1 evidence file") and "already submitted" not in text
    assert first.callback_data == [f"rv:a:{first_id}", f"rv:r:{first_id}", f"rv:e:{first_id}"]
    assert "G1" in second.plain_text and "3次 (target ≥ 2次) ✓" in second.plain_text
    assert "1 of them already submitted with an earlier report" in second.plain_text

    status = await rig.ask(ADMIN, "/status")
    assert "✅ done 0 · 🕓 awaiting review 2" in status.plain_text

    since = rig.api.mark()
    done = await rig.press(ADMIN, first, f"rv:a:{first_id}")
    assert done.plain_text == "Accepted: A5.1 of 区农业农村局. Liaisons told: 2 of 2."
    told_zh = await rig.api.wait_for(chat_id=FARM.id, since=since)
    told_en = await rig.api.wait_for(chat_id=FARM_EN.id, since=since)
    assert "A5.1" in told_zh.plain_text and "已通过" in told_zh.plain_text
    assert "A5.1" in told_en.plain_text and "accepted" in told_en.plain_text
    # The decision buttons are taken off the review message.
    edit = await rig.api.wait_for(lambda m: m.kind == "edit", chat_id=ADMIN.id, since=since)
    assert edit.reply_markup in (None, {}, {"inline_keyboard": []})

    async with rig.session() as session:
        report = await session.get(Report, first_id)
        assert report is not None and report.review_state == "accepted"
        binding = await session.get(Binding, report.binding_id)
        assert binding is not None and binding.review_state == "accepted"
        reviews = (await session.scalars(select(Review))).all()
        assert [(r.report_id, r.decision) for r in reviews] == [(first_id, "accepted")]
    status = await rig.ask(ADMIN, "/status")
    assert "✅ done 1 · 🕓 awaiting review 1" in status.plain_text
    assert "1. 区农业农村局" not in status.plain_text  # no longer among the worst

    # Pressing again, or deciding it otherwise: already reviewed, nothing changes.
    again = await rig.press(ADMIN, first, f"rv:a:{first_id}")
    assert "already been reviewed" in again.plain_text
    await rig.api.assert_quiet(FARM.id, seconds=0.3)
    async with rig.session() as session:
        assert await session.scalar(select(func.count(Review.id))) == 1

    # The evidence of the second report, its reuse flagged.
    files = await rig.press(ADMIN, second, f"rv:e:{second_id}")
    assert files.method == "sendPhoto"
    assert f"already submitted with report #{first_id}" in files.plain_caption

    # Only the pending one is left.
    head, (left,) = await review_messages(rig)
    assert head.plain_text == "1 report awaits review." and "G1" in left.plain_text


async def test_return_asks_for_a_comment_survives_restart_and_can_be_cancelled(
    rig: DubanRig,
) -> None:
    await setup_two_done_reports(rig)
    first_id, second_id = await report_ids(rig)
    _head, (first, _second) = await review_messages(rig)

    # /cancel: nothing changes, and nothing else answers the /cancel.
    prompt = await rig.press(ADMIN, first, f"rv:r:{first_id}")
    assert "Send your comment" in prompt.plain_text and "A5.1" in prompt.plain_text
    cancelled = await rig.ask(ADMIN, "/cancel")
    assert cancelled.plain_text == "The report was not returned; it still awaits review."
    await rig.api.assert_quiet(ADMIN.id, seconds=0.3)

    # Return, with a restart between the button and the comment.
    prompt = await rig.press(ADMIN, first, f"rv:r:{first_id}")
    await rig.restart()
    since = rig.api.mark()
    done = await rig.ask(ADMIN, "照片看不清，请补充秸秆利用台账")
    assert done.plain_text == (
        "Returned with your comment: A5.1 of 区农业农村局. Liaisons told: 2 of 2."
    )
    await rig.api.assert_quiet(ADMIN.id, seconds=0.3)  # no stray-text answer besides
    told = await rig.api.wait_for(chat_id=FARM.id, since=since)
    assert "已退回" in told.plain_text and "照片看不清，请补充秸秆利用台账" in told.plain_text
    assert "/report A5.1" in told.plain_text
    told_en = await rig.api.wait_for(chat_id=FARM_EN.id, since=since)
    assert "returned" in told_en.plain_text and "/report A5.1" in told_en.plain_text

    async with rig.session() as session:
        review = await session.scalar(select(Review))
        assert review is not None and review.decision == "returned"
        assert review.comment == "照片看不清，请补充秸秆利用台账"
        report = await session.get(Report, first_id)
        assert report is not None and report.review_state == "returned"
        binding = await session.get(Binding, report.binding_id)
        assert binding is not None and binding.review_state == "returned"
    # A returned done-report counts as in progress, not done.
    status = await rig.ask(ADMIN, "/dept 农业")
    assert "🔵 in progress (returned)" in status.plain_text

    # The next text is an ordinary message again.
    reply = await rig.ask(ADMIN, "hello")
    assert "/help" in reply.plain_text
    # A decided report cannot be returned again.
    again = await rig.press(ADMIN, first, f"rv:r:{first_id}")
    assert "already been reviewed" in again.plain_text
    assert second_id


async def test_a_newer_report_keeps_the_binding_state(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await speak_english(rig, ADMIN)
    await quick_report(rig, "#A5.2 已完成", PNG + b"a")
    await quick_report(rig, "#A5.2 推进中 还需复查", PNG + b"b")
    (done_id, _later) = await report_ids(rig)
    _head, (message,) = await review_messages(rig)
    assert "A newer report on this item has been filed since." in message.plain_text
    await rig.press(ADMIN, message, f"rv:a:{done_id}")
    async with rig.session() as session:
        report = await session.get(Report, done_id)
        assert report is not None and report.review_state == "accepted"
        binding = await session.get(Binding, report.binding_id)
        assert binding is not None
        assert (binding.status, binding.review_state) == ("in_progress", "none")


async def test_nothing_to_review(rig: DubanRig) -> None:
    await speak_english(rig, ADMIN)
    reply = await rig.ask(ADMIN, "/review")
    assert reply.plain_text == "No reports are awaiting review."
