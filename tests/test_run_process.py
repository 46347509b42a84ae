"""`python -m bot` as a real process against the fake Bot API server: it upgrades the
database, imports the bundled document on first start, answers /start, stops cleanly on
SIGINT, and its log (even at DEBUG) is one line per event and never shows the token."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support import updates as u
from tests.support.botapi import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
ADMIN = u.TgUser(id=700_001, first_name="Office")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


async def test_bot_process_first_start_and_clean_logs(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    database = tmp_path / "run.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=fake_api.token,
        TELEGRAM_API_BASE_URL=fake_api.base_url,
        TELEGRAM_FILE_BASE_URL=fake_api.base_file_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        EVIDENCE_DIR=str(tmp_path / "evidence"),
        ADMIN_IDS=str(ADMIN.id),
        LOG_LEVEL="DEBUG",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        fake_api.inject(u.command(ADMIN, "/start"))
        reply = await fake_api.wait_for(chat_id=ADMIN.id, timeout=60)
        assert "办公室工作人员" in reply.plain_text  # the bootstrap admin is an admin
    finally:
        process.send_signal(signal.SIGINT)
        _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 0, log[-2000:]
    assert fake_api.token not in log
    assert fake_api.token.split(":")[1] not in log
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines, "the bot logged nothing"
    assert all(LOG_LINE.match(line) for line in lines), [
        bad for bad in lines if not LOG_LINE.match(bad)
    ][:3]

    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM campaign")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM item")).scalar() == 86
    engine.dispose()
