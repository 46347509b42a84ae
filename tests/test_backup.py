"""Backups of a running SQLite bot: consistent, with an evidence manifest; restore checks
integrity and the manifest before it replaces anything."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from bot.backup import backup, restore
from tests.support import updates as u
from tests.support.duban import DubanRig

FARM = u.TgUser(id=610_001, first_name="农业联络员")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452")


def reports_in(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT count(*) FROM report").fetchone()[0])
    finally:
        connection.close()


async def test_backup_while_reports_arrive_then_restore(
    sqlite_rig: DubanRig, tmp_path: Path
) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    settings = rig.settings
    target = tmp_path / "backups" / "duban-backup.sqlite3"

    async def burst() -> None:
        for n in range(8):
            ref = rig.api.add_file(PNG + bytes([n]), mime_type="image/jpeg")
            await rig.send_and_wait(
                u.photo_message(FARM, ref, caption=f"#A5.{1 + n % 7} 推进中"), FARM.id
            )

    sending = asyncio.create_task(burst())
    await asyncio.sleep(0.3)
    assert await asyncio.to_thread(backup, settings, target) == 0  # taken mid-burst
    await sending

    manifest = json.loads(target.with_name(target.name + ".manifest.json").read_text("utf-8"))
    assert manifest["database_sha256"]
    copied = reports_in(target)
    assert 0 <= copied <= 8
    # The copy is consistent: every evidence row has its report (and the check passes).
    connection = sqlite3.connect(target)
    try:
        orphans = connection.execute(
            "SELECT count(*) FROM evidence e LEFT JOIN report r ON r.id = e.report_id "
            "WHERE r.id IS NULL"
        ).fetchone()[0]
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()
    assert orphans == 0

    # A second backup after the burst has all 8 reports and their files in the manifest.
    full = tmp_path / "backups" / "full.sqlite3"
    assert backup(settings, full) == 0
    assert reports_in(full) == 8
    full_manifest = json.loads(full.with_name(full.name + ".manifest.json").read_text("utf-8"))
    assert len(full_manifest["evidence"]) == 8

    await rig.stop()
    live = Path(settings.database_url.split("///", 1)[1])
    live.unlink()  # noqa: ASYNC240 - test setup on a small local file
    assert restore(settings, full) == 0
    assert reports_in(live) == 8


async def test_restore_refuses_a_backup_whose_evidence_changed(
    sqlite_rig: DubanRig, tmp_path: Path
) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    ref = rig.api.add_file(PNG + b"x", mime_type="image/jpeg")
    await rig.send_and_wait(u.photo_message(FARM, ref, caption="#A5.1 推进中"), FARM.id)
    settings = rig.settings
    target = tmp_path / "b.sqlite3"
    assert backup(settings, target) == 0
    stored = next(p for p in settings.evidence_dir.rglob("*.jpg") if ".staging" not in p.parts)
    stored.write_bytes(b"tampered")
    await rig.stop()
    assert restore(settings, target) == 1
