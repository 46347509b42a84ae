"""A synthetic campaign for bench/scale.py, generated in Python and bulk-loaded.

    .venv/bin/python bench/scale_data.py URL [--departments 1000] [--reports 1000000] [--seed 1]

The database at URL must already be migrated (storage.db.upgrade_database). Shape:
one active campaign; DEPARTMENTS A-class departments; 100 items (G1..G8 general, 92
department items A<d>.<k>, about 30 of them with targets); every department bound to
every item; REPORTS reports over the last year, ids in time order, each binding's
latest state (status, review_state, last_report_id, last_reported_at, report_count,
evidence_count) set from its reports; values on the reports of items with targets;
evidence rows (no files) on about 10 % of reports; reviews of accepted / returned
reports; a liaison per department, an admin and a leader; the office group set and
yesterday's digest marked as sent.

SQLite is loaded with SQLAlchemy Core executemany in 20,000-row chunks in one
transaction; PostgreSQL with COPY (asyncpg's copy_records_to_table) in one
transaction, then its sequences are moved past the ids and ANALYZE runs (as autovacuum
would after such a load; SQLite gets no ANALYZE, as the bot never runs one). Prints
one JSON line: row counts, the seconds taken, and the fixtures scale.py needs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sys
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Table, insert, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine  # noqa: E402

from storage.models import (  # noqa: E402
    Base,
    Binding,
    Campaign,
    Department,
    DigestSent,
    Evidence,
    Item,
    Report,
    ReportValue,
    Review,
    Setting,
    Target,
    User,
)

ITEMS = 100
GENERAL_ITEMS = 8
OFFICE_CHAT_ID = -1001234567890
ADMIN_TG, LEADER_TG, LIAISON_TG = 1_000_001, 1_000_002, 2_000_000
CHUNK = 20_000
TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC

TEXTS = (
    "已按计划推进，完成阶段性工作，下一步继续落实。",
    "本月召开专题会议一次，印发工作方案，明确责任分工和时间节点，正在组织实施。",
    "已完成现场检查{n}处，发现问题已交办整改，整改完成率逐步提高。",
    "受资金到位时间影响，项目进度滞后，已协调财政部门加快拨付。",
    "已完成全部任务，相关台账、照片和文件已整理归档，请审核。",
    "按要求报送统计数据，指标完成情况见附件。",
    "开展宣传活动{n}次，发放宣传资料{n}00余份，群众知晓率明显提高。",
)
COMMENTS = (
    "",
    "",
    "",
    "材料齐全，同意。",
    "请补充现场照片后重新报送。",
    "数据与台账不一致，请核实。",
)
METRICS = (
    (">=", Decimal("90"), "%", "综合利用率"),
    (">=", Decimal("2"), "次", "专项检查"),
    ("<=", Decimal("35"), "微克/立方米", "PM2.5年均浓度"),
    (">=", Decimal("100"), "%", "整改完成率"),
    ("~", Decimal("500"), "吨", "削减量"),
)


def item_specs() -> list[dict[str, Any]]:
    """100 items: G1..G8, then A1.1..A23.4 (the first 23 departments' own items)."""
    specs: list[dict[str, Any]] = []
    for n in range(1, GENERAL_ITEMS + 1):
        specs.append({"code": f"G{n}", "kind": "general", "dept_number": None})
    number = 0
    while len(specs) < ITEMS:
        number += 1
        for k in range(1, 5):
            if len(specs) < ITEMS:
                specs.append(
                    {"code": f"A{number}.{k}", "kind": "department", "dept_number": number}
                )
    return specs


def chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def generate(departments: int, reports: int, seed: int, now: dt.datetime) -> dict[str, Any]:
    """Every table's rows as (columns, list of tuples), plus fixtures for the screens."""
    rnd = random.Random(seed)
    campaign_created = now - dt.timedelta(days=370)
    year = (now - dt.timedelta(days=180)).year
    tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}

    tables["campaign"] = (
        ["id", "year", "title", "source_name", "fingerprint", "active", "created_at"],
        [
            (
                1,
                year,
                f"{year}年度生态环境保护工作目标考核（合成数据）",
                "bench-scale",
                f"bench-scale-{seed}",
                True,
                campaign_created,
            )
        ],
    )
    dept_rows = [(n, 1, n, f"区第{n}号单位", "A", [f"第{n}号"]) for n in range(1, departments + 1)]
    tables["department"] = (
        ["id", "campaign_id", "number", "name", "dept_class", "aliases"],
        dept_rows,
    )

    specs = item_specs()
    item_rows = []
    deadlines = [
        None,
        None,
        dt.date(year, 6, 30),
        dt.date(year, 12, 31),
        (now + dt.timedelta(days=60)).date(),
    ]
    for index, spec in enumerate(specs, start=1):
        dept_id = (
            spec["dept_number"]
            if spec["dept_number"] and spec["dept_number"] <= departments
            else None
        )
        body = (
            f"{spec['code']} 考核要点："
            + "加强生态环境保护工作，落实各项措施，确保完成年度目标任务。" * rnd.randint(1, 4)
        )
        item_rows.append(
            (
                index,
                1,
                spec["code"],
                spec["kind"],
                dept_id,
                index,
                body[:40],
                body,
                deadlines[index % len(deadlines)],
                index % 3 == 0,
            )
        )
    tables["item"] = (
        [
            "id",
            "campaign_id",
            "code",
            "kind",
            "department_id",
            "position",
            "title",
            "text",
            "deadline",
            "evidence_required",
        ],
        item_rows,
    )
    # About 30 items with targets, some with two.
    target_rows = []
    item_targets: dict[int, list[tuple[int, str, Decimal]]] = {}
    target_id = 0
    for item_id in range(1, ITEMS + 1):
        if item_id % 10 not in (1, 4, 7):
            continue
        for position in range(1, 2 + (item_id % 4 == 0)):
            target_id += 1
            op, value, unit, metric = METRICS[(item_id + position) % len(METRICS)]
            target_rows.append((target_id, item_id, position, metric, op, value, unit))
            item_targets.setdefault(item_id, []).append((target_id, op, value))
    tables["target"] = (["id", "item_id", "position", "metric", "op", "value", "unit"], target_rows)

    user_rows = [
        (1, ADMIN_TG, "admin", None, "zh", False, "办公室管理员", campaign_created),
        (2, LEADER_TG, "leader", None, "zh", False, "领导", campaign_created),
    ]
    liaison_of = {}
    for n in range(1, departments + 1):
        liaison_of[n] = 2 + n
        user_rows.append(
            (2 + n, LIAISON_TG + n, "liaison", n, None, False, f"联络员{n}", campaign_created)
        )
    tables["app_user"] = (
        [
            "id",
            "tg_id",
            "role",
            "department_id",
            "locale",
            "is_deputy",
            "display_name",
            "created_at",
        ],
        user_rows,
    )

    # Bindings: every department x every item; about 10 % never reported, the rest
    # with uneven activity.
    binding_count = departments * ITEMS
    binding_dept = [0] * (binding_count + 1)
    binding_item = [0] * (binding_count + 1)
    for d in range(1, departments + 1):
        for i in range(1, ITEMS + 1):
            b = (d - 1) * ITEMS + i
            binding_dept[b], binding_item[b] = d, i
    active = [b for b in range(1, binding_count + 1) if rnd.random() >= 0.10]
    weights = [rnd.expovariate(1.0) + 0.05 for _ in active]
    chosen = rnd.choices(active, weights=weights, k=reports)
    span = (
        now - dt.timedelta(minutes=1) - (campaign_created + dt.timedelta(days=1))
    ).total_seconds()
    start = campaign_created + dt.timedelta(days=1)
    offsets = sorted(rnd.random() * span for _ in range(reports))
    rnd.shuffle(chosen)

    # Reports in time order (ids follow time), grouped per binding to set the states.
    per_binding: dict[int, list[int]] = {}
    for report_index, b in enumerate(chosen):
        per_binding.setdefault(b, []).append(report_index)
    status = [""] * reports
    review = [""] * reports
    final_states = (
        (("done", "accepted"), 35),
        (("done", "pending"), 15),
        (("done", "returned"), 5),
        (("in_progress", "none"), 30),
        (("blocked", "none"), 5),
        (("not_started", "none"), 10),
    )
    final_population = [s for s, _ in final_states]
    final_weights = [w for _, w in final_states]
    for indices in per_binding.values():
        last = len(indices) - 1
        for j, r in enumerate(indices):
            if j == last:
                status[r], review[r] = rnd.choices(final_population, final_weights)[0]
            else:
                roll = rnd.random()
                if j == 0 and roll < 0.15:
                    status[r], review[r] = "not_started", "none"
                elif roll < 0.80:
                    status[r], review[r] = "in_progress", "none"
                elif roll < 0.92:
                    status[r], review[r] = "blocked", "none"
                else:
                    status[r], review[r] = "done", "returned"

    report_rows = []
    value_rows = []
    evidence_rows = []
    review_rows = []
    evidence_of_binding = [0] * (binding_count + 1)
    value_id = evidence_id = review_id = 0
    for r in range(reports):
        report_id = r + 1
        b = chosen[r]
        d = binding_dept[b]
        created = start + dt.timedelta(seconds=offsets[r])
        # Real reports are written by people: nearly every text is different.
        body = (
            TEXTS[rnd.randrange(len(TEXTS))].format(n=rnd.randint(2, 9))
            + TEXTS[rnd.randrange(len(TEXTS))].format(n=rnd.randint(2, 9))
            + f"本期累计投入{rnd.randint(1, 99999)}元、{rnd.randint(1, 999)}人次。"
        )
        quick = rnd.random() < 0.3
        report_rows.append(
            (
                report_id,
                b,
                liaison_of[d],
                status[r],
                body,
                "quick" if quick else "conversation",
                review[r],
                LIAISON_TG + d,
                report_id,
                created,
            )
        )
        targets = item_targets.get(binding_item[b])
        if targets and rnd.random() < 0.9:
            for tid, _op, target in targets:
                value_id += 1
                value = (target * Decimal(rnd.randint(70, 120)) / 100).quantize(Decimal("0.01"))
                value_rows.append((value_id, report_id, tid, value))
        if rnd.random() < 0.10:
            files = rnd.choice((1, 1, 1, 2, 3))
            group = f"mg{report_id}" if files > 1 else None
            code = specs[binding_item[b] - 1]["code"]
            for _ in range(files):
                evidence_id += 1
                photo = rnd.random() < 0.8
                sha = f"{rnd.getrandbits(256):064x}"
                ext = "jpg" if photo else "pdf"
                evidence_rows.append(
                    (
                        evidence_id,
                        report_id,
                        "photo" if photo else "document",
                        f"AgACAgUAAxkBAAI{evidence_id:012d}",
                        f"AQAD{evidence_id:010d}",
                        sha,
                        rnd.randint(40_000, 3_000_000),
                        "image/jpeg" if photo else "application/pdf",
                        f"photo_{evidence_id}.jpg" if photo else f"材料{evidence_id}.pdf",
                        f"1/{d}/{code}/{sha[:2]}/{sha}.{ext}",
                        group,
                        None,
                        created,
                    )
                )
            evidence_of_binding[b] += files
        if review[r] in ("accepted", "returned"):
            review_id += 1
            review_rows.append(
                (
                    review_id,
                    report_id,
                    1,
                    review[r],
                    rnd.choice(COMMENTS),
                    min(created + dt.timedelta(hours=rnd.randint(1, 72)), now),
                )
            )
    tables["report"] = (
        [
            "id",
            "binding_id",
            "reporter_id",
            "status",
            "text",
            "source",
            "review_state",
            "source_chat_id",
            "source_message_id",
            "created_at",
        ],
        report_rows,
    )
    tables["report_value"] = (["id", "report_id", "target_id", "value"], value_rows)
    tables["evidence"] = (
        [
            "id",
            "report_id",
            "kind",
            "file_id",
            "file_unique_id",
            "sha256",
            "size",
            "mime_type",
            "file_name",
            "stored_path",
            "media_group_id",
            "reused_from_report_id",
            "created_at",
        ],
        evidence_rows,
    )
    tables["review"] = (
        ["id", "report_id", "reviewer_id", "decision", "comment", "created_at"],
        review_rows,
    )

    binding_rows = []
    for b in range(1, binding_count + 1):
        indices = per_binding.get(b)
        if indices:
            last = indices[-1]
            state = (status[last], review[last], last + 1, report_rows[last][-1], len(indices))
        else:
            state = ("not_started", "none", None, None, 0)
        binding_rows.append(
            (
                b,
                1,
                binding_dept[b],
                binding_item[b],
                *state,
                evidence_of_binding[b],
                None,
                campaign_created,
            )
        )
    tables["binding"] = (
        [
            "id",
            "campaign_id",
            "department_id",
            "item_id",
            "status",
            "review_state",
            "last_report_id",
            "last_reported_at",
            "report_count",
            "evidence_count",
            "red_reported_at",
            "created_at",
        ],
        binding_rows,
    )

    # The office group, and yesterday's digest sent at its time (today's window follows it).
    today = now.astimezone(TZ).date()
    yesterday = today - dt.timedelta(days=1)
    until = dt.datetime.combine(yesterday, dt.time(9, 0), tzinfo=TZ).astimezone(UTC)
    tables["setting"] = (
        ["key", "value"],
        [
            ("office_chat_id", str(OFFICE_CHAT_ID)),
            ("office_chat_set_at", campaign_created.isoformat()),
        ],
    )
    tables["digest_sent"] = (
        [
            "id",
            "chat_id",
            "local_date",
            "claimed_by",
            "claimed_at",
            "sent_at",
            "attempts",
            "last_error",
            "summary",
        ],
        [
            (
                1,
                OFFICE_CHAT_ID,
                yesterday,
                "bench",
                until,
                until,
                1,
                None,
                {
                    "since": (until - dt.timedelta(days=1)).isoformat(),
                    "until": until.isoformat(),
                    "rate": 0.3,
                },
            )
        ],
    )
    middle = max(1, departments // 2)
    return {
        "tables": tables,
        "fixtures": {
            "liaison_department_id": 1,
            "liaison_tg_id": LIAISON_TG + 1,
            "dept_query": f"第{middle}号",
            "dept_id": middle,
            "item_code": "G1",
            "office_chat_id": OFFICE_CHAT_ID,
        },
    }


def fill_defaults(
    table: Table, columns: list[str], rows: list[tuple[Any, ...]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Add the table's columns the generator does not know (a newer model) with their
    Python defaults, so COPY, which applies none, gets complete rows."""
    missing = []
    for column in table.columns:
        if column.name in columns:
            continue
        default = column.default
        if default is None or (
            not getattr(default, "is_scalar", False) and not getattr(default, "is_callable", False)
        ):
            if not column.nullable and column.server_default is None:
                raise SystemExit(
                    f"scale_data: {table.name}.{column.name} has no default; update the generator"
                )
            continue
        missing.append(column)
    if not missing:
        return columns, rows
    extra = [c.default.arg if c.default.is_scalar else c.default.arg(None) for c in missing]  # type: ignore[union-attr]
    return columns + [c.name for c in missing], [row + tuple(extra) for row in rows]


ORDER = (
    "campaign",
    "department",
    "item",
    "target",
    "app_user",
    "binding",
    "report",
    "report_value",
    "evidence",
    "review",
    "setting",
    "digest_sent",
)
MODELS = {
    m.__tablename__: m
    for m in (
        Campaign,
        Department,
        Item,
        Target,
        User,
        Binding,
        Report,
        ReportValue,
        Evidence,
        Review,
        Setting,
        DigestSent,
    )
}


async def load_sqlite(conn: AsyncConnection, tables: dict[str, Any]) -> None:
    await conn.execute(text("PRAGMA foreign_keys=OFF"))
    for name in ORDER:
        columns, rows = tables[name]
        table = Base.metadata.tables[name]
        for chunk in chunks(rows):
            await conn.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in chunk]
            )


async def load_postgres(conn: AsyncConnection, tables: dict[str, Any]) -> None:
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    for name in ORDER:
        columns, rows = tables[name]
        table = Base.metadata.tables[name]
        columns, rows = fill_defaults(table, columns, rows)
        json_columns = [
            i for i, c in enumerate(columns) if table.columns[c].type.__class__.__name__ == "JSON"
        ]
        if json_columns:
            rows = [
                tuple(
                    json.dumps(v, ensure_ascii=False) if i in json_columns else v
                    for i, v in enumerate(row)
                )
                for row in rows
            ]
        for chunk in chunks(rows, 200_000):
            await raw.copy_records_to_table(name, records=chunk, columns=columns)
        if "id" in columns:
            sequence = f"pg_get_serial_sequence('{name}', 'id')"
            await raw.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM {name}))")


async def load(url: str, departments: int, reports: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    now = dt.datetime.now(UTC)
    generated = generate(departments, reports, seed, now)
    generated_at = time.perf_counter()
    tables = generated["tables"]
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                await load_sqlite(conn, tables)
            else:
                await load_postgres(conn, tables)
                await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return {
        "rows": {name: len(rows) for name, (_, rows) in tables.items()},
        "generate_seconds": round(generated_at - started, 1),
        "load_seconds": round(time.perf_counter() - generated_at, 1),
        "fixtures": generated["fixtures"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--departments", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(load(args.url, args.departments, args.reports, args.seed))))


if __name__ == "__main__":
    main()
