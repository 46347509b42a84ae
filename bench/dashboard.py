"""The dashboard's /api/ endpoints on a large campaign: wall time, SQL statements, size.

    .venv/bin/python bench/dashboard.py [--departments 1000] [--reports 1000000]
                                        [--database postgres|sqlite] [--no-record]
                                        [--url DATABASE_URL]

A fresh database is migrated and filled by bench/scale_data.py (1 campaign, 100 items,
DEPARTMENTS x 100 bindings, REPORTS reports with values, evidence rows and reviews); one
evidence row gets a real JPEG in a temporary evidence store. Then the dashboard's aiohttp
application (bot.webapp.server.build_web_app) is served on a free local port and every
/api/ endpoint is requested over HTTP as the synthetic leader (initData signed with the
bench's token): once cold, then three times warm (the median is reported). The SQL
statements of the last warm request are counted with a before_cursor_execute listener.
Prints one line per endpoint and appends a table to bench/RESULTS.md (unless --no-record).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_details, pg_execute, write_results  # noqa: E402

POSTGRES_URL = os.environ.get(
    "DUBAN_BENCH_POSTGRES_URL",
    os.environ.get("DUBAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
)
TOKEN = "123456789:AABenchDashboardToken_0123456789abcd"
LEADER_TG = 1_000_002
WARM_RUNS = 3


async def _pg_admin(sql: str) -> None:
    await pg_execute(POSTGRES_URL, sql)


async def prepare_evidence(url: str, store: Path) -> tuple[int, int]:
    """(binding id, evidence id) of a report with a photo; the photo written to the store."""
    from PIL import Image
    from sqlalchemy import select

    from storage.db import Database
    from storage.models import Evidence, Report

    db = Database(url)
    try:
        async with db.session() as session:
            row = (
                await session.execute(
                    select(Report.binding_id, Evidence.id, Evidence.stored_path)
                    .join(Report, Report.id == Evidence.report_id)
                    .where(Evidence.kind == "photo")
                    .order_by(Evidence.id)
                    .limit(1)
                )
            ).one()
    finally:
        await db.close()
    path = store / row[2]
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), "#3a7d44").save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return int(row[0]), int(row[1])


async def measure(url: str, fixtures: dict[str, Any], store: Path) -> list[dict[str, Any]]:
    import aiohttp
    from aiohttp import web
    from sqlalchemy import event

    from bot.webapp.auth import sign_link
    from bot.webapp.server import build_web_app
    from core.reporting.evidence import EvidenceStore
    from handlers.base import Services
    from runtime.config import Settings
    from storage.db import Database
    from tests.support.updates import TgUser
    from tests.support.webapp import signed_init_data

    binding_id, evidence_id = await prepare_evidence(url, store)
    settings = Settings(telegram_bot_token=TOKEN, database_url=url, evidence_dir=store)
    db = Database(url)
    services = Services(settings=settings, db=db, evidence_store=EvidenceStore(store))
    statements: list[str] = []
    event.listen(
        db.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: statements.append(statement),
    )
    runner = web.AppRunner(build_web_app(services), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    auth = {"Authorization": "tma " + signed_init_data(TgUser(LEADER_TG, "领导"), TOKEN)}
    link = urlencode(sign_link(evidence_id, "thumb", LEADER_TG, TOKEN, now=services.clock()))
    endpoints = [
        ("/api/me", "/api/me"),
        ("/api/overview", "/api/overview?limit=30"),
        ("/api/weekly", "/api/weekly"),
        ("/api/departments/{id}", f"/api/departments/{fixtures['dept_id']}"),
        ("/api/items/{code}", f"/api/items/{fixtures['item_code']}?limit=50"),
        ("/api/overdue", "/api/overdue?limit=50"),
        ("/api/overdue (last page)", "/api/overdue?offset=1000000&limit=50"),
        ("/api/bindings/{id}/reports", f"/api/bindings/{binding_id}/reports"),
        ("/api/evidence/{id}/thumb", f"/api/evidence/{evidence_id}/thumb?{link}"),
        ("/api/evidence/{id}/file", f"/api/evidence/{evidence_id}/file"),
    ]
    results: list[dict[str, Any]] = []
    try:
        async with aiohttp.ClientSession() as client:

            async def fetch(path: str) -> tuple[float, int, int]:
                started = time.perf_counter()
                async with client.get(base + path, headers=auth) as response:
                    body = await response.read()
                    return time.perf_counter() - started, response.status, len(body)

            for label, path in endpoints:
                cold, status, _ = await fetch(path)
                warm: list[float] = []
                for _ in range(WARM_RUNS):
                    statements.clear()
                    seconds, status, size = await fetch(path)
                    warm.append(seconds)
                results.append(
                    {
                        "endpoint": label,
                        "status": status,
                        "cold": cold,
                        "warm": statistics.median(warm),
                        "sql": len(statements),
                        "bytes": size,
                    }
                )
                row = results[-1]
                print(
                    f"{label:32} HTTP {status}  cold {cold:.3f} s  warm {row['warm']:.3f} s"
                    f"  SQL {row['sql']}  {size} bytes",
                    flush=True,
                )
    finally:
        await runner.cleanup()
        await db.close()
    return results


async def run(args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    from bench.scale_data import load
    from storage.db import upgrade_database

    with tempfile.TemporaryDirectory(prefix="duban-dash-bench-") as tmp:
        if args.url:
            # An already filled database (bench/scale_data.py), for repeated measurements.
            from sqlalchemy import func, select

            from storage.db import Database
            from storage.models import Binding, Department, Evidence, Report

            db = Database(args.url)
            async with db.session() as session:
                rows = {
                    "department": await session.scalar(select(func.count(Department.id))),
                    "binding": await session.scalar(select(func.count(Binding.id))),
                    "report": await session.scalar(select(func.count(Report.id))),
                    "evidence": await session.scalar(select(func.count(Evidence.id))),
                }
            await db.close()
            loaded = {
                "rows": rows,
                "fixtures": {
                    "dept_id": max(1, int(rows["department"] or 0) // 2),
                    "item_code": "G1",
                },
            }
            results = await measure(args.url, loaded["fixtures"], Path(tmp) / "evidence")
            return results, loaded, args.url.split("+")[0]
        if args.database == "postgres":
            from sqlalchemy.engine import make_url

            name = f"duban_dash_bench_{uuid.uuid4().hex[:8]}"
            await _pg_admin(f'CREATE DATABASE "{name}"')
            url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        else:
            name = ""
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        try:
            await asyncio.to_thread(upgrade_database, url)
            loaded = await load(url, args.departments, args.reports, 1)
            print(f"data: {loaded['rows']} in {loaded['load_seconds']} s", flush=True)
            results = await measure(url, loaded["fixtures"], Path(tmp) / "evidence")
        finally:
            if name:
                await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results, loaded, url.split("+")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--url", help="measure an already filled database instead")
    args = parser.parse_args()
    results, loaded, database = asyncio.run(run(args))
    rows = loaded["rows"]
    lines = [
        "| endpoint | HTTP | cold s | warm s (median of 3) | SQL statements | bytes |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {r['endpoint']} | {r['status']} | {r['cold']:.3f} | {r['warm']:.3f} | {r['sql']} "
            f"| {r['bytes']} |"
            for r in results
        ),
        "",
        f"{database}: {rows.get('department')} departments, {rows.get('binding')} bindings, "
        f"{rows.get('report')} reports, {rows.get('evidence')} evidence rows; requests over "
        "HTTP to the dashboard's aiohttp app as the leader (`python bench/dashboard.py`).",
        "",
        machine_details(),
    ]
    slow = [r["endpoint"] for r in results if r["warm"] >= 1.0 or r["status"] != 200]
    if slow:
        lines.append(f"\nOver 1 s or not 200: {', '.join(slow)}.")
    if not args.no_record:
        write_results("dashboard", "\n".join(lines))
    print("\n".join(lines))
    raise SystemExit(1 if slow else 0)


if __name__ == "__main__":
    main()
