"""The morning rush by INTAKE_CONCURRENCY (issue 19): N liaisons each send one photo
report at the same moment,
with the Bot API `--latency` seconds away (every call and every file download).

    .venv/bin/python bench/burst_concurrency.py [--liaisons 60] [--latency 0.15]
        [--concurrency 1,4,8,16] [--databases sqlite,postgres] [--no-record]

`python -m bot` runs as its own process (polling through the durable inbox) against the
project's stand-in Bot API; each liaison's photo is a distinct JPEG-typed file, and a
report counts once its "recorded" reply arrived (checked by its caption's mark). The
figures are the time from the burst to each liaison's "recorded": median, p95, last;
one line per INTAKE_CONCURRENCY. Appended to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_details, percentile, write_results  # noqa: E402
from bench.throughput import BenchDatabase, prepare_database, reply, start_process  # noqa: E402
from tests.support import updates as u  # noqa: E402
from tests.support.botapi import FakeBotAPI  # noqa: E402

JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
MARK = re.compile(r"burst-(\d+)")


async def one_run(
    liaisons: int, latency: float, concurrency: int, database: str, tmp: Path
) -> dict[str, float]:
    people = [u.TgUser(id=810_000 + n, first_name=f"L{n}") for n in range(liaisons)]
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
                EVIDENCE_DIR=str(tmp / f"evidence-{database}-{concurrency}"),
                LOG_LEVEL="WARNING",
                INTAKE_CONCURRENCY=str(concurrency),
            )
            process = await start_process(["-m", "bot"], env, tmp)
            try:
                warm = u.TgUser(id=809_999, first_name="warm")
                since = api.mark()
                api.inject(u.command(warm, "/start"))
                await reply(api, warm.id, since, timeout=120)
                calls = 20 * liaisons
                api.delay("*", latency, times=calls)
                api.delay("download", latency, times=calls)
                since = api.mark()
                started = time.monotonic()
                for n, person in enumerate(people):
                    ref = api.add_file(JPEG + f"burst-{n}".encode(), mime_type="image/jpeg")
                    api.inject(u.photo_message(person, ref, caption=f"#G2 推进中 burst-{n}"))
                latencies: list[float] = []
                for person in people:
                    got = await api.wait_for(
                        lambda m: "已记录" in (m.plain_text or ""),
                        chat_id=person.id,
                        since=since,
                        timeout=300,
                    )
                    assert MARK.search(got.plain_text or ""), got.plain_text
                    latencies.append(got.time - started)
                api.clear_faults()
            finally:
                process.send_signal(signal.SIGINT)
                await process.wait()
    latencies.sort()
    return {
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "last": latencies[-1],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--liaisons", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--concurrency", default="1,4,8,16")
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    lines = [
        f"{args.liaisons} liaisons, one photo report each at once, Bot API "
        f"{args.latency * 1000:.0f} ms away (each call and download); seconds from the "
        'burst to each "recorded".',
        "",
        "| database | INTAKE_CONCURRENCY | median | p95 | last |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for database in args.databases.split(","):
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                got = await one_run(args.liaisons, args.latency, concurrency, database, Path(tmp))
                line = (
                    f"| {database} | {concurrency} | {got['p50']:.2f} | {got['p95']:.2f} "
                    f"| {got['last']:.2f} |"
                )
                print(line, flush=True)
                lines.append(line)
    lines += ["", machine_details()]
    body = "\n".join(lines)
    print(body)
    if not args.no_record:
        write_results("Morning rush: photo reports at once (issue 19)", body)


if __name__ == "__main__":
    asyncio.run(main())
