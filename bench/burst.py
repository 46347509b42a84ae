"""The morning rush: 60 liaisons each send one photo report at the same moment.

    .venv/bin/python bench/burst.py                          # SQLite, Bot API 150 ms away
    .venv/bin/python bench/burst.py --databases sqlite,postgres --latency-ms 150,0
    .venv/bin/python bench/burst.py --concurrency 4,8,16     # INTAKE_CONCURRENCY, one run each

Duban runs as its own process (`python -m bot`, polling through the durable inbox)
against the project's stand-in Bot API (tests/support/botapi.py). With `--latency-ms`
above 0 every Bot API call (getUpdates included) and every file download is held that
long by the server before it is answered, as a host far from Telegram sees it.

Each liaison (one Telegram user and chat, spread over five departments) sends one photo
captioned `#G2 推进中 …`: a real JPEG made with Pillow (640×480, its own noise, so no
two files are alike). All 60 are put in the server's queue at the same instant; the time
to "recorded" of each liaison is from that instant to the bot's reply in its chat (which
Duban sends only after the commit). Afterwards every report is checked in the database:
one report per photo message (`report.source_chat_id/source_message_id`) with one photo
evidence whose sha256 is that of the JPEG sent. A missing one fails the run.

`--concurrency` sets the bot's INTAKE_CONCURRENCY (default: the bot's own default), one
run per value: how the default was chosen (README, "Several chats at once").

Prints median / p95 / max and appends them to bench/RESULTS.md (unless --no-record).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import os
import random
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

EVERY_CALL = 10**9  # the stand-in server's delays are counted; this one never runs out


def jpeg(seed: int) -> bytes:
    from PIL import Image

    rng = random.Random(seed)
    image = Image.effect_noise((640, 480), 40 + seed % 20).convert("RGB")
    tint = Image.new("RGB", image.size, (rng.randrange(256), rng.randrange(256), 128))
    out = io.BytesIO()
    Image.blend(image, tint, 0.4).save(out, format="JPEG", quality=80)
    return out.getvalue()


async def recorded_reports(url: str) -> dict[tuple[int, int], set[str]]:
    """(chat, message) of each recorded report -> the sha256 of its evidence."""
    from sqlalchemy import select

    from storage.db import Database
    from storage.models import Evidence, Report

    db = Database(url)
    try:
        async with db.session() as session:
            rows = (
                await session.execute(
                    select(Report.source_chat_id, Report.source_message_id, Evidence.sha256)
                    .join(Evidence, Evidence.report_id == Report.id)
                    .where(Evidence.kind == "photo")
                )
            ).all()
    finally:
        await db.close()
    found: dict[tuple[int, int], set[str]] = {}
    for chat_id, message_id, sha in rows:
        found.setdefault((int(chat_id), int(message_id)), set()).add(sha)
    return found


async def burst(
    liaisons: int,
    latency_ms: int,
    database: str,
    tmp: Path,
    reply_within: float,
    concurrency: int | None = None,
) -> dict[str, float]:
    people = [u.TgUser(id=820_000 + n, first_name=f"B{n}") for n in range(liaisons)]
    files = [jpeg(n) for n in range(liaisons)]
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
            )
            if concurrency is not None:
                env["INTAKE_CONCURRENCY"] = str(concurrency)
            process = await start_process(["-m", "bot"], env, tmp)
            try:
                warm = u.TgUser(id=819_999, first_name="warm")
                since = api.mark()
                api.inject(u.command(warm, "/start"))
                await reply(api, warm.id, since, timeout=120)
                await asyncio.sleep(1.0)  # the worker is idle, the receiver in its long poll
                if latency_ms:
                    api.delay("*", latency_ms / 1000, times=EVERY_CALL)  # calls and downloads
                    api.delay("getUpdates", latency_ms / 1000, times=EVERY_CALL)
                refs = [
                    api.add_file(content, mime_type="image/jpeg", kind="photo") for content in files
                ]
                since = api.mark()
                updates = [
                    u.photo_message(
                        person, ref, caption=f"#G2 推进中 早报 {n}", width=640, height=480
                    )
                    for n, (person, ref) in enumerate(zip(people, refs, strict=True))
                ]
                started = time.monotonic()
                api.inject_many(updates)
                replies = await asyncio.gather(
                    *(reply(api, person.id, since, timeout=reply_within) for person in people)
                )
                waits = [message.time - started for message in replies]
            finally:
                process.send_signal(signal.SIGINT)
                await process.wait()
        found = await recorded_reports(url)
    expected = {
        (int(update["message"]["chat"]["id"]), int(update["message"]["message_id"])): (
            hashlib.sha256(content).hexdigest()
        )
        for update, content in zip(updates, files, strict=True)
    }
    missing = [key for key, sha in expected.items() if found.get(key) != {sha}]
    if missing:
        raise SystemExit(f"{len(missing)} of {liaisons} reports not recorded as sent: {missing}")
    return {
        "median_s": percentile(waits, 50),
        "p95_s": percentile(waits, 95),
        "max_s": max(waits),
        "jpeg_kib": sum(len(f) for f in files) / len(files) / 1024,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--liaisons", type=int, default=60)
    parser.add_argument("--latency-ms", default="150", help="Bot API delay(s), e.g. 150,0")
    parser.add_argument("--databases", default="sqlite", help="sqlite,postgres")
    parser.add_argument("--timeout", type=float, default=300, help="per reply, seconds")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument(
        "--concurrency", default="", help="INTAKE_CONCURRENCY value(s), e.g. 4,8,16"
    )
    args = parser.parse_args()
    settings: list[int | None] = [int(c) for c in args.concurrency.split(",") if c] or [None]
    rows = [
        "| database | Bot API latency | INTAKE_CONCURRENCY | liaisons | median s | p95 s "
        "| max s | recorded |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    size = 0.0
    for database in [d for d in args.databases.split(",") if d]:
        for latency in [int(x) for x in args.latency_ms.split(",") if x]:
            for concurrency in settings:
                with tempfile.TemporaryDirectory() as folder:
                    f = await burst(
                        args.liaisons, latency, database, Path(folder), args.timeout, concurrency
                    )
                size = f["jpeg_kib"]
                rows.append(
                    f"| {database} | {latency} ms | {concurrency or 'default'} "
                    f"| {args.liaisons} | {f['median_s']:.2f} | {f['p95_s']:.2f} "
                    f"| {f['max_s']:.2f} | all {args.liaisons}, checked |"
                )
                print(rows[-1], flush=True)
    table = "\n".join(rows) + (
        f'\n\nTime from the burst to each liaison\'s "recorded" reply; one photo report each '
        f"(real JPEG, {size:.0f} KiB on average), every report and its evidence checked in the "
        "database afterwards (`bench/burst.py`). Target: p95 ≤ 4 s at 150 ms."
    )
    print(table)
    if not args.no_record:
        write_results("morning burst", table + "\n\n" + machine_details())


if __name__ == "__main__":
    asyncio.run(main())
