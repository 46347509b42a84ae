"""Scoring at scale: how many SQL statements and how long /results takes to read and
compute, for a small campaign and a large one (issue 20's "one query per screen, not one
per row").

A campaign of D departments x I items each (all scored, each with a deduction, a bonus per
department, a veto on every tenth) is written straight into a fresh SQLite file; then the
results are read the way /results, the dashboard and `assess results` read them
(`SqlScoring.book` + `results_of` + `result_records`) and the /results text is built.
Statements are counted with an engine event; time is wall-clock of a warm second run.

    .venv/bin/python -m bench.scoring [--append]   # --append: add the table to RESULTS.md
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, insert

from bench.common import machine_details
from core.scoring.records import result_records
from core.scoring.results import results_of
from core.scoring.sql import SqlScoring
from core.scoring.views import results_sections
from core.text.i18n import translator
from storage.db import Database, upgrade_database
from storage.models import (
    Binding,
    BindingPoints,
    Campaign,
    Deduction,
    Department,
    Item,
    ItemScore,
    ScoreAdjustment,
    ScoringScheme,
    VetoCondition,
    VetoRecord,
)

NOW = dt.datetime(2021, 1, 10, tzinfo=dt.UTC)
SIZES = {"small": (18, 12), "large": (400, 60)}


async def seed(db: Database, departments: int, items: int) -> None:
    async with db.session() as session:
        campaign = Campaign(
            year=2020, title="bench", source_name="bench", fingerprint="b" * 64, active=True
        )
        session.add(campaign)
        await session.flush()
        cid = campaign.id
        session.add(ScoringScheme(campaign_id=cid, grades=[], rules=[], confirmed_at=NOW))
        veto = VetoCondition(campaign_id=cid, code="V1", name="v", effect="down_one")
        session.add(veto)
        await session.flush()
        await session.execute(
            insert(Department),
            [
                {
                    "id": d,
                    "campaign_id": cid,
                    "number": d,
                    "name": f"单位{d}",
                    "dept_class": "AB"[d % 2],
                    "aliases": [],
                }
                for d in range(1, departments + 1)
            ],
        )
        await session.execute(
            insert(Item),
            [
                {
                    "id": i,
                    "campaign_id": cid,
                    "code": f"A{i}.1",
                    "kind": "department",
                    "position": i,
                    "title": "t",
                    "text": "t",
                    "standard": "",
                }
                for i in range(1, items + 1)
            ],
        )
        bindings = [
            {"id": (d - 1) * items + i, "campaign_id": cid, "department_id": d, "item_id": i}
            for d in range(1, departments + 1)
            for i in range(1, items + 1)
        ]
        await session.execute(insert(Binding), bindings)
        points = Decimal(100) / items
        await session.execute(
            insert(BindingPoints),
            [
                {
                    "binding_id": b["id"],
                    "campaign_id": cid,
                    "points": points.quantize(Decimal("0.01")),
                    "set_at": NOW,
                }
                for b in bindings
            ],
        )
        await session.execute(
            insert(ItemScore),
            [
                {"binding_id": b["id"], "campaign_id": cid, "reason": "", "scored_at": NOW}
                for b in bindings
            ],
        )
        await session.execute(
            insert(Deduction),
            [
                {
                    "campaign_id": cid,
                    "binding_id": b["id"],
                    "amount": Decimal("0.5"),
                    "reason": "理由",
                    "source": "manual",
                    "state": "confirmed",
                    "created_at": NOW,
                }
                for b in bindings
            ],
        )
        await session.execute(
            insert(ScoreAdjustment),
            [
                {
                    "campaign_id": cid,
                    "department_id": d,
                    "kind": "bonus",
                    "amount": Decimal(1),
                    "reason": "r",
                    "created_at": NOW,
                }
                for d in range(1, departments + 1)
            ],
        )
        await session.execute(
            insert(VetoRecord),
            [
                {
                    "campaign_id": cid,
                    "department_id": d,
                    "condition_id": veto.id,
                    "grounds": "g",
                    "confirmed_by_body": "b",
                    "created_at": NOW,
                }
                for d in range(1, departments + 1, 10)
            ],
        )
        await session.commit()


async def measure(url: str) -> tuple[int, float, int]:
    db = Database(url)
    statements: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    zh = translator("zh")
    try:
        timing = 0.0
        for _run in range(2):  # the second run is the warm one
            statements.clear()
            started = time.perf_counter()
            async with db.session() as session:
                store = SqlScoring(session)
                campaign = await store.campaign(None)
                assert campaign is not None
                book = await store.book(campaign.id)
            results = results_of(book)
            result_records(book)
            text = "\n\n".join(results_sections(book, results, zh))
            timing = time.perf_counter() - started
        return len(statements), timing, len(text)
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--append", action="store_true")
    args = parser.parse_args()
    rows = []
    for label, (departments, items) in SIZES.items():
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
            upgrade_database(url)
            db = Database(url)
            asyncio.run(seed(db, departments, items))
            asyncio.run(db.close())
            count, seconds, _chars = asyncio.run(measure(url))
            size = f"{departments} x {items} = {departments * items}"
            rows.append(f"| sqlite | {label} | {size} | {count} | {seconds:.3f} |")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    table = "\n".join(
        [
            f"## scoring results — {stamp}",
            "",
            "| database | campaign | departments x items = bindings | SQL statements "
            "| warm s (read + compute + /results text) |",
            "| --- | --- | --- | ---: | ---: |",
            *rows,
            "",
            machine_details(),
            "",
        ]
    )
    print(table)
    if args.append:
        with (Path(__file__).parent / "RESULTS.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + table)


if __name__ == "__main__":
    main()
