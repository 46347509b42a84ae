"""The year end's use cases on SQLite and PostgreSQL, in the order the office runs them:
open → self-assessment (one returned and resubmitted) → scoring with a site check cited →
feedback with its working-day deadline → appeals (one changed, one upheld; late and
foreign ones refused) → approval → final (every change refused) → reopening, logged.
Every refusal is checked to change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.people.permissions import Role
from core.reporting.evidence import EvidenceStore
from core.reporting.reports import record_report
from core.reporting.sql import SqlReview
from core.reporting.use_cases import decide
from core.scheduling.workdays import is_chinese_working_day
from core.scoring.acts import score_item
from core.scoring.engine import in_rank_order
from core.scoring.results import results_of
from core.scoring.sql import SqlScoring
from core.scoring.usecases import Actor
from core.text.i18n import translator
from core.yearend import approval, feedback, selfassess, sitecheck
from core.yearend.sql import SqlYearEnd
from core.yearend.state import Acting, YearEndRefused, ensure_campaign_not_final
from storage.db import Database
from storage.models import (
    APPEAL_ITEM,
    APPEAL_VETO,
    ROLE_LIAISON,
    SELF_RETURNED,
    SELF_SUBMITTED,
    Binding,
    Department,
    Item,
    ScoreAudit,
    User,
)
from tests.yearend_support import (
    ARCHIVE,
    COMMERCE,
    FARM,
    OFFICE_ID,
    campaign_with_scheme,
    score_everything,
    veto,
)

ZONE = ZoneInfo("Asia/Shanghai")
FARM_LIAISON, COMMERCE_LIAISON = 610_001, 610_006


def at(day: str, hour: int = 2, minute: int = 0) -> Acting:
    """The office (or a liaison, by tg id later) acting at `day` `hour`:00 UTC."""
    moment = dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=dt.UTC)
    return Acting(OFFICE_ID, moment, ZONE)


def by(tg_id: int, acting: Acting) -> Acting:
    return Acting(tg_id, acting.now, acting.zone)


async def department(session, name: str) -> int:  # type: ignore[no-untyped-def]
    found = await session.scalar(select(Department.id).where(Department.name == name))
    assert found is not None, name
    return int(found)


async def audit_count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(ScoreAudit)) or 0)


async def test_the_year_end_from_open_to_final(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    start = at("2021-01-04")
    async with db.session() as session:
        campaign = await campaign_with_scheme(session, start.now)
        farm, commerce = await department(session, FARM), await department(session, COMMERCE)
        assert await department(session, ARCHIVE)
        session.add_all(
            [
                User(tg_id=FARM_LIAISON, role=ROLE_LIAISON, department_id=farm, locale="zh"),
                User(tg_id=COMMERCE_LIAISON, role=ROLE_LIAISON, department_id=commerce),
            ]
        )
        # A5.1 was reported done and accepted during the year: its statement pre-fills.
        a51 = await session.scalar(
            select(Binding.id)
            .join(Item, Item.id == Binding.item_id)
            .where(Binding.department_id == farm, Item.code == "A5.1")
        )
        assert a51 is not None
        recorded = await record_report(
            session,
            EvidenceStore(tmp_path / "evidence"),
            reporter_tg_id=FARM_LIAISON,
            department_id=farm,
            binding_id=a51,
            status="done",
            values={},
            text="全年巡查秸秆焚烧120次，未发现露天焚烧",
            evidence=[],
            source="test",
            now=start.now - dt.timedelta(days=30),
        )
        await decide(
            SqlReview(session),
            report_id=recorded.report_id,
            decision="accepted",
            comment="",
            reviewer_tg_id=OFFICE_ID,
            now=start.now - dt.timedelta(days=29),
        )
        await session.commit()

    # -- open: the liaisons are told; a deadline in the past is refused
    async with db.session() as session:
        with pytest.raises(YearEndRefused) as refused:
            await selfassess.open_window(SqlYearEnd(session), campaign, dt.date(2021, 1, 1), start)
        assert refused.value.reason == "bad_deadline"
        told = await selfassess.open_window(
            SqlYearEnd(session), campaign, dt.date(2021, 1, 8), start
        )
        await session.commit()
    assert sorted(r.tg_id for _name, r in told) == [FARM_LIAISON, COMMERCE_LIAISON]

    # -- self-assessment: pre-filled, statement only where never accepted, bounds
    day2 = by(FARM_LIAISON, at("2021-01-05"))
    async with db.session() as session:
        form = await selfassess.self_form(SqlYearEnd(session), campaign, farm)
        a51_item = next(i for i in form.items if i.code == "A5.1")
        assert a51_item.accepted and a51_item.prefilled.startswith("全年巡查秸秆焚烧120次")
        assert not a51_item.needs_statement
        assert all(i.needs_statement for i in form.items if i.code != "A5.1")
        with pytest.raises(YearEndRefused) as refused:
            await selfassess.set_self_score(
                SqlYearEnd(session), campaign, farm, "A5.2", Decimal(9), "", day2
            )
        assert refused.value.reason == "statement_needed"
        with pytest.raises(YearEndRefused) as refused:
            await selfassess.set_self_score(
                SqlYearEnd(session), campaign, farm, "A5.1", Decimal("10.5"), "", day2
            )
        assert refused.value.reason == "above_points"
        with pytest.raises(YearEndRefused) as refused:
            await selfassess.set_self_score(
                SqlYearEnd(session), campaign, farm, "A6.1", Decimal(1), "x", day2
            )
        assert refused.value.reason == "no_item"
        with pytest.raises(YearEndRefused) as refused:
            await selfassess.submit(SqlYearEnd(session), campaign, farm, day2)
        assert refused.value.reason == "incomplete"
        for item in form.items:
            await selfassess.set_self_score(
                SqlYearEnd(session),
                campaign,
                farm,
                item.code,
                item.points or Decimal(0),
                "" if item.accepted else f"{item.code}已按要求完成",
                day2,
            )
        submitted = await selfassess.submit(SqlYearEnd(session), campaign, farm, day2)
        await session.commit()
    assert submitted.state == SELF_SUBMITTED
    assert sum(i.score or 0 for i in submitted.items) == 100

    async with db.session() as session:
        with pytest.raises(YearEndRefused) as refused:
            await selfassess.set_self_score(
                SqlYearEnd(session), campaign, farm, "A5.1", Decimal(9), "", day2
            )
        assert refused.value.reason == "submitted"
        told_back = await selfassess.return_self(
            SqlYearEnd(session), campaign, farm, "A5.3 请补充养殖户台账", at("2021-01-06")
        )
        await session.commit()
    assert [r.tg_id for r in told_back] == [FARM_LIAISON]
    day3 = by(FARM_LIAISON, at("2021-01-06", 5))
    async with db.session() as session:
        form = await selfassess.self_form(SqlYearEnd(session), campaign, farm)
        assert form.state == SELF_RETURNED and "养殖户台账" in form.return_comment
        await selfassess.set_self_score(
            SqlYearEnd(session), campaign, farm, "A5.3", Decimal(8), "台账已补充，2处整改中", day3
        )
        resubmitted = await selfassess.submit(SqlYearEnd(session), campaign, farm, day3)
        await session.commit()
    assert resubmitted.state == SELF_SUBMITTED
    assert sum(i.score or 0 for i in resubmitted.items) == 98
    async with db.session() as session:
        pending = await selfassess.not_submitted(SqlYearEnd(session), campaign)
        assert FARM not in [p.department for p in pending] and COMMERCE in [
            p.department for p in pending
        ]
        scores = await SqlYearEnd(session).self_scores(campaign)
        assert scores[a51][0] == 10

    # The window ends with its deadline day (local time): the 9th is too late.
    late = by(COMMERCE_LIAISON, at("2021-01-08", 16, 30))  # 00:30 on the 9th in Shanghai
    async with db.session() as session:
        with pytest.raises(YearEndRefused) as refused:
            await selfassess.set_self_score(
                SqlYearEnd(session), campaign, commerce, "A6.1", Decimal(5), "完成", late
            )
        assert refused.value.reason == "window_closed"

    # -- office review: a site check, every item scored, a deduction citing the check
    review = at("2021-01-11")
    async with db.session() as session:
        with pytest.raises(YearEndRefused) as refused:
            await feedback.send_feedback(
                SqlYearEnd(session), campaign, review, is_chinese_working_day
            )
        assert refused.value.reason == "incomplete_scores"
        check = await sitecheck.record_site_check(
            SqlYearEnd(session),
            campaign,
            farm,
            checked_on=dt.date(2020, 12, 10),
            team="区环委办 张、李",
            findings="A5.2 受污染耕地台账缺2个地块",
            photos=[],
            acting=review,
        )
        await score_everything(
            session,
            review.now,
            {
                (FARM, "A5.2"): (Decimal(2), "受污染耕地台账不完整"),
                (FARM, "A5.4"): (Decimal("1.5"), "化肥减量数据未按时报送"),
                (COMMERCE, "A6.1"): (Decimal(3), "散煤整治进度滞后"),
            },
        )
        await veto(session, review.now, COMMERCE, "V1")
        department_cited, code = await sitecheck.cite(
            SqlYearEnd(session), campaign, check.id, "A5.2", review
        )
        assert (department_cited, code) == (FARM, "A5.2")
        book, deliveries = await feedback.send_feedback(
            SqlYearEnd(session), campaign, review, is_chinese_working_day
        )
        await session.commit()
    by_name = {d.outcome.department: d for d in deliveries}
    assert len(deliveries) == 18
    farm_delivery = by_name[FARM]
    # Delivered Monday 11 January: five working days from the 12th end on Monday the 18th.
    assert farm_delivery.deadline == dt.date(2021, 1, 18)
    assert [r.tg_id for r in farm_delivery.liaisons] == [FARM_LIAISON]
    assert farm_delivery.outcome.result.score == Decimal("96.5")
    assert farm_delivery.outcome.result.grade == "优秀"
    a52 = next(i for i in farm_delivery.outcome.items if i.code == "A5.2")
    assert a52.score == 8 and a52.deductions[0].cites == f"S{check.id} 2020-12-10"
    assert {i.code for i in farm_delivery.outcome.items} == {f"G{n}" for n in range(1, 9)} | {
        f"A5.{n}" for n in range(1, 8)
    }
    assert by_name[COMMERCE].outcome.result.grade == "不合格"  # V1: fail
    sheet = feedback.feedback_sheet(
        book,
        farm_delivery.outcome,
        delivered_on=farm_delivery.delivered_on,
        deadline=farm_delivery.deadline,
        days=farm_delivery.days,
        final=False,
        _=translator("zh"),
    )
    assert sheet.total == Decimal("96.5") and sheet.department == FARM

    # -- appeals: not another department's item, not without feedback, not late
    appeal_day = by(FARM_LIAISON, at("2021-01-12"))
    async with db.session() as session:
        with pytest.raises(YearEndRefused) as refused:
            await feedback.file_appeal(
                SqlYearEnd(session), campaign, farm, APPEAL_ITEM, "A6.1", "不服", [], appeal_day
            )
        assert refused.value.reason == "not_yours"
        with pytest.raises(YearEndRefused) as refused:
            await feedback.file_appeal(
                SqlYearEnd(session), campaign, farm, APPEAL_VETO, "", "不服", [], appeal_day
            )
        assert refused.value.reason == "no_target"
        with pytest.raises(YearEndRefused) as refused:
            await feedback.file_appeal(
                SqlYearEnd(session), campaign, farm, APPEAL_ITEM, "A5.2", "", [], appeal_day
            )
        assert refused.value.reason == "reason_needed"
        item_appeal = await feedback.file_appeal(
            SqlYearEnd(session),
            campaign,
            farm,
            APPEAL_ITEM,
            "a5.2",
            "缺失的2个地块已于12月补录，附台账",
            ["file-1"],
            appeal_day,
        )
        veto_appeal = await feedback.file_appeal(
            SqlYearEnd(session),
            campaign,
            commerce,
            APPEAL_VETO,
            "",
            "事件不属于本部门职责",
            [],
            by(COMMERCE_LIAISON, appeal_day),
        )
        await session.commit()
    too_late = by(FARM_LIAISON, at("2021-01-18", 16, 5))  # 00:05 on the 19th locally
    async with db.session() as session:
        with pytest.raises(YearEndRefused) as refused:
            await feedback.file_appeal(
                SqlYearEnd(session), campaign, farm, APPEAL_ITEM, "A5.4", "数据已报", [], too_late
            )
        assert refused.value.reason == "past_deadline"

    # -- approval waits for the window and the open appeals
    after_window = at("2021-01-19")
    async with db.session() as session:
        with pytest.raises(YearEndRefused) as refused:
            await approval.approve(
                SqlYearEnd(session),
                campaign,
                body="区环委会",
                approved_on=dt.date(2021, 1, 15),
                number="雨环委〔2021〕3号",
                acting=at("2021-01-15"),
            )
        assert refused.value.reason == "window_running"
        with pytest.raises(YearEndRefused) as refused:
            await approval.approve(
                SqlYearEnd(session),
                campaign,
                body="区环委会",
                approved_on=dt.date(2021, 1, 19),
                number="雨环委〔2021〕3号",
                acting=after_window,
            )
        assert refused.value.reason == "appeals_open"
        with pytest.raises(YearEndRefused) as refused:
            await approval.finalize(SqlYearEnd(session), campaign, after_window)
        assert refused.value.reason == "not_approved"

    # -- the office decides: the item changed (it flows into the result), the veto upheld
    async with db.session() as session:
        with pytest.raises(YearEndRefused) as refused:
            await feedback.decide_appeal(
                SqlYearEnd(session),
                campaign,
                item_appeal.appeal.id,
                change=True,
                new_value=Decimal(11),
                reason="台账已补",
                acting=at("2021-01-14"),
            )
        assert refused.value.reason in ("above_points",)
        changed = await feedback.decide_appeal(
            SqlYearEnd(session),
            campaign,
            item_appeal.appeal.id,
            change=True,
            new_value=Decimal(10),
            reason="补录台账经核实",
            acting=at("2021-01-14"),
        )
        upheld = await feedback.decide_appeal(
            SqlYearEnd(session),
            campaign,
            veto_appeal.appeal.id,
            change=False,
            new_value=None,
            reason="事件经市生态环境局认定",
            acting=at("2021-01-14"),
        )
        await session.commit()
    assert (changed.before, changed.after) == ("8", "10")
    assert [r.tg_id for r in changed.liaisons] == [FARM_LIAISON]
    assert upheld.appeal.state == "upheld"
    async with db.session() as session:
        results = {r.name: r for r in results_of(await SqlScoring(session).book(campaign))}
    assert results[FARM].score == Decimal("98.5")
    assert results[COMMERCE].grade == "不合格"

    # -- approve, finalize; then nothing changes any more
    async with db.session() as session:
        await approval.approve(
            SqlYearEnd(session),
            campaign,
            body="区生态环境保护委员会",
            approved_on=dt.date(2021, 1, 19),
            number="雨环委〔2021〕3号",
            acting=after_window,
        )
        await approval.finalize(SqlYearEnd(session), campaign, after_window)
        await session.commit()
    before = await audit_count(db)
    async with db.session() as session:
        with pytest.raises(YearEndRefused) as refused:
            await ensure_campaign_not_final(SqlYearEnd(session), campaign)
        assert refused.value.reason == "final"
        with pytest.raises(YearEndRefused) as refused:
            await feedback.decide_appeal(
                SqlYearEnd(session),
                campaign,
                item_appeal.appeal.id,
                change=True,
                new_value=Decimal(9),
                reason="x",
                acting=after_window,
            )
        assert refused.value.reason == "final"
        with pytest.raises(YearEndRefused) as refused:
            await approval.finalize(SqlYearEnd(session), campaign, after_window)
        assert refused.value.reason == "final"
        notice = await approval.results_notice(
            SqlYearEnd(session), campaign, translator("zh"), office="区环委办"
        )
    assert await audit_count(db) == before
    assert notice.document_number == "雨环委〔2021〕3号"
    in_notice = {line.department: line for table in notice.classes for line in table.lines}
    async with db.session() as session:
        ranked = in_rank_order(results_of(await SqlScoring(session).book(campaign)))
    assert len(in_notice) == len(ranked) == 18
    for result in ranked:
        line = in_notice[result.name]
        assert (line.rank, line.total, line.grade) == (result.rank, result.score, result.grade)
    assert in_notice[COMMERCE].vetoes == ("发生重大生态环境事件",)
    assert notice.classes[1].lines[0].department == ARCHIVE

    # -- reopening is logged and returns to before approval
    async with db.session() as session:
        with pytest.raises(YearEndRefused) as refused:
            await approval.reopen(SqlYearEnd(session), campaign, "", after_window)
        assert refused.value.reason == "reason_needed"
        await approval.reopen(SqlYearEnd(session), campaign, "审定单位要求更正文号", after_window)
        await session.commit()
    async with db.session() as session:
        await ensure_campaign_not_final(SqlYearEnd(session), campaign)
        logged = await session.scalar(select(ScoreAudit).where(ScoreAudit.action == "reopen"))
        assert logged is not None and logged.reason == "审定单位要求更正文号"
        assert logged.before == "final" and logged.actor_tg_id == OFFICE_ID
        store = SqlScoring(session)
        farm_info = (await store.book(campaign)).department(farm)
        assert farm_info is not None
        await score_item(
            store,
            store,
            Actor(OFFICE_ID, after_window.now),
            department=farm_info,
            code="A5.4",
            score=Decimal(10),
            reason="",
        )
        await session.commit()


def test_who_sees_a_result() -> None:
    """Until final a liaison sees only their own department's, and only after feedback."""
    see = approval.may_see_result
    for role in (Role.ADMIN, Role.LEADER):
        assert see(role, None, 5, fed_back=False, final=False)
    assert not see(Role.LIAISON, 5, 5, fed_back=False, final=False)
    assert see(Role.LIAISON, 5, 5, fed_back=True, final=False)
    assert not see(Role.LIAISON, 5, 6, fed_back=True, final=False)
    assert see(Role.LIAISON, 5, 6, fed_back=True, final=True)
    assert not see(Role.STRANGER, None, 5, fed_back=True, final=True)
