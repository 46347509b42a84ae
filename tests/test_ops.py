"""Health and metrics on their own port (issue 19, point 8), over real HTTP, on SQLite and
PostgreSQL: /readyz is 503 with the database gone (a closed port, a removed SQLite file),
with a backlog too old and while stopping, 200 otherwise; /metrics scraped after a burst
and a dead letter shows both, and no name or text of a user; the label of an update is
always from the code's own vocabulary (hypothesis); every process role serves them."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.ops.metrics import HandlerLabels
from bot.ops.server import OpsConfig, OpsServer, start_ops_server
from runtime.config import ConfigError, load_settings
from storage import inbox
from storage.db import Database
from storage.models import EXPORT_DONE, EXPORT_RUNNING, ExportRun
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, DubanRig

ROOT = Path(__file__).resolve().parent.parent
USER = u.TgUser(id=620_001, first_name="秘密名字")


class Serve(Protocol):
    async def __call__(
        self, db: Database, *, max_age_s: float = ..., works: bool = ..., stopping: bool = ...
    ) -> str: ...


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start an ops server on a free loopback port for a Database; stopped afterwards."""
    servers: list[OpsServer] = []

    async def start(
        db: Database, *, max_age_s: float = 120, works: bool = True, stopping: bool = False
    ) -> str:
        event = asyncio.Event()
        if stopping:
            event.set()
        config = OpsConfig(db, dt.timedelta(seconds=max_age_s), works, event)
        server = await start_ops_server(config, "127.0.0.1", 0)
        assert server is not None
        servers.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in servers:
        await server.stop()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


def samples(page: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a metrics page: (name, sorted labels) -> value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }


def value(page: str, name: str, **labels: str) -> float:
    return samples(page).get((name, tuple(sorted(labels.items()))), 0.0)


async def test_ready_when_the_database_answers_and_the_backlog_is_fresh(
    db: Database, serve: Serve
) -> None:
    base = await serve(db)
    assert await get(f"{base}/livez") == (200, "alive\n")
    assert await get(f"{base}/readyz") == (200, "ready\n")
    async with db.session() as session:  # a pending update of a minute ago is fine
        now = dt.datetime.now(dt.UTC)
        await inbox.record(session, [_text(1, "hi")], now - dt.timedelta(seconds=60))
        await session.commit()
    assert (await get(f"{base}/readyz"))[0] == 200


async def test_not_ready_with_a_backlog_too_old_and_ready_once_it_is_handled(
    db: Database, serve: Serve
) -> None:
    base = await serve(db, max_age_s=120)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    async with db.session() as session:
        await inbox.record(session, [_text(1, "a"), _text(2, "b")], long_ago)
        await session.commit()
    status, body = await get(f"{base}/readyz")
    assert status == 503
    assert "oldest pending update has waited" in body and "limit 120 s" in body
    assert "2 pending" in body
    # A receive-only process stays ready: the workers are behind, not it.
    receiver = await serve(db, max_age_s=120, works=False)
    assert (await get(f"{receiver}/readyz"))[0] == 200
    async with db.session() as session:
        for row in await inbox.pending_of_chat(session, USER.id):
            await inbox.mark_handled(session, row.seq, dt.datetime.now(dt.UTC))
        await session.commit()
    assert await get(f"{base}/readyz") == (200, "ready\n")


async def test_not_ready_when_postgresql_does_not_answer(serve: Serve) -> None:
    closed = _free_port()  # nothing listens there
    db = Database(f"postgresql+asyncpg://postgres:secret-pw@127.0.0.1:{closed}/duban")
    try:
        base = await serve(db)
        status, body = await get(f"{base}/readyz")
        assert status == 503
        assert body.startswith("not ready: the database does not answer")
        assert "secret-pw" not in body and str(closed) not in body
        # /livez does not depend on the database, /metrics says it is down.
        assert (await get(f"{base}/livez"))[0] == 200
        status, page = await get(f"{base}/metrics")
        assert status == 200
        assert value(page, "duban_database_up") == 0
        assert "duban_inbox_pending_updates" not in page  # left out, not stale
    finally:
        await db.close()


async def test_not_ready_when_the_sqlite_file_is_gone(
    sqlite_url: str, tmp_path: Path, serve: Serve
) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    path = folder / "duban.sqlite3"
    shutil.copy(sqlite_url.removeprefix("sqlite+aiosqlite:///"), path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        base = await serve(db)
        assert (await get(f"{base}/readyz"))[0] == 200
        await db.engine.dispose()  # no connection stays open on the old file
        shutil.rmtree(folder)
        status, body = await get(f"{base}/readyz")
        assert status == 503
        assert body.startswith("not ready: the database does not answer")
        await asyncio.sleep(0.2)  # aiosqlite's thread of the failed connection winds down
    finally:
        await db.close()


async def test_not_ready_while_stopping(db: Database, serve: Serve) -> None:
    base = await serve(db, stopping=True)
    assert await get(f"{base}/readyz") == (503, "not ready: the process is stopping\n")


async def test_metrics_after_a_burst_and_a_dead_letter(rig: DubanRig, serve: Serve) -> None:
    assert rig.app is not None
    base = await serve(rig.database())
    _, before = await get(f"{base}/metrics")

    async def explode(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("poisoned")

    rig.app.add_handler(MessageHandler(filters.Regex("^poison$"), explode), group=-5)
    people = [u.TgUser(id=621_000 + n, first_name=f"张{n}") for n in range(12)]
    since = rig.api.mark()
    for person in people:  # the burst: twelve people at once
        rig.inject(u.command(person, "/start"))
    rig.inject(u.text_message(USER, "poison"))
    for person in people:
        await rig.api.wait_for(chat_id=person.id, since=since, timeout=30)
    await rig.api.wait_for(chat_id=ADMIN.id, since=since, timeout=30)  # the dead letter
    status, page = await get(f"{base}/metrics")
    assert status == 200

    def grew(name: str, **labels: str) -> float:
        return value(page, name, **labels) - value(before, name, **labels)

    assert grew("duban_updates_handled_total", handler="command:start") == 12
    assert grew("duban_handler_duration_seconds_count", handler="command:start") == 12
    assert grew("duban_updates_failed_total", handler="text") == 3  # three attempts
    assert value(page, "duban_inbox_dead_letters") == 1
    assert value(page, "duban_inbox_pending_updates") == 0
    assert value(page, "duban_database_up") == 1
    assert "process_cpu_seconds_total" in page
    for _ in range(50):  # the admins' note is marked sent just after Telegram took it
        if value(page, "duban_outbox_pending_messages") == 0:
            break
        await asyncio.sleep(0.1)
        page = (await get(f"{base}/metrics"))[1]
    assert value(page, "duban_outbox_pending_messages") == 0
    # No name, text or token of anyone, in any label or value.
    for secret in ("poison", "秘密名字", "张", rig.api.token.split(":")[1]):
        assert secret not in page


async def test_exports_running_count_only_those_with_a_live_heartbeat(
    db: Database, serve: Serve
) -> None:
    now = dt.datetime.now(dt.UTC)
    async with db.session() as session:
        for state, heartbeat in (
            (EXPORT_RUNNING, now),  # running
            (EXPORT_RUNNING, now - dt.timedelta(hours=1)),  # its process died
            (EXPORT_DONE, now),
        ):
            session.add(ExportRun(admin_tg_id=1, chat_id=1, state=state, heartbeat_at=heartbeat))
        await session.commit()
    base = await serve(db)
    _, page = await get(f"{base}/metrics")
    assert value(page, "duban_background_tasks_running", kind="export", scope="shared") == 1
    assert value(page, "duban_background_tasks_running", kind="export", scope="process") == 0


def test_a_metrics_port_on_the_webhook_or_dashboard_port_is_refused() -> None:
    with pytest.raises(ConfigError, match="METRICS_PORT"):
        load_settings(webhook_port=9000, metrics_port=9000)
    with pytest.raises(ConfigError, match="METRICS_PORT"):
        load_settings(webapp_port=9001, metrics_port=9001)
    assert load_settings().metrics_listen == "127.0.0.1"


LABELS = HandlerLabels(commands={"start", "items"}, button_prefixes={"rp", "od"})
VOCABULARY = (
    {f"command:{c}" for c in LABELS.commands}
    | {f"button:{p}" for p in LABELS.button_prefixes}
    | {"command:other", "button:other", "photo", "document", "text", "message:other", "other"}
)


def naive_label(payload: dict[str, object]) -> str:
    """The rule said plainly, for the property test."""
    kind = next(k for k in payload if k != "update_id")
    body = payload[kind]
    assert isinstance(body, dict)
    if kind == "callback_query":
        data = body.get("data")
        prefix = data.partition(":")[0] if isinstance(data, str) else None
        return f"button:{prefix}" if prefix in {"rp", "od"} else "button:other"
    text = body.get("text")
    if isinstance(text, str) and text.startswith("/"):
        word = ""
        for character in text[1:]:
            if character.isspace():
                break
            word += character
        command = word.partition("@")[0].lower()
        return f"command:{command}" if command in {"start", "items"} else "command:other"
    for kind_of_message in ("photo", "document", "text"):
        if kind_of_message in body:
            return kind_of_message
    return "message:other"


@given(
    st.one_of(
        st.text().map(lambda t: {"message": {"text": t}}),
        st.sampled_from(["/start", "/ITEMS@duban_bot x", "/", "/ start"]).map(
            lambda t: {"message": {"text": t}}
        ),
        st.text().map(lambda t: {"callback_query": {"data": t}}),
        st.sampled_from(["rp:s:done", "od:30", "xx:1"]).map(
            lambda t: {"callback_query": {"data": t}}
        ),
        st.just({"message": {"photo": [{}], "caption": "#G2 名字"}}),
        st.just({"message": {"document": {}}}),
        st.just({"message": {"sticker": {}}}),
    )
)
def test_the_label_of_an_update_is_from_the_codes_vocabulary(payload: dict[str, object]) -> None:
    label = LABELS.label(payload)
    assert label == naive_label(payload)
    assert label in VOCABULARY


def test_labels_are_read_from_the_application() -> None:
    from bot.app import build_application

    settings = load_settings(telegram_bot_token="123456:" + "A" * 30)
    labels = HandlerLabels.of(build_application(settings))
    assert {"start", "items", "report", "cancel"} <= labels.commands
    assert {"rp", "od", "items", "rv"} <= labels.button_prefixes


# ------------------------------------------------------------------ every process role


async def test_every_process_role_serves_health_and_metrics(
    fake_api: FakeBotAPI, postgres_url: str, tmp_path: Path
) -> None:
    roles = {"receive": _free_port(), "work": _free_port(), "both": _free_port()}
    processes = []
    try:
        for role, port in roles.items():  # one after another: the first seeds the database
            processes.append(await _start(fake_api, postgres_url, tmp_path, role, port))
            status, body = await _poll(f"http://127.0.0.1:{port}/readyz")
            assert (status, body) == (200, "ready\n"), role
            status, page = await get(f"http://127.0.0.1:{port}/metrics")
            assert status == 200 and value(page, "duban_database_up") == 1, role
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            await asyncio.wait_for(process.wait(), timeout=30)
    assert [p.returncode for p in processes] == [0, 0, 0]


async def _start(
    api: FakeBotAPI, url: str, tmp_path: Path, role: str, port: int
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        TELEGRAM_FILE_BASE_URL=api.base_file_url,
        DATABASE_URL=url,
        EVIDENCE_DIR=str(tmp_path / "evidence"),
        METRICS_PORT=str(port),
    )
    log = (tmp_path / f"{role}.log").open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--role",
        role,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )


async def _poll(url: str, seconds: float = 60) -> tuple[int, str]:
    """The first answer of a server that is still starting."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await get(url)
        except aiohttp.ClientConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.3)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _text(update_id: int, text: str) -> dict[str, object]:
    update = u.text_message(USER, text)
    update["update_id"] = update_id
    return update
