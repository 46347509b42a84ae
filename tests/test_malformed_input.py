"""Issue 18, point 5: malformed credentials and bodies over real HTTP (raw bytes on a
socket, since HTTP clients refuse to send most of them). Each is a 401 or 403, never a
500 and never a traceback at ERROR; a webhook body with the right secret that is no
update is kept as a dead letter and answered 200."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.intake.webhook import SECRET_HEADER, webhook_route
from bot.untrusted_http import quiet_server_logger
from storage.db import Database
from storage.models import INBOX_DEAD, INBOX_PENDING, InboxUpdate
from tests.dashboard_support import base_url, dashboard_rig, seed
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import LEADER, DubanRig
from tests.support.webapp import signed_init_data

SECRET = "s3cret_Token-for-the-webhook"


async def raw_request(port: int, head: bytes, body: bytes = b"") -> int:
    """Send `head` (request line and headers, CRLF-separated, no final blank line) and
    `body` as they are; the answer's status code."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            head
            + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        return int(status_line.split()[1])
    finally:
        writer.close()


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def assert_no_error_logged(caplog: pytest.LogCaptureFixture) -> None:
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert loud == [], [r.getMessage() for r in loud]


# ---------------------------------------------------------------- the dashboard


@pytest.fixture
async def rig(sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    async for duban in dashboard_rig(fake_api, sqlite_url, tmp_path):
        await seed(duban)
        yield duban


async def test_malformed_init_data_is_401_without_a_traceback(
    rig: DubanRig, caplog: pytest.LogCaptureFixture
) -> None:
    port = port_of(base_url(rig))
    good = signed_init_data(LEADER, rig.api.token, auth_date=rig.clock()).encode()
    get_me = b"GET /api/me HTTP/1.1\r\nAuthorization: "
    assert await raw_request(port, get_me + b"tma " + good) == 200  # the control
    caplog.clear()
    caplog.set_level(logging.INFO)
    cases = {
        "hash=%C3%A9": get_me + b"tma auth_date=1&hash=%C3%A9",
        "é in the hash": get_me + b"tma auth_date=1&hash=\xc3\xa9",
        "0xFF byte": get_me + b"tma " + good + b"\xff",
        "0xFF alone": get_me + b"\xff\xfe",
        "%FF escape": get_me + b"tma user=%FF&hash=%FF",
        "empty": get_me,
        "scheme only": get_me + b"tma ",
        "twice": get_me + b"tma " + good + b"\r\nAuthorization: tma " + good,
        "oversized": get_me + b"tma " + good + b"&x=" + b"a" * 6000,
        "hash twice": get_me + b"tma " + good + b"&hash=" + b"0" * 64,
        "unicode digits": get_me + b"tma auth_date=%D9%A1&hash=" + b"0" * 64,
    }
    for name, head in cases.items():
        assert await raw_request(port, head) == 401, name
    assert_no_error_logged(caplog)


async def test_malformed_evidence_link_signatures_are_401(
    rig: DubanRig, caplog: pytest.LogCaptureFixture
) -> None:
    port = port_of(base_url(rig))
    caplog.set_level(logging.INFO)
    path = b"GET /api/evidence/1/thumb?u=" + str(LEADER.id).encode() + b"&exp=99999999999"
    cases = {
        "é escaped": path + b"&sig=%C3%A9",
        "empty": path + b"&sig=",
        "twice": path + b"&sig=" + b"0" * 64 + b"&sig=" + b"1" * 64,
        "oversized": path + b"&sig=" + b"0" * 5000,
        "arabic digits": b"GET /api/evidence/1/thumb?u=%D9%A1&exp=1&sig=" + b"0" * 64,
    }
    for name, request_line in cases.items():
        assert await raw_request(port, request_line + b" HTTP/1.1") == 401, name
    # Raw bytes over 0x7F in the request line are no HTTP: aiohttp's parser answers 400
    # before any route runs, and it is one INFO line (bot.untrusted_http.QuietBadRequests).
    for raw in (b"\xc3\xa9", b"\xff"):
        assert await raw_request(port, path + b"&sig=" + raw + b" HTTP/1.1") == 400
    assert_no_error_logged(caplog)


# ---------------------------------------------------------------- the webhook


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def hook(sqlite_url: str) -> AsyncIterator[tuple[int, Database, list[int]]]:
    db = Database(sqlite_url)
    stored: list[int] = []
    app = web.Application()
    app.router.add_post("/tg/hook", webhook_route(db, SECRET, lambda: stored.append(1)))
    runner = web.AppRunner(app, access_log=None, logger=quiet_server_logger())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port, db, stored
    finally:
        await runner.cleanup()
        await db.close()


async def rows(db: Database) -> list[InboxUpdate]:
    async with db.session() as session:
        return list((await session.scalars(select(InboxUpdate).order_by(InboxUpdate.seq))).all())


async def test_malformed_webhook_secrets_are_403(
    hook: tuple[int, Database, list[int]], caplog: pytest.LogCaptureFixture
) -> None:
    port, db, _stored = hook
    caplog.set_level(logging.INFO)
    post = b"POST /tg/hook HTTP/1.1\r\nContent-Type: application/json"
    header = SECRET_HEADER.encode()
    body = b'{"update_id": 5}'
    cases = {
        "0xFF": post + b"\r\n" + header + b": \xff",
        "right secret and 0xFF": post + b"\r\n" + header + b": " + SECRET.encode() + b"\xff",
        "é": post + b"\r\n" + header + b": \xc3\xa9",
        "empty": post + b"\r\n" + header + b": ",
        "missing": post,
        "twice": post + (b"\r\n" + header + b": " + SECRET.encode()) * 2,
        "oversized": post + b"\r\n" + header + b": " + b"a" * 6000,
    }
    for name, head in cases.items():
        assert await raw_request(port, head, body) == 403, name
    assert await rows(db) == []
    assert_no_error_logged(caplog)


async def test_an_unreadable_body_with_the_secret_is_a_dead_letter_answered_200(
    hook: tuple[int, Database, list[int]], caplog: pytest.LogCaptureFixture
) -> None:
    port, db, stored = hook
    caplog.set_level(logging.INFO)
    head = b"POST /tg/hook HTTP/1.1\r\nContent-Type: application/json\r\n"
    head += SECRET_HEADER.encode() + b": " + SECRET.encode()
    nested = b"[" * 200_000 + b"]" * 200_000
    for body in (nested, b"{not json", b'{"update_id": "7"}', b"[1, 2]", b"\xff\xfe"):
        assert await raw_request(port, head, body) == 200
    dead = await rows(db)
    assert [r.state for r in dead] == [INBOX_DEAD] * 5
    assert all(r.update_id < 0 and r.chat_key == 0 for r in dead)
    assert dead[0].payload["length"] == len(nested)
    assert stored == []  # the workers are not woken for them

    # Without the secret the same body is refused and nothing is kept.
    assert await raw_request(port, head.rsplit(b"\r\n", 1)[0], nested) == 403
    update: dict[str, Any] = u.command(u.TgUser(id=1, first_name="x"), "/start")
    update["update_id"] = 42
    body = __import__("json").dumps(update).encode()
    assert await raw_request(port, head, body) == 200
    kept = await rows(db)
    assert len(kept) == 6 and kept[-1].state == INBOX_PENDING and kept[-1].update_id == 42
    assert stored == [1]
    assert_no_error_logged(caplog)
