"""Scores agree with a naive reference over generated score histories, on SQLite and
PostgreSQL.

The campaign is the table document with 分值 and 配合单位 (tests/importer/fixtures), plus
a B-class department, with three veto conditions, one of each effect. Hypothesis draws a
history of the office's acts — item scores (re-scored at will), bonuses and penalties
(some past the cap), their undo, vetoes and their undo — which is written through the
use cases, one unit of work per act as a command would (a refused act rolls back). The
results read back (`results_of`, and the records the command line, the dashboard and the
export write) are compared with `naive`, written here from the generated acts and the
document's points alone.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from core.assessment.adjust import add_department
from core.assessment.campaigns import create_campaign, load_file
from core.assessment.sql import SqlAssessment
from core.scoring import acts
from core.scoring.amounts import show
from core.scoring.records import result_records, scoring_sheets
from core.scoring.results import results_of
from core.scoring.sql import SqlScoring
from core.scoring.usecases import Actor, ScoringRefused, confirm_scheme, define_veto
from storage.db import Database
from storage.models import (
    Campaign,
    Deduction,
    ItemScore,
    ScoreAdjustment,
    ScoreAudit,
    VetoRecord,
)

DOCUMENT = Path(__file__).parent / "importer" / "fixtures" / "table-features.docx"
OFFICE = Actor(900_001, dt.datetime(2022, 1, 10, 2, tzinfo=dt.UTC))
# The document's 分值, written down: department -> {code: (points, lead?)}.
BINDINGS: dict[str, dict[str, tuple[int, bool]]] = {
    "区发展改革局": {
        "G1": (4, True),
        "G2": (3, True),
        "A1.1": (4, True),
        "A1.2": (2, True),
        "A3.1": (5, False),
    },
    "区财政局": {
        "G1": (4, True),
        "G2": (3, True),
        "A2.1": (2, True),
        "A1.1": (4, False),
        "A1.2": (2, False),
        "A3.1": (5, False),
    },
    "区水利局": {"G1": (4, True), "G2": (3, True), "A3.1": (5, True)},
    "区档案馆": {"G1": (4, True), "G2": (3, True), "B1": (2, True)},
}
CLASSES = {"区发展改革局": "A", "区财政局": "A", "区水利局": "A", "区档案馆": "B"}
DEPARTMENTS = list(BINDINGS)
VETOES = {"V1": "fail", "V2": "no_top", "V3": "down_one"}
GRADES = [("优秀", 90), ("良好", 80), ("合格", 60), ("不合格", 0)]
CAP = Fraction(10)


@dataclass
class Act:
    kind: str  # score / bonus / penalty / undo_bonus / undo_penalty / veto / unveto
    department: str
    code: str = ""
    halves: int = 0  # points as a number of halves


@st.composite
def histories(draw: st.DrawFn) -> list[Act]:
    acts_drawn: list[Act] = []
    for _ in range(draw(st.integers(0, 25))):
        department = draw(st.sampled_from(DEPARTMENTS))
        kind = draw(
            st.sampled_from(
                ["score"] * 6 + ["bonus", "penalty", "undo_bonus", "undo_penalty", "veto", "unveto"]
            )
        )
        if kind == "score":
            leads = [c for c, (_p, lead) in BINDINGS[department].items() if lead]
            code = draw(st.sampled_from(leads))
            points = BINDINGS[department][code][0]
            acts_drawn.append(Act(kind, department, code, draw(st.integers(0, points * 2))))
        elif kind in ("bonus", "penalty"):
            acts_drawn.append(Act(kind, department, halves=draw(st.integers(1, 14))))
        elif kind in ("veto", "unveto"):
            acts_drawn.append(Act(kind, department, draw(st.sampled_from(list(VETOES)))))
        else:
            acts_drawn.append(Act(kind, department))
    return acts_drawn


@dataclass
class Truth:
    scores: dict[tuple[str, str], Fraction] = field(default_factory=dict)
    adjustments: dict[tuple[str, str], list[Fraction]] = field(default_factory=dict)
    vetoes: dict[str, list[str]] = field(default_factory=dict)  # condition codes, in order


def half_up(value: Fraction) -> Fraction:
    return Fraction(math.floor(value * 100 + Fraction(1, 2)), 100)


def replay(history: list[Act]) -> Truth:
    """What the office's acts leave, refusing what the rules refuse (caps, double vetoes)."""
    truth = Truth()
    for act in history:
        if act.kind == "score":
            truth.scores[(act.department, act.code)] = Fraction(act.halves, 2)
        elif act.kind in ("bonus", "penalty"):
            held = truth.adjustments.setdefault((act.department, act.kind), [])
            if sum(held, Fraction(0)) + Fraction(act.halves, 2) <= CAP:
                held.append(Fraction(act.halves, 2))
        elif act.kind.startswith("undo_"):
            held = truth.adjustments.setdefault((act.department, act.kind[5:]), [])
            if held:
                held.pop()
        elif act.kind == "veto":
            held_vetoes = truth.vetoes.setdefault(act.department, [])
            if act.code not in held_vetoes:
                held_vetoes.append(act.code)
        elif act.kind == "unveto":
            held_vetoes = truth.vetoes.setdefault(act.department, [])
            if act.code in held_vetoes:
                held_vetoes.remove(act.code)
    return truth


def naive(truth: Truth) -> dict[str, tuple[Fraction, str, int, int]]:
    """department -> (score, grade, rank, items remaining)."""
    out: dict[str, list[object]] = {}
    for department, bindings in BINDINGS.items():
        points = total = support = Fraction(0)
        remaining = 0
        for code, (worth, lead) in bindings.items():
            if lead:
                points += worth
                if (department, code) in truth.scores:
                    total += truth.scores[(department, code)]
                else:
                    remaining += 1
                continue
            # Supporting: half of the largest deduction a scored lead unit took on it.
            taken = [
                worth - truth.scores[(other, code)]
                for other, theirs in BINDINGS.items()
                if code in theirs and theirs[code][1] and (other, code) in truth.scores
            ]
            if taken:
                support += half_up(max(taken) / 2)
            else:
                remaining += 1
        base = half_up(total * 100 / points) if points != 100 else total
        bonus = sum(truth.adjustments.get((department, "bonus"), []), Fraction(0))
        penalty = sum(truth.adjustments.get((department, "penalty"), []), Fraction(0))
        score = max(Fraction(0), base + min(bonus, CAP) - min(penalty, CAP) - support)
        grade = next(
            (i for i, (_n, low) in enumerate(GRADES[:-1]) if score >= low), len(GRADES) - 1
        )
        for code in truth.vetoes.get(department, []):
            effect = VETOES[code]
            if effect == "fail":
                grade = len(GRADES) - 1
            elif effect == "no_top":
                grade = max(grade, 1)
            else:
                grade = min(grade + 1, len(GRADES) - 1)
        out[department] = [score, GRADES[grade][0], 0, remaining]
    for department in DEPARTMENTS:
        mine = out[department][0]
        out[department][2] = 1 + sum(
            1
            for other in DEPARTMENTS
            if CLASSES[other] == CLASSES[department] and out[other][0] > mine  # type: ignore[operator]
        )
    return {k: (v[0], v[1], v[2], v[3]) for k, v in out.items()}  # type: ignore[misc]


async def prepare(db: Database) -> None:
    """The campaign once per database; the scores emptied before every example."""
    async with db.session() as session:
        if await session.scalar(select(Campaign.id)) is None:
            await create_campaign(session, load_file(DOCUMENT), source_name=DOCUMENT.name)
            await add_department(
                SqlAssessment(session),
                name="区档案馆",
                dept_class="B",
                actor_tg_id=OFFICE.tg_id,
                now=OFFICE.now,
            )
            store = SqlScoring(session)
            for code, effect in VETOES.items():
                await define_veto(
                    store, store, OFFICE, code=code, effect=effect, name=f"情形{code}"
                )
            await confirm_scheme(store, store, OFFICE)
        for table in (VetoRecord, ScoreAdjustment, Deduction, ItemScore, ScoreAudit):
            await session.execute(delete(table))
        await session.commit()


async def perform(db: Database, act: Act) -> None:
    """One act in its own unit of work, as one command would be; refused: rolled back."""
    async with db.session() as session:
        store = SqlScoring(session)
        try:
            if act.kind == "score":
                await acts.score_item(
                    store,
                    store,
                    OFFICE,
                    department=act.department,
                    code=act.code,
                    score=Decimal(act.halves) / 2,
                    reason="理由",
                )
            elif act.kind in ("bonus", "penalty"):
                await acts.add_adjustment(
                    store,
                    store,
                    OFFICE,
                    kind=act.kind,
                    department=act.department,
                    amount=Decimal(act.halves) / 2,
                    reason="理由",
                )
            elif act.kind.startswith("undo_"):
                await acts.undo_adjustment(
                    store,
                    store,
                    OFFICE,
                    kind=act.kind[5:],
                    department=act.department,
                    reason="撤销",
                )
            elif act.kind == "veto":
                await acts.apply_veto(
                    store,
                    store,
                    OFFICE,
                    department=act.department,
                    condition=act.code,
                    grounds="依据",
                    confirmed_by="区环委会",
                )
            else:
                await acts.undo_veto(
                    store,
                    store,
                    OFFICE,
                    department=act.department,
                    condition=act.code,
                    reason="撤销",
                )
        except ScoringRefused:
            await session.rollback()
            return
        await session.commit()


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
async def test_results_agree_with_the_naive_reference(db: Database, history: list[Act]) -> None:
    await prepare(db)
    for act in history:
        await perform(db, act)
    expected = naive(replay(history))
    async with db.session() as session:
        store = SqlScoring(session)
        campaign = await store.campaign(None)
        assert campaign is not None
        book = await store.book(campaign.id)
    results = {r.name: r for r in results_of(book)}
    records = {r["department"]: r for r in result_records(book)}
    sheet = {row[0]: row for row in scoring_sheets(book).results}
    for department, (score, grade, rank, remaining) in expected.items():
        r = results[department]
        assert Fraction(r.score) == score, (department, r, expected[department], history)
        assert (r.grade, r.rank, r.remaining) == (grade, rank, remaining), (department, history)
        record = records[department]
        assert (record["score"], record["grade"], record["rank"]) == (show(r.score), grade, rank)
        assert record["provisional"] == (remaining > 0)
        assert sheet[department][2] == r.score and sheet[department][10:12] == (grade, rank)
