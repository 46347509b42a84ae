"""Table documents stored as campaigns (SQLite and PostgreSQL): scores, standards, unit
roles, department names kept across years, and migration 0003 keeping live rows."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from core.assessment.campaigns import create_campaign
from core.assessment.importer import ParsedDocument, load_document, parse_text
from storage.db import Database, upgrade_database_async
from storage.models import Binding, Campaign, Department, Item
from tests.conftest import IN_CI, POSTGRES_URL, _pg_admin

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_doc(name: str) -> ParsedDocument:
    return load_document((FIXTURES / name).read_bytes(), name)


async def test_table_campaign_stores_scores_standards_and_roles(db: Database) -> None:
    async with db.session() as session:
        outcome = await create_campaign(
            session, fixture_doc("table-features.docx"), source_name="细则.docx"
        )
        await session.commit()
    # 3 departments x 2 general items, 4 department items, 3 supporting bindings
    # (A1.1, A1.2 -> 区财政局; A3.1 -> 区发展改革局, 区财政局); no B-class department.
    assert (outcome.departments, outcome.items, outcome.bindings) == (3, 7, 6 + 4 + 4)
    async with db.session() as session:
        items = {
            item.code: item
            for item in await session.scalars(
                select(Item).where(Item.campaign_id == outcome.campaign_id)
            )
        }
        assert items["A2.1"].score == Decimal(2)
        assert items["A2.1"].standard == "按时拨付；资金到位率达到100%"
        assert items["G2"].standard == ""
        rows = await session.execute(
            select(Item.code, Department.name, Binding.role)
            .join(Item, Item.id == Binding.item_id)
            .join(Department, Department.id == Binding.department_id)
            .where(Item.code.in_(["A1.1", "A3.1"]))
            .order_by(Item.code, Department.number)
        )
        assert rows.all() == [
            ("A1.1", "区发展改革局", "lead"),
            ("A1.1", "区财政局", "supporting"),
            ("A3.1", "区发展改革局", "supporting"),
            ("A3.1", "区财政局", "supporting"),
            ("A3.1", "区水利局", "lead"),
        ]


async def test_reimport_names_departments_as_before_by_name_or_alias(db: Database) -> None:
    """Last year's 区发展改革局 has the alias 发改局; this year's table says 发改局."""
    last_year = parse_text("2020年考核要点\n二、A类部门考核内容\n（一）区发展改革局\n1.做好工作。")
    async with db.session() as session:
        old = await create_campaign(session, last_year, source_name="2020.txt")
        department = await session.scalar(
            select(Department).where(Department.campaign_id == old.campaign_id)
        )
        assert department is not None
        department.aliases = [*department.aliases, "发改局"]
        await session.commit()
    doc = parse_text("2021年考核要点\n二、A类部门考核内容\n（一）发改局\n1.做好新工作。")
    async with db.session() as session:
        new = await create_campaign(session, doc, source_name="2021.txt")
        names = (
            await session.scalars(
                select(Department.name).where(Department.campaign_id == new.campaign_id)
            )
        ).all()
    assert names == ["区发展改革局"]


async def _migration_keeps_rows(url: str) -> None:
    await upgrade_database_async(url, "0001")
    database = Database(url)
    try:
        async with database.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO campaign (id, year, title, source_name, fingerprint, active,"
                    " created_at) VALUES (1, 2020, 't', 's', 'f', true, CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO department (id, campaign_id, number, name, dept_class, aliases)"
                    " VALUES (1, 1, 1, '区发展改革局', 'A', '[]')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO item (id, campaign_id, code, kind, position, title, text,"
                    " evidence_required) VALUES (1, 1, 'G1', 'general', 0, 't', 'x', false)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO binding (id, campaign_id, department_id, item_id, status,"
                    " review_state, report_count, evidence_count, created_at)"
                    " VALUES (1, 1, 1, 1, 'not_started', 'none', 0, 0, CURRENT_TIMESTAMP)"
                )
            )
    finally:
        await database.close()
    await upgrade_database_async(url)
    database = Database(url)
    try:
        async with database.session() as session:
            item = await session.get(Item, 1)
            binding = await session.get(Binding, 1)
            assert item is not None and binding is not None
            assert (item.text, item.score, item.standard) == ("x", None, "")
            assert binding.role == "lead"
            assert await session.scalar(select(Campaign.title)) == "t"
    finally:
        await database.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_migration_0003_keeps_live_rows(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        await _migration_keeps_rows(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
        return
    name = f"duban_mig_{uuid.uuid4().hex[:10]}"
    try:
        await _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # pragma: no cover - depends on the machine
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable: {exc!r} (CI requires it)")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc!r}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        await _migration_keeps_rows(url)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
