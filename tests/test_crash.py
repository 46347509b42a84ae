"""A bot process killed with SIGKILL in the middle of a burst of reports, then restarted:
every report whose "recorded" reply was sent is in the database with all its evidence,
and nothing is half-written or written twice."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from core.assessment.campaigns import BUNDLED_DOCUMENT, create_campaign, load_file
from core.people.invites import find_department
from storage.db import Database
from storage.models import Evidence, Report, User
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452")
LIAISONS = {
    u.TgUser(id=630_001, first_name="A"): ("农业", "A5"),
    u.TgUser(id=630_002, first_name="B"): ("生态", "A17"),
    u.TgUser(id=630_003, first_name="C"): ("交通", "A4"),
}
MARK = re.compile(r"burst-(\d+)")


async def start_bot(
    api: FakeBotAPI, url: str, evidence: Path, cwd: Path
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        TELEGRAM_FILE_BASE_URL=api.base_file_url,
        DATABASE_URL=url,
        EVIDENCE_DIR=str(evidence),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_sigkill_mid_burst_loses_nothing_that_was_confirmed(
    fake_api: FakeBotAPI, sqlite_url: str, tmp_path: Path
) -> None:
    evidence = tmp_path / "evidence"
    db = Database(sqlite_url)
    async with db.session() as session:
        await create_campaign(session, load_file(BUNDLED_DOCUMENT), source_name="annex3")
        await session.commit()
    async with db.session() as session:
        for user, (department, _) in LIAISONS.items():
            choice = await find_department(session, department)
            assert choice.found is not None
            session.add(User(tg_id=user.id, role="liaison", department_id=choice.found.id))
        await session.commit()

    bot = await start_bot(fake_api, sqlite_url, evidence, tmp_path)
    try:
        for n in range(30):
            user = list(LIAISONS)[n % 3]
            code = f"{LIAISONS[user][1]}.{1 + n % 4}"
            ref = fake_api.add_file(PNG + f"burst-{n}".encode(), mime_type="image/jpeg")
            fake_api.inject(u.photo_message(user, ref, caption=f"#{code} 推进中 burst-{n}"))
        for _ in range(6):  # let some of them be recorded, then pull the plug
            await fake_api.wait_for(contains="已记录", timeout=60, consume=False)
            await asyncio.sleep(0.05)
    finally:
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
    told_before = [m for m in fake_api.sent if "已记录" in (m.plain_text or "")]
    assert told_before, "nothing was recorded before the kill"
    assert len(told_before) < 30, "the kill came after the burst, not in the middle of it"

    bot = await start_bot(fake_api, sqlite_url, evidence, tmp_path)
    try:
        await fake_api.wait_idle(timeout=60)
        previous = -1
        while previous != len(fake_api.sent):  # until the restarted bot falls quiet
            previous = len(fake_api.sent)
            await asyncio.sleep(2.0)
    finally:
        bot.send_signal(signal.SIGINT)
        await asyncio.wait_for(bot.wait(), timeout=30)

    told = Counter(
        int(match.group(1))
        for m in fake_api.sent
        if "已记录" in (m.plain_text or "") and (match := MARK.search(m.plain_text or ""))
    )
    async with db.session() as session:
        reports = (await session.scalars(select(Report))).all()
        evidence_rows = (await session.scalars(select(Evidence))).all()
    await db.close()

    recorded = Counter(int(m.group(1)) for r in reports if (m := MARK.search(r.text)))
    assert all(count == 1 for count in recorded.values()), "a report was written twice"
    missing = [n for n in told if n not in recorded]
    assert missing == [], f"told 'recorded' but not in the database: {missing}"
    # Every report has its evidence, and every evidence file is there, intact.
    by_report = Counter(e.report_id for e in evidence_rows)
    assert all(by_report[r.id] == 1 for r in reports)
    for row in evidence_rows:
        path = evidence / row.stored_path
        assert path.is_file(), row.stored_path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256
    assert {e.report_id for e in evidence_rows} <= {r.id for r in reports}
