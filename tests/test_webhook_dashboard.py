"""Webhook mode with the dashboard, as a real process: one server, one port, both routes.

Telegram's webhook (secret header required) and the Mini App (/app/, /api/) are served
by the same aiohttp server on WEBHOOK_PORT; nothing listens on WEBAPP_PORT.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import httpx

from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.webapp import signed_init_data
from tests.test_webhook import ROOT, free_port

SECRET = "another_s3cret-for-the-hook"
ADMIN = u.TgUser(id=700_102, first_name="Office")


async def test_webhook_and_dashboard_share_one_server(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    port, unused_port = free_port(), free_port()
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
        WEBAPP_URL="https://duban.example.org/app/",
        WEBAPP_PORT=str(unused_port),
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
    base = f"http://127.0.0.1:{port}"
    try:
        hook = await fake_api.wait_call("setWebhook", timeout=60)
        assert hook.params["secret_token"] == SECRET
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(50):
                try:
                    page = await client.get(base + "/app/")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.2)
            assert page.status_code == 200 and "static/app.js" in page.text
            assert (await client.get(base + "/api/me")).status_code == 401
            init_data = signed_init_data(ADMIN, fake_api.token)
            me = await client.get(base + "/api/me", headers={"Authorization": f"tma {init_data}"})
            assert me.status_code == 200 and me.json()["role"] == "admin"

            update = u.command(ADMIN, "/start")
            update["update_id"] = 1
            body = json.dumps(update)
            headers = {"Content-Type": "application/json"}
            assert (
                await client.post(base + "/tg/hook", content=body, headers=headers)
            ).status_code == 403
            good = await client.post(
                base + "/tg/hook",
                content=body,
                headers={**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert good.status_code == 200
            reply = await fake_api.wait_for(chat_id=ADMIN.id, timeout=20)
            assert "办公室工作人员" in reply.plain_text
            try:
                await client.get(f"http://127.0.0.1:{unused_port}/app/")
                raise AssertionError("a second server listens on WEBAPP_PORT")
            except httpx.ConnectError:
                pass
        assert fake_api.menu_button(ADMIN.id)["type"] == "web_app"
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 0, log[-2000:]
    assert SECRET not in log and fake_api.token not in log
