"""The lock of /finalize inside the scoring engine (issue 21), on SQLite and PostgreSQL:
once the results are final every act that changes points, scores, the scheme, bonus,
penalty or vetoes is refused with `ScoringRefused("final")` before anything is staged;
reading the book stays open; `/finalize reopen` (approval.reopen) makes changes possible
again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.scoring import acts
from core.scoring import usecases as uc
from core.scoring.amounts import show
from core.scoring.engine import DEFAULT_GRADES
from core.scoring.records import result_records
from core.scoring.sql import SqlScoring
from core.scoring.usecases import Actor, ScoringRefused
from core.status.model import Rules
from core.yearend import approval
from core.yearend.sql import SqlYearEnd
from core.yearend.state import Acting, keep, year_end
from storage.db import Database
from storage.models import (
    ADJUST_BONUS,
    ADJUST_PENALTY,
    VETO_FAIL,
    BindingPoints,
    Deduction,
    ItemScore,
    ScoreAdjustment,
    ScoreAudit,
    ScoringScheme,
    VetoCondition,
    VetoRecord,
)
from tests.yearend_support import (
    COMMERCE,
    FARM,
    OFFICE_ID,
    campaign_with_scheme,
    score_everything,
    veto,
)

NOW = dt.datetime(2021, 1, 19, 2, 0, tzinfo=dt.UTC)
TABLES = (
    ItemScore,
    Deduction,
    ScoreAdjustment,
    VetoRecord,
    ScoreAudit,
    BindingPoints,
    ScoringScheme,
    VetoCondition,
)

Act = Callable[[SqlScoring, Actor], Awaitable[object]]

# Every act that changes a score or what a score is computed from, as the handlers call it.
CHANGES: dict[str, Act] = {
    "score": lambda s, a: acts.score_item(
        s, s, a, department=FARM, code="A5.1", score=Decimal(9), reason="台账不全"
    ),
    "points": lambda s, a: uc.set_points(s, s, a, code="G1", points=Decimal(4), reason="调整"),
    "scheme confirm": lambda s, a: uc.confirm_scheme(s, s, a),
    "scheme reopen": lambda s, a: uc.reopen_scheme(s, s, a, "重议"),
    "grades": lambda s, a: uc.set_grades(s, s, a, DEFAULT_GRADES),
    "caps": lambda s, a: uc.set_caps(s, s, a, Decimal(5), Decimal(5)),
    "shares": lambda s, a: uc.set_shares(s, s, a, Decimal(40), Decimal(60)),
    "rule": lambda s, a: uc.set_rule(s, s, a, uc.RULE_PAST_DUE, Decimal(2)),
    "veto condition": lambda s, a: uc.define_veto(s, s, a, code="V9", effect=VETO_FAIL, name="x"),
    "bonus": lambda s, a: acts.add_adjustment(
        s, s, a, kind=ADJUST_BONUS, department=FARM, amount=Decimal(1), reason="示范"
    ),
    "penalty": lambda s, a: acts.add_adjustment(
        s, s, a, kind=ADJUST_PENALTY, department=FARM, amount=Decimal(1), reason="迟报"
    ),
    "bonus undo": lambda s, a: acts.undo_adjustment(
        s, s, a, kind=ADJUST_BONUS, department=FARM, reason="撤销"
    ),
    "veto": lambda s, a: acts.apply_veto(
        s, s, a, department=FARM, condition="V2", grounds="通报", confirmed_by="市局"
    ),
    "veto undo": lambda s, a: acts.undo_veto(
        s, s, a, department=COMMERCE, condition="V1", reason="撤销"
    ),
    "proposals": lambda s, a: acts.propose_deductions(s, s, a, today=NOW.date(), rules=_rules()),
    "proposal decision": lambda s, a: acts.decide_proposal(s, s, a, deduction_id=1, accept=True),
}


def _rules() -> Rules:
    return Rules(tz=ZoneInfo("Asia/Shanghai"), yellow_days=7, silent_days=14)


async def counts(db: Database) -> tuple[int, ...]:
    async with db.session() as session:
        return tuple(
            [
                int(await session.scalar(select(func.count()).select_from(table)) or 0)
                for table in TABLES
            ]
        )


async def results(db: Database) -> list[dict[str, object]]:
    async with db.session() as session:
        store = SqlScoring(session)
        campaign = await store.campaign(None)
        assert campaign is not None
        return result_records(await store.book(campaign.id))


async def test_final_refuses_every_score_change_and_reopen_lifts_it(db: Database) -> None:
    actor = Actor(OFFICE_ID, NOW)
    async with db.session() as session:
        campaign = await campaign_with_scheme(session, NOW)
        await score_everything(session, NOW, {(FARM, "A5.2"): (Decimal(2), "台账不完整")})
        await veto(session, NOW, COMMERCE, "V1")
        store = SqlScoring(session)
        await acts.add_adjustment(
            store,
            store,
            actor,
            kind=ADJUST_BONUS,
            department=FARM,
            amount=Decimal(2),
            reason="示范",
        )
        # Final as /finalize leaves it (its own preconditions are the year end's tests').
        yearend = SqlYearEnd(session)
        row = await year_end(yearend, campaign)
        keep(yearend, row)
        row.approved_at = row.finalized_at = NOW
        row.approved_by = row.finalized_by = OFFICE_ID
        await session.commit()

    before_counts, before_results = await counts(db), await results(db)
    for name, act in CHANGES.items():
        async with db.session() as session:
            store = SqlScoring(session)
            with pytest.raises(ScoringRefused) as refused:
                await act(store, actor)
            assert refused.value.reason == "final", name
            # Refused before anything was staged: nothing to roll back.
            assert not session.new and not session.dirty, name
            await session.commit()
    assert await counts(db) == before_counts
    assert await results(db) == before_results

    # Reading is not a change: the book (and the 评分表 from it) stays open.
    async with db.session() as session:
        store = SqlScoring(session)
        book = await acts.readable_book(store, store, actor)
        assert book.campaign.id == campaign and not session.new

    # /finalize reopen: changes are possible again, through the same acts.
    async with db.session() as session:
        acting = Acting(OFFICE_ID, NOW, ZoneInfo("Asia/Shanghai"))
        await approval.reopen(SqlYearEnd(session), campaign, "审定文号有误", acting)
        store = SqlScoring(session)
        scored = await acts.score_item(
            store, store, actor, department=FARM, code="A5.1", score=Decimal(9), reason="台账不全"
        )
        assert (show(scored.score), show(scored.deducted)) == ("9", "1")
        await session.commit()
    farm_before = next(r for r in before_results if r["department"] == FARM)
    farm_after = next(r for r in await results(db) if r["department"] == FARM)
    assert Decimal(str(farm_after["score"])) == Decimal(str(farm_before["score"])) - 1
