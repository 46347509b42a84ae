"""Issue 18, point 6: nothing grows without bound. Housekeeping's retention deletes
dead letters, abandoned album drafts, sent replies, spent or expired export files and
unused previews after their (configurable) times, and keeps everything younger; one
liaison's evidence per day is capped with a clear reply."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from sqlalchemy import func, select

from bot.retention import enforce_retention
from runtime.config import Settings
from storage.db import Database
from storage.models import (
    EXPORT_DONE,
    INBOX_DEAD,
    ConversationDraft,
    Evidence,
    ExportRun,
    InboxUpdate,
    OutboxMessage,
)
from tests.support import updates as u
from tests.support.duban import DubanRig

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _aged(path: Path, content: bytes, days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    moment = time.time() - days * 86400
    os.utime(path, (moment, moment))
    return path


async def test_retention_deletes_what_is_past_its_time_and_keeps_the_rest(
    db: Database, tmp_path: Path
) -> None:
    settings = Settings(
        evidence_dir=tmp_path / "evidence",
        dead_letter_keep_days=30,
        album_draft_keep_hours=48,
        outbox_keep_hours=24,
        thumbnail_keep_days=10,
    )
    exports = settings.exports_path
    spent = _aged(exports / "export-1.xlsx", b"spent", 0)
    expired = _aged(exports / "export-2.xlsx", b"expired", 0)
    waiting = _aged(exports / "export-3.xlsx", b"waiting", 0)
    partial = _aged(exports / ".export-4.xlsx", b"half", 2)
    running = _aged(exports / ".export-5.xlsx", b"now", 0)
    old_thumb = _aged(settings.thumbnails_path / ("a" * 64 + "-320.jpg"), b"x", 11)
    new_thumb = _aged(settings.thumbnails_path / ("b" * 64 + "-320.jpg"), b"x", 1)
    async with db.session() as session:
        for update_id, days in ((-1, 31), (-2, 29)):
            session.add(
                InboxUpdate(
                    update_id=update_id,
                    chat_key=0,
                    payload={},
                    state=INBOX_DEAD,
                    received_at=NOW - dt.timedelta(days=days),
                    handled_at=NOW - dt.timedelta(days=days),
                )
            )
        for name, hours in (("album:old", 49), ("album:new", 47), ("report", 100)):
            session.add(
                ConversationDraft(
                    name=name,
                    chat_id=1,
                    user_id=1,
                    state=0,
                    data={},
                    updated_at=NOW - dt.timedelta(hours=hours),
                )
            )
        for hours in (25, 23):
            session.add(
                OutboxMessage(chat_id=1, text="sent", sent_at=NOW - dt.timedelta(hours=hours))
            )
        session.add(OutboxMessage(chat_id=1, text="unsent"))
        for run_id, path, expires, used in (
            (1, spent, NOW + dt.timedelta(hours=1), NOW - dt.timedelta(minutes=1)),
            (2, expired, NOW - dt.timedelta(minutes=1), None),
            (3, waiting, NOW + dt.timedelta(hours=1), None),
        ):
            session.add(
                ExportRun(
                    id=run_id,
                    admin_tg_id=1,
                    chat_id=1,
                    state=EXPORT_DONE,
                    file_path=str(path),
                    token_sha256=str(run_id) * 64,
                    token_expires_at=expires,
                    token_used_at=used,
                )
            )
        await session.commit()

    retained = await enforce_retention(db, settings, NOW)

    assert retained.dead_letters == 1 and retained.album_drafts == 1
    assert retained.outbox_rows == 1 and retained.thumbnails == 1
    assert retained.export_files == 3  # spent, expired, and the day-old half-written one
    assert not spent.exists() and not expired.exists() and not partial.exists()
    assert waiting.exists() and running.exists()
    assert not old_thumb.exists() and new_thumb.exists()
    async with db.session() as session:
        assert list(await session.scalars(select(InboxUpdate.update_id))) == [-2]
        assert sorted(await session.scalars(select(ConversationDraft.name))) == [
            "album:new",
            "report",  # other drafts: the intake's own sweep, by conversation timeout
        ]
        assert sorted(await session.scalars(select(OutboxMessage.text))) == ["sent", "unsent"]
    # Idempotent: a second run (another worker) finds nothing more.
    again = await enforce_retention(db, settings, NOW)
    assert again == type(again)(0, 0, 0, 0, 0)


async def test_evidence_per_liaison_per_day_is_capped(
    sqlite_url: str, tmp_path: Path, fake_api: object
) -> None:
    rig = DubanRig(
        fake_api,  # type: ignore[arg-type]
        sqlite_url,
        tmp_path / "evidence",
        overrides={"evidence_per_day": 2},
    )
    await rig.import_bundled()
    await rig.start()
    try:
        farm = u.TgUser(id=640_001, first_name="农业联络员")
        await rig.join(farm, "农业")
        replies = []
        for n in range(3):
            ref = rig.api.add_file(
                b"\x89PNG\r\n\x1a\n" + f"photo-{n}".encode(), mime_type="image/jpeg"
            )
            replies.append(
                await rig.send_and_wait(
                    u.photo_message(farm, ref, caption=f"#A5.1 推进中 第{n + 1}批"), farm.id
                )
            )
        assert "今天发送的佐证材料已达到" not in replies[1].plain_text
        assert "今天发送的佐证材料已达到每人每天的上限" in replies[2].plain_text
        assert "未保存" in replies[2].plain_text
        async with rig.session() as session:
            assert await session.scalar(select(func.count(Evidence.id))) == 2
        # The next local day the liaison may send again.
        rig.clock.advance(days=1)
        ref = rig.api.add_file(b"\x89PNG\r\n\x1a\nnext-day", mime_type="image/jpeg")
        reply = await rig.send_and_wait(
            u.photo_message(farm, ref, caption="#A5.1 推进中 次日"), farm.id
        )
        assert "上限" not in reply.plain_text
        async with rig.session() as session:
            assert await session.scalar(select(func.count(Evidence.id))) == 3
    finally:
        await rig.close()
