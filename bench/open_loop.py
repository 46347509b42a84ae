"""Latency at a fixed arrival rate below capacity (open loop): /items at R per second.

    .venv/bin/python bench/open_loop.py                                # SQLite, 10/s, 40 s
    .venv/bin/python bench/open_loop.py --databases sqlite,postgres --rate 10 --seconds 40

Duban runs as its own process (`python -m bot`, the durable inbox) against the stand-in
Bot API on loopback, rate limiter off. Unlike bench/throughput.py's closed loops (a user
waits for a reply before the next message, so a slow bot is offered less work), updates
arrive on a fixed schedule whatever the bot does: `--rate` /items per second spread over
`--users` liaisons (round robin), for `--seconds`. Each update's latency is from its
injection to the bot's reply in that chat (replies in a chat are matched to requests in
order). Keep the rate below the closed-loop capacity (bench/cpu_per_update.py prints
updates/s); at or above it the queue grows and the p95 only measures the run's length.
Also prints the bot process's CPU per update (/proc/PID/stat).

The table is printed and appended to bench/RESULTS.md (unless --no-record).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_details, percentile, write_results  # noqa: E402
from bench.cpu_per_update import cpu_seconds, duban_env  # noqa: E402
from bench.throughput import BenchDatabase, prepare_database, reply, start_process  # noqa: E402
from tests.support import updates as u  # noqa: E402
from tests.support.botapi import FakeBotAPI  # noqa: E402


async def open_loop(
    api: FakeBotAPI, people: list[u.TgUser], rate: float, seconds: float
) -> tuple[list[float], float]:
    """Inject /items on schedule; the latencies, and the time the last reply came."""
    sent: dict[int, collections.deque[float]] = {p.id: collections.deque() for p in people}
    expected: collections.Counter[int] = collections.Counter()
    latencies: list[float] = []
    since = api.mark()
    total = int(rate * seconds)

    async def read_replies(person: u.TgUser) -> None:
        for _ in range(expected[person.id]):
            message = await reply(api, person.id, since, timeout=300)
            latencies.append(message.time - sent[person.id].popleft())

    for n in range(total):
        expected[people[n % len(people)].id] += 1
    readers = [asyncio.create_task(read_replies(p)) for p in people if expected[p.id]]
    started = time.monotonic()
    for n in range(total):
        due = started + n / rate
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        person = people[n % len(people)]
        sent[person.id].append(time.monotonic())
        api.inject(u.command(person, "/items"))
    await asyncio.gather(*readers)
    return latencies, time.monotonic() - started


async def run(database: str, rate: float, seconds: float, users: int) -> dict[str, float]:
    people = [u.TgUser(id=840_000 + n, first_name=f"O{n}") for n in range(users)]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        async with BenchDatabase(database, tmp) as url:
            await prepare_database(url, people)
            async with FakeBotAPI() as api:
                process = await start_process(["-m", "bot"], duban_env(api, url, tmp), tmp)
                try:
                    for person in people[:20]:  # warm: imports, caches, connections
                        since = api.mark()
                        api.inject(u.command(person, "/items"))
                        await reply(api, person.id, since, timeout=120)
                    cpu_before = cpu_seconds(process.pid)
                    latencies, elapsed = await open_loop(api, people, rate, seconds)
                    cpu = cpu_seconds(process.pid) - cpu_before
                finally:
                    process.send_signal(signal.SIGINT)
                    await process.wait()
    count = len(latencies)
    return {
        "updates": count,
        "offered": rate,
        "achieved": count / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000,
        "cpu_ms": cpu * 1000 / count,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="/items per second")
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--databases", default="sqlite", help="sqlite,postgres")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    rows = [
        "| database | offered /s | achieved /s | updates | p50 ms | p95 ms | p99 ms | max ms "
        "| CPU ms / update |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for database in [d for d in args.databases.split(",") if d]:
        f = await run(database, args.rate, args.seconds, args.users)
        rows.append(
            f"| {database} | {f['offered']:.1f} | {f['achieved']:.1f} | {f['updates']:.0f} | "
            f"{f['p50_ms']:.0f} | {f['p95_ms']:.0f} | {f['p99_ms']:.0f} | {f['max_ms']:.0f} | "
            f"{f['cpu_ms']:.2f} |"
        )
    table = "\n".join(rows) + (
        f"\n\n/items at a fixed rate for {args.seconds:.0f} s over {args.users} liaisons (open "
        "loop), rate limiter off, latency = injection to reply (`bench/open_loop.py`)."
    )
    print(table)
    if not args.no_record:
        write_results("open loop", table + "\n\n" + machine_details())


if __name__ == "__main__":
    asyncio.run(main())
