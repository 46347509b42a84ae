"""Webhook mode as a real process: Telegram's secret-token header is required, and
neither the token nor the secret reaches the log."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from tests.support import updates as u
from tests.support.botapi import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cret_Token-for-the-webhook"
ADMIN = u.TgUser(id=700_101, first_name="Office")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_requires_the_secret_header(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=fake_api.token,
        TELEGRAM_API_BASE_URL=fake_api.base_url,
        TELEGRAM_FILE_BASE_URL=fake_api.base_file_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'hook.sqlite3'}",
        EVIDENCE_DIR=str(tmp_path / "evidence"),
        ADMIN_IDS=str(ADMIN.id),
        LOG_LEVEL="DEBUG",
        WEBHOOK_URL="https://duban.example.org/tg/hook",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--webhook",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/tg/hook"
    try:
        hook = await fake_api.wait_call("setWebhook", timeout=60)
        assert hook.params["url"] == "https://duban.example.org/tg/hook"
        assert hook.params["secret_token"] == SECRET
        assert int(hook.params["max_connections"]) == 40  # WEBHOOK_MAX_CONNECTIONS, deliberate
        update = u.command(ADMIN, "/start")
        update["update_id"] = 1
        body = json.dumps(update)
        headers = {"Content-Type": "application/json"}
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(50):  # the server starts right after setWebhook
                try:
                    missing = await client.post(url, content=body, headers=headers)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.2)
            assert missing.status_code == 403
            wrong = await client.post(
                url, content=body, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            assert wrong.status_code == 403
            await fake_api.assert_quiet(ADMIN.id, seconds=0.5)
            good = await client.post(
                url, content=body, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            assert good.status_code == 200
        reply = await fake_api.wait_for(chat_id=ADMIN.id, timeout=20)
        assert "办公室工作人员" in reply.plain_text
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert SECRET not in log and fake_api.token not in log


def test_webhook_mode_without_settings_says_what_is_missing(tmp_path: Path) -> None:
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env.update(PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN="123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--webhook"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "WEBHOOK_URL" in result.stderr
