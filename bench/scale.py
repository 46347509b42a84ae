"""Duban's screens on a large campaign, on SQLite and PostgreSQL: time, memory and the
number of SQL statements, at two scales (the statement counts must not differ).

    .venv/bin/python bench/scale.py [--departments 1000] [--reports 1000000]
                                    [--databases sqlite,postgres] [--quick] [--no-record]
                                    [--screens status,dept,...] [--json PATH]
                                    [--keep DIR]

For each database and each scale (the full one, and a small one of a tenth the
departments and reports) a fresh database is migrated and filled by bench/scale_data.py
(1 campaign, 100 items, DEPARTMENTS x 100 bindings, REPORTS reports with values,
evidence rows and reviews); then each screen runs in its own process, calling the
domain functions its handler (or the CLI) calls, without Telegram:

    /status      load_actor, active_campaign, campaign_overview
    /dept NAME   load_actor, find_department, department_items
    /items       load_actor, department_items (the liaison's department)
    /item CODE   load_actor, active_campaign, item_bindings, departments
    /overdue     load_actor, active_campaign, overdue_slice (its first page, as sent)
    digest       get_setting + build_digest as `python -m bot digest --print` (no chart)
    digest+chart build_digest as the scheduled job calls it (chart rendered)
    export       load_actor, open_export, write_export (a temporary .xlsx, streamed)

Each screen runs three times in a fresh session: cold, warm (its wall time is the one
reported), then once under tracemalloc (its Python peak is reported; tracemalloc slows
that run, so it is not timed). The export runs once, untraced (its cold cost is noise
against its minute, and tracemalloc would slow its pure-Python writer several times):
its memory is the peak RSS of the process. "RSS" is the process's peak resident set
(getrusage ru_maxrss) after the warm run, from a process that did only that screen
(about 100-150 MiB of it is the interpreter and imports: see the base column). The SQL
statements are counted with a before_cursor_execute listener; the script exits 1 if a
screen's count differs between the two scales, and says which.
PostgreSQL is reached through DUBAN_BENCH_POSTGRES_URL (default: DUBAN_TEST_POSTGRES_URL
or the local server's `test` database); a database is created and dropped per run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_details, pg_execute, write_results  # noqa: E402

POSTGRES_URL = os.environ.get(
    "DUBAN_BENCH_POSTGRES_URL",
    os.environ.get("DUBAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
)
SCREENS = ("status", "dept", "items", "item", "overdue", "digest", "digest_chart", "export")
LABELS = {
    "status": "/status",
    "dept": "/dept NAME",
    "items": "/items",
    "item": "/item CODE (extra)",
    "overdue": "/overdue (extra)",
    "digest": "digest (CLI --print)",
    "digest_chart": "digest + chart (scheduled)",
    "export": "export .xlsx (streamed; RSS: the whole export)",
}
TZ = ZoneInfo("Asia/Shanghai")
DIGEST_AT = dt.time(9, 0)
SILENT_DAYS = 14
ADMIN_TG, LEADER_TG = 1_000_001, 1_000_002
WORKER_TIMEOUT = 3600


# ---------------------------------------------------------------- the screens (worker side)


async def screen_status(session: Any, fx: dict[str, Any], info: dict[str, Any]) -> None:
    from core.oversight.overview import campaign_overview
    from core.people.actors import load_actor
    from storage import repositories as repo

    await load_actor(session, LEADER_TG, admin_ids=frozenset(), default_locale="zh")
    campaign = await repo.active_campaign(session)
    assert campaign is not None
    overview = await campaign_overview(session, campaign)
    info["departments"] = len(overview.departments)
    info["bindings"] = overview.totals.total


async def screen_dept(session: Any, fx: dict[str, Any], info: dict[str, Any]) -> None:
    from core.people.actors import load_actor
    from core.people.sql import find_department
    from core.reporting import reports

    await load_actor(session, LEADER_TG, admin_ids=frozenset(), default_locale="zh")
    choice = await find_department(session, fx["dept_query"])
    assert choice.found is not None, f"{fx['dept_query']} matched {len(choice.candidates)}"
    views = await reports.department_items(session, choice.found.id)
    info["items"] = len(views)


async def screen_items(session: Any, fx: dict[str, Any], info: dict[str, Any]) -> None:
    from core.people.actors import load_actor
    from core.reporting import reports

    actor = await load_actor(
        session, fx["liaison_tg_id"], admin_ids=frozenset(), default_locale="zh"
    )
    assert actor.department_id is not None
    views = await reports.department_items(session, actor.department_id)
    info["items"] = len(views)


async def screen_item(session: Any, fx: dict[str, Any], info: dict[str, Any]) -> None:
    from core.people.actors import load_actor
    from core.reporting import reports
    from storage import repositories as repo

    await load_actor(session, LEADER_TG, admin_ids=frozenset(), default_locale="zh")
    campaign = await repo.active_campaign(session)
    views = await reports.item_bindings(session, fx["item_code"])
    names = await repo.departments(session, campaign.id)  # type: ignore[union-attr]
    info["bindings"] = len(views)
    info["departments"] = len(names)


async def screen_overdue(session: Any, fx: dict[str, Any], info: dict[str, Any]) -> None:
    from core.oversight.overview import OVERDUE_PAGE, overdue_slice
    from core.people.actors import load_actor
    from core.status.day import read_day
    from core.status.model import Rules
    from storage import repositories as repo

    await load_actor(session, LEADER_TG, admin_ids=frozenset(), default_locale="zh")
    campaign = await repo.active_campaign(session)
    assert campaign is not None
    now = dt.datetime.now(dt.UTC)
    rules = Rules(TZ, yellow_days=7, silent_days=SILENT_DAYS)
    day = await read_day(session, campaign, now.astimezone(TZ).date(), rules)
    found = await overdue_slice(session, campaign, day=day, limit=OVERDUE_PAGE)
    info["entries"] = found.total
    info["shown"] = len(found.rows)


async def _digest(session: Any, *, cli: bool, info: dict[str, Any], run: str) -> None:
    from core.digest.data import OFFICE_CHAT_KEY
    from core.digest.messages import build_digest, to_plain
    from core.status.day import Reading
    from core.status.model import Rules
    from storage import repositories as repo

    now = dt.datetime.now(dt.UTC)
    chat = await repo.get_setting(session, OFFICE_CHAT_KEY)
    built = await build_digest(
        session,
        chat_id=int(chat) if chat else None,
        local_date=now.astimezone(TZ).date(),
        reading=Reading(now, Rules(TZ, 7, SILENT_DAYS)),
        at=DIGEST_AT,
        locale="zh",
        **({"with_chart": False, "always_chart": True} if cli else {}),
    )
    texts = [to_plain(t) for t in built.texts] if cli else built.texts
    if run == "cold":
        # Which sections make the digest long (computed again here, outside the warm run).
        from core.digest.messages import digest_sections
        from core.text.i18n import translator

        info["sections"] = {
            to_plain(section).split("\n", 1)[0][:24]: len(section)
            for section in digest_sections(built.data, translator("zh"), TZ)
        }
    info["messages"] = len(texts)
    info["chars"] = sum(len(t) for t in texts)
    info["window_reports"] = built.data.report_count
    chart = built.chart
    if chart is not None:
        # PNG IHDR: width and height, big-endian, at bytes 16..24.
        info["chart_px"] = (
            f"{int.from_bytes(chart[16:20], 'big')}x{int.from_bytes(chart[20:24], 'big')}"
        )
        info["chart_bytes"] = len(chart)


async def screen_digest(session: Any, fx: dict[str, Any], info: dict[str, Any]) -> None:
    await _digest(session, cli=True, info=info, run=fx["run"])


async def screen_digest_chart(session: Any, fx: dict[str, Any], info: dict[str, Any]) -> None:
    await _digest(session, cli=False, info=info, run=fx["run"])


async def screen_export(session: Any, fx: dict[str, Any], info: dict[str, Any]) -> None:
    from core.export.gather import open_export
    from core.export.run import write_export
    from core.people.actors import load_actor
    from core.status.day import Reading
    from core.status.model import Rules

    await load_actor(session, ADMIN_TG, admin_ids=frozenset(), default_locale="zh")
    started = time.perf_counter()
    source = await open_export(session, None)
    opened = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "export.xlsx"
        reading = Reading(dt.datetime.now(dt.UTC), Rules(TZ, 7, SILENT_DAYS))
        await write_export(source, path, reading)
        info["xlsx_mib"] = round(path.stat().st_size / 2**20, 1)
    # Reading and writing overlap (rows are streamed): only the opening is apart.
    info["open_s"] = round(opened - started, 3)
    info["stream_write_s"] = round(time.perf_counter() - opened, 3)
    info["reports"] = source.counts.reports
    info["evidence"] = source.counts.evidence


SCREEN_FUNCTIONS: dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Awaitable[None]]] = {
    "status": screen_status,
    "dept": screen_dept,
    "items": screen_items,
    "item": screen_item,
    "overdue": screen_overdue,
    "digest": screen_digest,
    "digest_chart": screen_digest_chart,
    "export": screen_export,
}


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def measure(url: str, screen: str, fx: dict[str, Any]) -> dict[str, Any]:
    """Cold, warm and traced runs of one screen, each in its own session."""
    import matplotlib.backends.backend_agg
    import matplotlib.figure  # noqa: F401
    from sqlalchemy import event, text

    import core.digest.chart
    import core.digest.messages
    import core.export.sheets  # noqa: F401
    from storage.db import Database

    db = Database(url)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split())[:160])

    try:
        async with db.session() as session:  # connect and initialise the dialect first
            await session.execute(text("SELECT 1"))
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        function = SCREEN_FUNCTIONS[screen]
        result: dict[str, Any] = {"screen": screen, "rss_base_mib": round(rss_mib(), 1)}
        # The export runs once, untraced: its cold cost (compiling eight statements, well
        # under a second) is noise against its minute, and tracemalloc would slow the
        # writer (pure Python) several times; its memory is the process's peak RSS.
        runs = ("warm",) if screen == "export" else ("cold", "warm", "traced")
        result["py_peak_mib"] = None
        result["cold_s"] = result["cold_statements"] = None
        cold_info: dict[str, Any] = {}
        for run in runs:
            statements.clear()
            info: dict[str, Any] = {}
            if run == "traced":
                tracemalloc.start()
            started = time.perf_counter()
            async with db.session() as session:
                await function(session, dict(fx, run=run), info)
            elapsed = time.perf_counter() - started
            if run == "traced":
                result["py_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
                result["traced_s"] = round(elapsed, 3)
                tracemalloc.stop()
            else:
                result[f"{run}_s"] = round(elapsed, 4)
                result[f"{run}_statements"] = len(statements)
            if run == "cold":
                cold_info = info
            if run == "warm":
                result["rss_peak_mib"] = round(rss_mib(), 1)
                result["statement_texts"] = list(statements)
                result["info"] = {**cold_info, **info}
        result["traced_statements"] = len(statements)
        return result
    finally:
        await db.close()


def worker(args: argparse.Namespace) -> None:
    fixtures = json.loads(args.fixtures)
    print(json.dumps(asyncio.run(measure(args.worker, args.screen, fixtures)), ensure_ascii=False))


# ---------------------------------------------------------------- the run (orchestrator side)


async def _pg_admin(sql: str) -> None:
    await pg_execute(POSTGRES_URL, sql)


def run_json(command: list[str], what: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT,
        check=False,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    if done.returncode != 0:
        raise SystemExit(f"scale: {what} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_scale(
    database: str,
    departments: int,
    reports: int,
    say: Callable[[str], None],
    screens_wanted: Sequence[str] = SCREENS,
    keep: Path | None = None,
) -> dict[str, Any]:
    """Create, fill, measure and drop one database; the figures of every screen.

    With `keep` (a folder), the database is kept after the run and reused by the next
    run of the same scale: the SQLite file and the fixtures live in that folder, the
    PostgreSQL database is named after the scale. Generating and loading a million
    reports takes minutes on a busy machine; the data is the same seeded campaign.
    """
    from sqlalchemy.engine import make_url

    from storage.db import upgrade_database

    with tempfile.TemporaryDirectory(prefix="duban-scale-") as scratch:
        folder = keep if keep is not None else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{database}-{departments}-{reports}"
        saved = folder / f"{stem}.json"
        name = ""
        if database == "sqlite":
            db_file = folder / (f"{stem}.sqlite3" if keep else "scale.sqlite3")
            url = f"sqlite+aiosqlite:///{db_file}"
            reuse = keep is not None and saved.exists() and db_file.exists()
        else:
            name = f"duban_scale_{departments}_{reports}" if keep else ""
            name = name or f"duban_scale_{uuid.uuid4().hex[:10]}"
            reuse = keep is not None and saved.exists()
            if not reuse:
                asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
            url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        try:
            started = time.perf_counter()
            if database == "sqlite" and not reuse:
                db_file.unlink(missing_ok=True)
            upgrade_database(url)
            if reuse:
                loaded = json.loads(saved.read_text())
                say(f"{database} {departments} departments / {reports} reports: reused {stem}")
            else:
                loaded = run_json(
                    [
                        "bench/scale_data.py",
                        url,
                        "--departments",
                        str(departments),
                        "--reports",
                        str(reports),
                    ],
                    f"loading {database}",
                )
                if keep is not None:
                    saved.write_text(json.dumps(loaded))
                say(
                    f"{database} {departments} departments / {reports} reports: generated in "
                    f"{loaded['generate_seconds']} s, loaded in {loaded['load_seconds']} s "
                    f"({time.perf_counter() - started:.0f} s with migrations); "
                    f"rows {loaded['rows']}"
                )
            if database == "sqlite":
                loaded["db_mib"] = round(db_file.stat().st_size / 2**20)
            screens = {}
            for screen in screens_wanted:
                figures = run_json(
                    [
                        "bench/scale.py",
                        "--worker",
                        url,
                        "--screen",
                        screen,
                        "--fixtures",
                        json.dumps(loaded["fixtures"]),
                    ],
                    f"{screen} on {database}",
                )
                say(
                    f"  {LABELS[screen]}: warm {figures['warm_s']:.3f} s "
                    f"(cold {figures['cold_s']} s), {figures['warm_statements']} statements, "
                    f"py peak {figures['py_peak_mib']} MiB, RSS {figures['rss_peak_mib']} MiB; "
                    f"{figures['info']}"
                )
                screens[screen] = figures
            return {
                "departments": departments,
                "reports": reports,
                "load": loaded,
                "screens": screens,
            }
        finally:
            if name and keep is None:
                asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def fmt_s(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def report(results: dict[str, dict[str, dict[str, Any]]]) -> tuple[str, list[str]]:
    """The markdown table, and the screens whose statement count differs between scales."""
    rows = [
        "| database | screen | SQL statements small / full | warm s small | warm s full "
        "| py peak MiB small / full | RSS MiB small / full (base) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    growing: list[str] = []
    notes: list[str] = []
    for database, scales in results.items():
        small, full = scales["small"], scales["full"]
        for screen in small["screens"]:
            s, f = small["screens"][screen], full["screens"][screen]
            counts = f"{s['warm_statements']} / {f['warm_statements']}"
            if s["warm_statements"] != f["warm_statements"]:
                counts += " **grows**"
                growing.append(
                    f"{database} {LABELS[screen]}: {s['warm_statements']} -> {f['warm_statements']}"
                )
            rows.append(
                f"| {database} | {LABELS[screen]} | {counts} "
                f"| {fmt_s(s['warm_s'])} | {fmt_s(f['warm_s'])} "
                f"| {s['py_peak_mib'] or '—'} / {f['py_peak_mib'] or '—'} "
                f"| {s['rss_peak_mib']:.0f} / {f['rss_peak_mib']:.0f} ({f['rss_base_mib']:.0f}) |"
            )
        done = full["screens"]
        parts = []
        if "export" in done:
            export = done["export"]["info"]
            parts.append(
                f"export = open_export {export['open_s']} s + streamed read and write "
                f"{export['stream_write_s']} s ({export['reports']} reports, "
                f"{export['evidence']} evidence rows, {export['xlsx_mib']} MiB .xlsx)"
            )
        if "digest" in done:
            digest = done["digest"]["info"]
            biggest = max(digest.get("sections", {"?": 0}).items(), key=lambda pair: pair[1])
            parts.append(
                f"digest: {digest['window_reports']} reports in the window, "
                f"{digest['messages']} messages, {digest['chars']} characters, the longest "
                f"section “{biggest[0]}” {biggest[1]}"
            )
        if "digest_chart" in done:
            chart = done["digest_chart"]["info"]
            parts.append(
                f"chart {chart.get('chart_px', '—')} px ({chart.get('chart_bytes', 0) // 1024} KiB)"
            )
        parts.append(
            f"data loaded in {full['load']['load_seconds']} s"
            + (f", SQLite file {full['load']['db_mib']} MiB" if "db_mib" in full["load"] else "")
        )
        notes.append(f"{database}, full: " + "; ".join(parts) + ".")
    scales_line = ", ".join(
        f"{db}: small {sc['small']['departments']} departments / "
        f"{sc['small']['departments'] * 100} bindings / {sc['small']['reports']} reports, "
        f"full {sc['full']['departments']} / {sc['full']['departments'] * 100} / "
        f"{sc['full']['reports']}"
        for db, sc in results.items()
    )
    body = (
        "\n".join(rows)
        + "\n\n"
        + "Scales — "
        + scales_line
        + ".\n\n"
        + "\n".join(f"- {n}" for n in notes)
    )
    return body, growing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--small-departments", type=int, help="default: a tenth of --departments")
    parser.add_argument("--small-reports", type=int, help="default: a tenth of --reports")
    parser.add_argument(
        "--quick", action="store_true", help="50 departments and 20,000 reports (small: 10 / 4,000)"
    )
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--screens", default=",".join(SCREENS), help=f"a subset of {','.join(SCREENS)}"
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every figure here")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the databases (SQLite files and fixtures in DIR) and reuse them next time",
    )
    parser.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--screen", choices=SCREENS, help=argparse.SUPPRESS)
    parser.add_argument("--fixtures", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if args.quick:
        args.departments, args.reports = 50, 20_000
        args.small_departments = args.small_departments or 10
        args.small_reports = args.small_reports or 4_000
    small = (
        args.small_departments or max(1, args.departments // 10),
        args.small_reports or args.reports // 10,
    )
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    screens = [name for name in SCREENS if name in args.screens.split(",")]
    if not screens or set(args.screens.split(",")) - set(SCREENS):
        parser.error(f"--screens: choose among {','.join(SCREENS)}")
    for database in databases:
        if database not in ("sqlite", "postgres"):
            parser.error(f"unknown database {database!r}: sqlite, postgres")

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    started = time.perf_counter()
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for database in databases:
        results[database] = {
            "small": run_scale(database, small[0], small[1], say, screens, args.keep),
            "full": run_scale(database, args.departments, args.reports, say, screens, args.keep),
        }
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    body, growing = report(results)
    body += f"\n\nWhole run: {(time.perf_counter() - started) / 60:.1f} min."
    print(body)
    if growing:
        print("\nSQL statements per screen grow with the data:", file=sys.stderr)
        for database, scales in results.items():
            for screen in scales["small"]["screens"]:
                s = scales["small"]["screens"][screen]["statement_texts"]
                f = scales["full"]["screens"][screen]["statement_texts"]
                if len(s) != len(f):
                    print(f"  {database} {LABELS[screen]}: {len(s)} -> {len(f)}", file=sys.stderr)
                    for statement in f:
                        print(f"    {statement}", file=sys.stderr)
    if not args.no_record:
        write_results(
            "scale",
            body
            + ("\n\nStatement counts that grow: " + "; ".join(growing) if growing else "")
            + "\n\n"
            + machine_details(),
        )
    sys.exit(1 if growing else 0)


if __name__ == "__main__":
    main()
