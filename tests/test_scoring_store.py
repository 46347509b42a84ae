"""The scoring storage and use cases on SQLite and PostgreSQL: the default scheme on the
bundled 2020 document (every department 100, the two blocks), a table document's own
points with 配合单位, and the audit log of each act."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.assessment.adjust import AdjustRefused, add_department, unbind
from core.assessment.campaigns import BUNDLED_DOCUMENT, create_campaign, load_file
from core.assessment.sql import SqlAssessment
from core.scoring.acts import score_item
from core.scoring.amounts import show
from core.scoring.results import results_of
from core.scoring.sql import SqlScoring
from core.scoring.usecases import Actor, ScoringRefused, confirm_scheme, ensure_scheme
from storage.db import Database
from storage.models import BindingPoints, ScoreAudit

FIXTURES = Path(__file__).parent / "importer" / "fixtures"
NOW = dt.datetime(2021, 1, 10, 2, tzinfo=dt.UTC)
OFFICE = Actor(900_001, NOW)


async def load(db: Database, path: Path) -> None:
    async with db.session() as session:
        await create_campaign(session, load_file(path), source_name=path.name)
        await session.commit()


async def test_default_scheme_gives_every_department_100_in_two_blocks(db: Database) -> None:
    await load(db, BUNDLED_DOCUMENT)
    async with db.session() as session:
        await add_department(
            SqlAssessment(session),
            name="区档案馆",
            dept_class="B",
            actor_tg_id=OFFICE.tg_id,
            now=NOW,
        )
        store = SqlScoring(session)
        book = await ensure_scheme(store, store, OFFICE)
        await session.commit()
    assert book.scheme is not None and book.scheme.source == "blocks"
    assert len(book.departments) == 18
    for department in book.departments:
        lines = book.lines_of(department.id)
        common = [line.points for line in lines if line.kind == "general"]
        own = [line.points for line in lines if line.kind != "general"]
        assert sum(p or 0 for p in common) == 30 and sum(p or 0 for p in own) == 70
        assert common == [Decimal("3.5")] * 7 + [Decimal("5.5")], department.name
    farm = next(d for d in book.departments if d.name == "区农业农村局")
    assert [x.points for x in book.lines_of(farm.id) if x.kind != "general"] == [10] * 7
    # 70 over 13 items: twelve of 5 (steps of 0.5 below 5.38) and the remainder, 10, last.
    ecology = next(d for d in book.departments if d.name == "市生态环境局雨花分局")
    own = [(x.code, x.points) for x in book.lines_of(ecology.id) if x.kind != "general"]
    assert own[-1] == ("A17.13", Decimal(10)) and {p for _c, p in own[:-1]} == {Decimal(5)}
    archive = next(d for d in book.departments if d.name == "区档案馆")
    assert [(x.code, x.points) for x in book.lines_of(archive.id) if x.kind != "general"] == [
        ("B1", Decimal(70))
    ]
    async with db.session() as session:
        rows = await session.scalar(select(func.count()).select_from(BindingPoints))
        audits = list(await session.scalars(select(ScoreAudit.action)))
    assert rows == len(book.lines) and audits == ["scheme_created"]


async def test_scoring_needs_a_confirmed_scheme_then_scores_with_reasons(db: Database) -> None:
    await load(db, BUNDLED_DOCUMENT)
    async with db.session() as session:
        store = SqlScoring(session)
        with pytest.raises(ScoringRefused) as refused:
            await score_item(
                store, store, OFFICE, department="发改", code="A1.1", score=Decimal(10), reason="x"
            )
        assert refused.value.reason == "not_confirmed"
        await confirm_scheme(store, store, OFFICE)
        with pytest.raises(ScoringRefused) as refused:
            await score_item(
                store, store, OFFICE, department="发改", code="a1.1", score=Decimal(10), reason=""
            )
        assert refused.value.reason == "reason_needed"
        with pytest.raises(ScoringRefused) as refused:
            await score_item(
                store, store, OFFICE, department="发改", code="A1.1", score=Decimal(24), reason="x"
            )
        assert refused.value.reason == "above_points"
        scored = await score_item(
            store,
            store,
            OFFICE,
            department="发改",
            code="Ａ１．１",
            score=Decimal("20.5"),
            reason="燃煤锅炉淘汰未完成",
        )
        await session.commit()
    assert (scored.points, scored.score, scored.deducted) == (23, Decimal("20.5"), Decimal("2.5"))
    async with db.session() as session:
        store = SqlScoring(session)
        campaign = await store.campaign(None)
        assert campaign is not None
        reform = next(
            r for r in results_of(await store.book(campaign.id)) if r.name == "区发展改革局"
        )
        audit = (await store.audit(campaign.id))[0]
    assert reform.total == Decimal("20.5") and reform.remaining == 10 and reform.provisional
    # A scored binding cannot be removed (its score would go unlogged).
    async with db.session() as session:
        with pytest.raises(AdjustRefused) as kept:
            await unbind(
                SqlAssessment(session),
                department_id=reform.department_id,
                code="A1.1",
                actor_tg_id=OFFICE.tg_id,
                now=NOW,
            )
    assert kept.value.reason == "has_score"
    assert (audit.action, audit.before, audit.after, audit.reason) == (
        "score",
        "",
        "20.5",
        "燃煤锅炉淘汰未完成",
    )


async def test_table_document_scores_with_its_own_points(db: Database) -> None:
    await load(db, FIXTURES / "table-features.docx")
    async with db.session() as session:
        store = SqlScoring(session)
        book = await ensure_scheme(store, store, OFFICE)
        await session.commit()
    assert book.scheme is not None and book.scheme.source == "document"
    results = {r.name: r for r in results_of(book)}
    # Counted points: the lead bindings' 分值 (supporting ones do not count by default).
    assert results["区发展改革局"].points == 13  # G1 4 + G2 3 + A1.1 4 + A1.2 2
    assert results["区财政局"].points == 9  # G1 4 + G2 3 + A2.1 2
    assert results["区水利局"].points == 12  # G1 4 + G2 3 + A3.1 5

    # Every lead item scored; supporting units take half the lead's deduction.
    given = {
        "区发展改革局": [("G1", "4"), ("G2", "2"), ("A1.1", "3"), ("A1.2", "2")],
        "区财政局": [("G1", "4"), ("G2", "3"), ("A2.1", "1")],
        "区水利局": [("G1", "3"), ("G2", "3"), ("A3.1", "3")],
    }
    async with db.session() as session:
        store = SqlScoring(session)
        await confirm_scheme(store, store, OFFICE)
        for department, scores in given.items():
            for code, points in scores:
                await score_item(
                    store,
                    store,
                    OFFICE,
                    department=department,
                    code=code,
                    score=Decimal(points),
                    reason="扣分理由",
                )
        campaign = await store.campaign(None)
        assert campaign is not None
        results = {r.name: r for r in results_of(await store.book(campaign.id))}
        await session.commit()
    # A supporting unit's item is not scored by itself.
    async with db.session() as session:
        store = SqlScoring(session)
        with pytest.raises(ScoringRefused) as refused:
            await score_item(
                store,
                store,
                OFFICE,
                department="财政",
                code="A1.1",
                score=Decimal(1),
                reason="x",
            )
        assert refused.value.reason == "supporting"
    # Written down by hand: (items total, 折算分, supporting deduction, score, grade, rank).
    expected = {
        # 11 of 13 -> 84.62; supports A3.1 whose lead lost 2: -1
        "区发展改革局": ("11", "84.62", "1", "83.62", "良好", 1 + 1),
        # 8 of 9 -> 88.89; supports A1.1 (lead lost 1: -0.5), A1.2 (0), A3.1 (-1)
        "区财政局": ("8", "88.89", "1.5", "87.39", "良好", 1),
        # 9 of 12 -> 75
        "区水利局": ("9", "75", "0", "75", "合格", 3),
    }
    for name, (total, converted, support, score, grade, rank) in expected.items():
        r = results[name]
        assert (show(r.total), show(r.converted or Decimal(-1)), show(r.supporting_deduction)) == (
            total,
            converted,
            support,
        ), name
        assert (show(r.score), r.grade, r.rank, r.provisional) == (score, grade, rank, False), name
