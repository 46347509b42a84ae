"""CPU per /items update: Duban's bot process against a bare PTB echo bot, same run.

    .venv/bin/python bench/cpu_per_update.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/cpu_per_update.py --databases sqlite --updates 1200
    .venv/bin/python bench/cpu_per_update.py --py-spy /tmp/duban.svg   # also profile Duban

Both bots poll the project's stand-in Bot API (tests/support/botapi.py) on loopback as
separate processes. After a warm-up, `--users` users each send /items (echo bot: a text)
in a closed loop until `--updates` replies arrived; the bot process's CPU time (user +
system of every thread, fields 14-15 of /proc/PID/stat) is read just before and just
after, so the figure is CPU milliseconds per update, and the ratio Duban / echo is
independent of how busy the machine is. The echo bot runs once per database, right
before Duban, so each ratio compares neighbours in time.

`--py-spy PATH` samples the whole Duban process (every thread; waiting ones too with
`--py-spy-idle`) during the measured window with py-spy (`pip install py-spy`; needs
ptrace rights, e.g. root): PATH ending in .svg gives a flame graph, .json speedscope,
anything else raw collapsed stacks, which bench/pyspy_summary.py breaks down.

The table is printed and appended to bench/RESULTS.md (unless --no-record).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_details, percentile, write_results  # noqa: E402
from bench.throughput import (  # noqa: E402
    BenchDatabase,
    prepare_database,
    reply,
    start_process,
)
from tests.support import updates as u  # noqa: E402
from tests.support.botapi import FakeBotAPI  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the whole process (all threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the ")" closing the command name, utime and stime are the 12th and 13th fields.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def duban_env(api: FakeBotAPI, url: str, tmp: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        TELEGRAM_FILE_BASE_URL=api.base_file_url,
        DATABASE_URL=url,
        EVIDENCE_DIR=str(tmp / "evidence"),
        LOG_LEVEL="WARNING",
        TELEGRAM_RATE_LIMIT="false",
    )


async def closed_loop(
    api: FakeBotAPI, users: list[u.TgUser], per_user: int, make: object
) -> list[float]:
    latencies: list[float] = []

    async def one(user: u.TgUser) -> None:
        for n in range(per_user):
            since = api.mark()
            started = time.monotonic()
            api.inject(make(user, n))  # type: ignore[operator]
            message = await reply(api, user.id, since)
            latencies.append(message.time - started)

    await asyncio.gather(*(one(user) for user in users))
    return latencies


async def measure(
    pid: int,
    api: FakeBotAPI,
    users: list[u.TgUser],
    updates: int,
    make: object,
    spy: Path | None = None,
    spy_idle: bool = False,
) -> dict[str, float]:
    spy_process = None
    if spy is not None:
        spy_format = {".svg": "flamegraph", ".json": "speedscope"}.get(spy.suffix, "raw")
        spy_process = await asyncio.create_subprocess_exec(
            shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--threads",
            *(["--idle"] if spy_idle else []),
            "--rate",
            "250",
            "--format",
            spy_format,
            "--output",
            str(spy),
            stdout=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(1.0)  # py-spy attaches
    per_user = max(1, updates // len(users))
    calls_before = api.mark_calls()
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    latencies = await closed_loop(api, users, per_user, make)
    cpu_after, wall_after = cpu_seconds(pid), time.monotonic()
    polls = sum(1 for c in api.calls[calls_before:] if c.method == "getUpdates")
    if spy_process is not None:
        spy_process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        await spy_process.wait()
    count = per_user * len(users)
    return {
        "updates": count,
        "cpu_ms": (cpu_after - cpu_before) * 1000 / count,
        "seconds": wall_after - wall_before,
        "per_second": count / (wall_after - wall_before),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "polls": polls / count,
    }


async def run_echo(users: int, updates: int, tmp: Path) -> dict[str, float]:
    people = [u.TgUser(id=810_000 + n, first_name=f"E{n}") for n in range(users)]
    async with FakeBotAPI() as api:
        env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            ECHO_TOKEN=api.token,
            ECHO_BASE_URL=api.base_url,
            TELEGRAM_RATE_LIMIT="false",
        )
        process = await start_process([str(ROOT / "bench" / "echo_bot.py")], env, tmp)
        try:
            await closed_loop(api, people[:1], 20, lambda p, n: u.text_message(p, f"warm {n}"))
            return await measure(
                process.pid, api, people, updates, lambda p, n: u.text_message(p, f"echo {n}")
            )
        finally:
            process.terminate()
            await process.wait()


async def run_duban(
    users: int, updates: int, tmp: Path, database: str, spy: Path | None, spy_idle: bool
) -> dict[str, float]:
    people = [u.TgUser(id=800_000 + n, first_name=f"L{n}") for n in range(users)]
    async with BenchDatabase(database, tmp) as url:
        await prepare_database(url, people)
        async with FakeBotAPI() as api:
            process = await start_process(["-m", "bot"], duban_env(api, url, tmp), tmp)
            try:
                # Warm-up: imports, caches and connections, as after a minute in production.
                await closed_loop(api, people, 5, lambda p, n: u.command(p, "/items"))
                return await measure(
                    process.pid,
                    api,
                    people,
                    updates,
                    lambda p, n: u.command(p, "/items"),
                    spy,
                    spy_idle,
                )
            finally:
                process.send_signal(signal.SIGINT)
                await process.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite,postgres")
    parser.add_argument("--py-spy", type=Path, help="profile Duban's process into this file")
    parser.add_argument(
        "--py-spy-idle", action="store_true", help="sample waiting threads too (wall time)"
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    rows = [
        "| database | bot | updates | CPU ms / update | updates/s | p50 ms | p95 ms "
        "| getUpdates / update |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    notes = []
    for database in [d for d in args.databases.split(",") if d]:
        with tempfile.TemporaryDirectory() as folder:
            echo = await run_echo(args.users, args.updates, Path(folder))
        with tempfile.TemporaryDirectory() as folder:
            spy = args.py_spy
            if spy is not None and database != "sqlite":
                spy = spy.with_name(f"{spy.stem}-{database}{spy.suffix}")
            duban = await run_duban(
                args.users, args.updates, Path(folder), database, spy, args.py_spy_idle
            )
        for name, f in (("Duban /items", duban), ("bare PTB echo", echo)):
            rows.append(
                f"| {database if name.startswith('Duban') else '—'} | {name} | "
                f"{f['updates']:.0f} | {f['cpu_ms']:.2f} | {f['per_second']:.1f} | "
                f"{f['p50_ms']:.0f} | {f['p95_ms']:.0f} | {f['polls']:.2f} |"
            )
        notes.append(
            f"{database}: Duban spends {duban['cpu_ms'] / echo['cpu_ms']:.1f} x the echo bot's "
            f"CPU per update ({duban['cpu_ms']:.2f} vs {echo['cpu_ms']:.2f} ms; target ≤ 3 x)."
        )
    table = "\n".join(rows) + "\n\n" + "\n".join(notes)
    table += (
        f"\n\n{args.users} users in closed loops, rate limiter off, CPU = user + system of the "
        "bot process from /proc/PID/stat (`bench/cpu_per_update.py`)."
    )
    print(table)
    if not args.no_record:
        write_results("CPU per update", table + "\n\n" + machine_details())


if __name__ == "__main__":
    asyncio.run(main())
