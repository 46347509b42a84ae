"""Throughput and latency of the real bot against the project's Bot API server, and of a
bare python-telegram-bot echo bot against the same server, as a ratio.

    .venv/bin/python bench/throughput.py [--users 200] [--updates 2000]
        [--workloads mixed,items] [--databases sqlite,postgres] [--limiter on,off]
        [--idle-rss]

Both bots run as separate processes (as in production) polling the fake server over
HTTP on loopback. Users act in closed loops: each sends its next update when the reply
to the previous one arrives, so the figures are processed updates per second and the
time from injection to the bot's reply (p50/p95/p99). Workloads: "mixed" (the default
200 users: /items, /report conversations (command, button, value, text, /done) and
quick photo reports) and "items" (20 users asking /items, issue 13). Each runs on the
databases asked for (PostgreSQL: a fresh database on DUBAN_BENCH_POSTGRES_URL's
server). With --idle-rss only the resident memory of an idle Duban process is
measured (after one /start; VmRSS and its peak VmHWM from /proc).
The table is printed and appended to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_details, percentile, pg_execute, write_results  # noqa: E402
from tests.support import updates as u  # noqa: E402
from tests.support.botapi import FakeBotAPI, SentMessage  # noqa: E402

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452")
POSTGRES_URL = os.environ.get(
    "DUBAN_BENCH_POSTGRES_URL",
    os.environ.get("DUBAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
)
WORKLOAD_USERS = {"mixed": 200, "items": 20}


async def _pg_admin(sql: str) -> None:
    await pg_execute(POSTGRES_URL, sql)


class BenchDatabase:
    """A fresh SQLite file or PostgreSQL database for one run, dropped after it."""

    def __init__(self, kind: str, tmp: Path) -> None:
        from sqlalchemy.engine import make_url

        self.kind, self.name = kind, ""
        if kind == "sqlite":
            self.url = f"sqlite+aiosqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}"
        else:
            self.name = f"duban_bench_{uuid.uuid4().hex[:10]}"
            self.url = (
                make_url(POSTGRES_URL).set(database=self.name).render_as_string(hide_password=False)
            )

    async def __aenter__(self) -> str:
        if self.name:
            await _pg_admin(f'CREATE DATABASE "{self.name}"')
        return self.url

    async def __aexit__(self, *exc: object) -> None:
        if self.name:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


async def prepare_database(url: str, users: list[u.TgUser]) -> None:
    from core.assessment.campaigns import BUNDLED_DOCUMENT, create_campaign, load_file
    from storage import repositories as repo
    from storage.db import Database, upgrade_database
    from storage.models import User

    await asyncio.to_thread(upgrade_database, url)
    db = Database(url)
    async with db.session() as session:
        await create_campaign(session, load_file(BUNDLED_DOCUMENT), source_name="annex3")
        await session.commit()
    async with db.session() as session:
        campaign = await repo.active_campaign(session)
        assert campaign is not None
        departments = [d for d in await repo.departments(session, campaign.id) if d.number]
        for n, user in enumerate(users):
            session.add(
                User(tg_id=user.id, role="liaison", department_id=departments[n % 5 + 4].id)
            )
        await session.commit()
    await db.close()


async def start_process(
    args: list[str], env: dict[str, str], cwd: Path
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def reply(api: FakeBotAPI, chat_id: int, since: int, timeout: float = 120) -> SentMessage:  # noqa: ASYNC109 - a wait deadline is the point
    return await api.wait_for(
        lambda m: m.kind in ("send", "edit"), chat_id=chat_id, since=since, timeout=timeout
    )


async def duban_user(
    api: FakeBotAPI, user: u.TgUser, budget: int, latencies: list[float], workload: str = "mixed"
) -> int:
    """One liaison's loop: /items, /report conversations and quick photo reports
    ("mixed"), or /items alone ("items")."""
    sent = 0
    department_code = {5: "A5", 6: "A6", 7: "A7", 8: "A8", 9: "A9"}
    step = 0
    while sent < budget:
        kind = step % 3 if workload == "mixed" else 0
        step += 1
        if kind == 0:
            sequence: list[object] = ["/items"]
        elif kind == 1:
            sequence = ["/report G1", "button:rp:s:in_progress", "3", "进展顺利", "/done"]
        else:
            sequence = ["photo"]
        last: SentMessage | None = None
        for action in sequence:
            if sent >= budget:
                break
            since = api.mark()
            if action == "photo":
                ref = api.add_file(PNG + f"{user.id}-{step}".encode(), mime_type="image/jpeg")
                update = u.photo_message(user, ref, caption=f"#G2 推进中 {step}")
            elif isinstance(action, str) and action.startswith("button:"):
                assert last is not None
                update = u.callback_query(user, action.removeprefix("button:"), last)
            elif isinstance(action, str) and action.startswith("/"):
                update = u.command(user, action)
            else:
                update = u.text_message(user, str(action))
            started = time.monotonic()
            api.inject(update)
            last = await reply(api, user.id, since)
            latencies.append(last.time - started)
            sent += 1
            if action == "photo" or (isinstance(action, str) and action.startswith("button:")):
                pass
    del department_code
    return sent


async def echo_user(api: FakeBotAPI, user: u.TgUser, budget: int, latencies: list[float]) -> int:
    for n in range(budget):
        since = api.mark()
        started = time.monotonic()
        api.inject(u.text_message(user, f"echo {n}"))
        message = await reply(api, user.id, since)
        latencies.append(message.time - started)
    return budget


def _rss_kib(pid: int) -> dict[str, int]:
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0])
    return figures


async def run_duban(
    users: int,
    updates: int,
    tmp: Path,
    limited: bool,
    *,
    workload: str = "mixed",
    database: str = "sqlite",
    idle_only: bool = False,
    inbox: bool = True,
) -> dict[str, float]:
    people = [u.TgUser(id=800_000 + n, first_name=f"L{n}") for n in range(users)]
    async with BenchDatabase(database, tmp) as url:
        await prepare_database(url, people)
        async with FakeBotAPI() as api:
            env = dict(
                os.environ,
                PYTHONPATH=str(ROOT),
                TELEGRAM_BOT_TOKEN=api.token,
                TELEGRAM_API_BASE_URL=api.base_url,
                TELEGRAM_FILE_BASE_URL=api.base_file_url,
                DATABASE_URL=url,
                EVIDENCE_DIR=str(tmp / "evidence"),
                LOG_LEVEL="WARNING",
                TELEGRAM_RATE_LIMIT=str(limited).lower(),
            )
            profile = os.environ.get("BENCH_PROFILE")
            command = ["-m", "cProfile", "-o", profile, "-m", "bot"] if profile else ["-m", "bot"]
            if not inbox:  # PTB's own Updater instead of the durable inbox (no_inbox_bot.py)
                command = [str(ROOT / "bench" / "no_inbox_bot.py")]
            process = await start_process(command, env, tmp)
            try:
                warm = u.TgUser(id=799_999, first_name="warm")
                since = api.mark()
                api.inject(u.command(warm, "/start"))
                await reply(api, warm.id, since, timeout=120)
                if idle_only:
                    await asyncio.sleep(2)
                    rss = _rss_kib(process.pid)
                    return {"rss_mib": rss["VmRSS"] / 1024, "hwm_mib": rss["VmHWM"] / 1024}
                latencies: list[float] = []
                started = time.monotonic()
                budget = updates // users
                done = await asyncio.gather(
                    *(duban_user(api, p, budget, latencies, workload) for p in people)
                )
                elapsed = time.monotonic() - started
            finally:
                process.send_signal(signal.SIGINT)  # a clean stop, so a profile gets written
                await process.wait()
    return summary("duban", sum(done), elapsed, latencies)


async def run_echo(users: int, updates: int, tmp: Path, limited: bool) -> dict[str, float]:
    people = [u.TgUser(id=810_000 + n, first_name=f"E{n}") for n in range(users)]
    async with FakeBotAPI() as api:
        env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            ECHO_TOKEN=api.token,
            ECHO_BASE_URL=api.base_url,
            TELEGRAM_RATE_LIMIT=str(limited).lower(),
        )
        process = await start_process([str(ROOT / "bench" / "echo_bot.py")], env, tmp)
        try:
            warm = u.TgUser(id=809_999, first_name="warm")
            since = api.mark()
            api.inject(u.text_message(warm, "hi"))
            await reply(api, warm.id, since, timeout=60)
            latencies: list[float] = []
            started = time.monotonic()
            done = await asyncio.gather(
                *(echo_user(api, p, updates // users, latencies) for p in people)
            )
            elapsed = time.monotonic() - started
        finally:
            process.terminate()
            await process.wait()
    return summary("echo", sum(done), elapsed, latencies)


def summary(name: str, count: int, elapsed: float, latencies: list[float]) -> dict[str, float]:
    return {
        "updates": count,
        "seconds": elapsed,
        "per_second": count / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, help="default: 200 (mixed), 20 (items)")
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--workloads", default="mixed", help="mixed,items")
    parser.add_argument("--databases", default="sqlite", help="sqlite,postgres")
    parser.add_argument("--limiter", default="on,off", help="on,off")
    parser.add_argument("--idle-rss", action="store_true", help="only an idle bot's RSS")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument(
        "--inbox",
        action="store_true",
        help="only: Duban with and without its durable inbox, same run (rate limiter off)",
    )
    args = parser.parse_args()
    databases = [d for d in args.databases.split(",") if d]
    if args.idle_rss:
        lines = ["| database | idle RSS MiB | peak RSS MiB |", "| --- | ---: | ---: |"]
        for database in databases:
            with tempfile.TemporaryDirectory() as folder:
                idle = await run_duban(1, 0, Path(folder), False, database=database, idle_only=True)
            lines.append(f"| {database} | {idle['rss_mib']:.0f} | {idle['hwm_mib']:.0f} |")
        table = "\n".join(lines) + "\n\nAn idle Duban process after one /start."
        print(table)
        if not args.no_record:
            write_results("idle RSS", table + "\n\n" + machine_details())
        return
    rows = [
        "| workload | database | bot | rate limiter | updates | seconds | updates/s "
        "| p50 ms | p95 ms | p99 ms |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ratios = []
    for workload in [w for w in args.workloads.split(",") if w]:
        users = args.users or WORKLOAD_USERS[workload]
        for limited in [flag == "on" for flag in args.limiter.split(",") if flag]:
            with tempfile.TemporaryDirectory() as folder:
                echo = await run_echo(users, args.updates, Path(folder), limited)
            for database in databases:
                with tempfile.TemporaryDirectory() as folder:
                    duban = await run_duban(
                        users,
                        args.updates,
                        Path(folder),
                        limited,
                        workload=workload,
                        database=database,
                    )
                for name, figures in (("Duban", duban), ("bare PTB echo", echo)):
                    rows.append(
                        f"| {workload} | {database if name == 'Duban' else '—'} | {name} | "
                        f"{'on' if limited else 'off'} | {figures['updates']:.0f} | "
                        f"{figures['seconds']:.1f} | {figures['per_second']:.1f} | "
                        f"{figures['p50_ms']:.0f} | "
                        f"{figures['p95_ms']:.0f} | {figures['p99_ms']:.0f} |"
                    )
                ratios.append(
                    (workload, database, users, limited, duban["per_second"] / echo["per_second"])
                )
    rows.append("")
    for workload, database, users, limited, ratio in ratios:
        rows.append(
            f"{workload} on {database}, rate limiter "
            f"{'on (Telegram’s 30 messages/s)' if limited else 'off'}: "
            f"Duban's throughput is {ratio:.2f} x the bare echo bot's ({users} users, "
            f"{args.updates} updates, closed loop)."
        )
    table = "\n".join(rows)
    print(table)
    if not args.no_record:
        write_results("throughput", table + "\n\n" + machine_details())


async def inbox_cost(users: int, updates: int, *, record: bool) -> None:
    """What the inbox costs per update: the same load with and without it, back to back."""
    figures = {}
    for inbox in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            figures[inbox] = await run_duban(users, updates, Path(folder), False, inbox=inbox)
    rows = [
        "| Duban | updates | seconds | updates/s | p50 ms | p95 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for inbox, f in figures.items():
        rows.append(
            f"| {'with the inbox' if inbox else 'without (PTB Updater)'} | {f['updates']:.0f} | "
            f"{f['seconds']:.1f} | {f['per_second']:.1f} | {f['p50_ms']:.0f} | "
            f"{f['p95_ms']:.0f} | {f['p99_ms']:.0f} |"
        )
    cost_ms = 1000 / figures[True]["per_second"] - 1000 / figures[False]["per_second"]
    rows.append("")
    rows.append(
        f"The durable inbox (store, claim, mark handled; SQLite, rate limiter off) costs "
        f"{cost_ms:.1f} ms of processing per update: {figures[True]['per_second']:.1f} vs "
        f"{figures[False]['per_second']:.1f} updates/s ({users} users, {updates} updates)."
    )
    table = "\n".join(rows)
    print(table)
    if record:
        write_results("inbox cost", table + "\n\n" + machine_details())


if __name__ == "__main__":
    asyncio.run(main())
