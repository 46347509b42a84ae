"""The year end's use cases on a recording fake of their reader/writer Protocols
(tests/yearend_fakes.py): what each decides, what it stages (rows and audit rows), and
that every refusal stages nothing. The same flow against SQLite and PostgreSQL is
tests/test_yearend_workflow.py; over the Bot API, tests/test_e2e_yearend.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.people.roster import Recipient
from core.scoring.ports import DepartmentInfo
from core.scoring.usecases import Actor, ScoringRefused, changeable_book
from core.yearend import approval, feedback, selfassess, sitecheck
from core.yearend.reminders import plan_self_reminders
from core.yearend.state import Acting, YearEndRefused, ensure_campaign_not_final
from core.yearend.values import ReminderLiaison, SelfItem
from storage.models import (
    APPEAL_CHANGED,
    APPEAL_ITEM,
    APPEAL_OPEN,
    APPEAL_UPHELD,
    DEDUCTION_CONFIRMED,
    DEDUCTION_WITHDRAWN,
    SELF_DRAFT,
    SELF_RETURNED,
    SELF_SUBMITTED,
    Appeal,
    Deduction,
    ItemScore,
    ResultFeedback,
    SelfAssessment,
    SelfScore,
    SiteCheck,
    YearEnd,
)
from tests.yearend_fakes import CAMPAIGN, OFFICE, RecordingYearEnd, line

ZONE = ZoneInfo("Asia/Shanghai")
FARM, COMMERCE = 11, 12
FARM_NAME, COMMERCE_NAME = "区农业农村局", "区商务局"
FARM_LIAISON, COMMERCE_LIAISON = 610_001, 610_006


def at(day: str, hour: int = 2, minute: int = 0, who: int = OFFICE) -> Acting:
    moment = dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=dt.UTC)
    return Acting(who, moment, ZONE)


def weekdays(day: dt.date) -> bool:
    return day.weekday() < 5


def store(**rows: object) -> RecordingYearEnd:
    """Two class-A departments of two items each (30 + 70 points), every item scored in
    full; each department has one liaison."""
    fake = RecordingYearEnd(
        departments_=[
            DepartmentInfo(FARM, FARM_NAME, "A"),
            DepartmentInfo(COMMERCE, COMMERCE_NAME, "A"),
        ],
        lines=[
            line(101, FARM, "G1", "30"),
            line(102, FARM, "A5.1", "70"),
            line(201, COMMERCE, "G1", "30"),
            line(202, COMMERCE, "A6.1", "70"),
        ],
        liaisons={
            FARM: [Recipient(FARM_LIAISON, "zh", "农业联络员")],
            COMMERCE: [Recipient(COMMERCE_LIAISON, None, "商务联络员")],
        },
        items={
            FARM: [
                SelfItem(101, "G1", "事项G1", Decimal(30), True, "全年巡查120次", 2, None, ""),
                SelfItem(102, "A5.1", "事项A5.1", Decimal(70), False, "", 0, None, ""),
            ]
        },
    )
    for name, value in rows.items():
        setattr(fake, name, value)
    return fake


def open_window(deadline: dt.date = dt.date(2021, 1, 8)) -> YearEnd:
    return YearEnd(
        campaign_id=CAMPAIGN,
        recheck_days=5,
        self_opened_at=at("2021-01-04").now,
        self_deadline=deadline,
        approval_body="",
        approval_number="",
    )


async def refused(act: Awaitable[object], fake: RecordingYearEnd) -> str:
    """The act's refusal reason; it must have staged nothing."""
    before = list(fake.staged)
    with pytest.raises(YearEndRefused) as refusal:
        await act
    assert fake.staged == before, f"{refusal.value.reason} staged something"
    return refusal.value.reason


# ---------------------------------------------------------------- self-assessment


async def test_opening_needs_a_confirmed_scheme_and_tells_every_liaison() -> None:
    fake = store()  # the first year-end act: no row yet, and none left by a refusal
    assert fake.scheme_row is not None
    fake.scheme_row.confirmed_at = None
    start = at("2021-01-04")
    assert (
        await refused(selfassess.open_window(fake, CAMPAIGN, dt.date(2021, 1, 8), start), fake)
        == "scheme_not_confirmed"
    )
    fake.scheme_row.confirmed_at = start.now
    assert (
        await refused(selfassess.open_window(fake, CAMPAIGN, dt.date(2021, 1, 1), start), fake)
        == "bad_deadline"
    )
    told = await selfassess.open_window(fake, CAMPAIGN, dt.date(2021, 1, 8), start)
    assert [(name, r.tg_id) for name, r in told] == [
        (FARM_NAME, FARM_LIAISON),
        (COMMERCE_NAME, COMMERCE_LIAISON),
    ]
    assert [r.self_deadline for r in fake.staged_of(YearEnd)] == [dt.date(2021, 1, 8)]
    assert fake.actions == ["selfassess_open"] and fake.audits[0].after == "2021-01-08"


async def test_a_self_score_lies_within_the_points_with_a_statement_where_never_accepted() -> None:
    fake = store(row=open_window())
    day = at("2021-01-05", who=FARM_LIAISON)

    async def propose(code: str, score: str, statement: str = "") -> object:
        return await selfassess.set_self_score(
            fake, CAMPAIGN, FARM, code, Decimal(score), statement, day
        )

    assert await refused(propose("A5.1", "60"), fake) == "statement_needed"
    assert await refused(propose("A5.1", "70.5", "已完成"), fake) == "above_points"
    assert await refused(propose("A6.1", "1", "x"), fake) == "no_item"  # another department's
    assert FARM not in fake.assessments  # a refusal leaves no draft behind

    await propose("G1", "30")  # accepted during the year: its report's text stands
    await propose("a5.1", "60", "2处整改中")
    proposed = {s.binding_id: (s.score, s.statement, s.set_by) for s in fake.staged_of(SelfScore)}
    assert proposed == {
        101: (Decimal(30), "", FARM_LIAISON),
        102: (Decimal(60), "2处整改中", FARM_LIAISON),
    }
    assert [a.state for a in fake.staged_of(SelfAssessment)] == [SELF_DRAFT]
    form = await selfassess.self_form(fake, CAMPAIGN, FARM)
    assert not form.missing and form.items[0].shown_statement == "全年巡查120次"


async def test_submitting_locks_the_self_assessment_until_the_office_returns_it() -> None:
    fake = store(row=open_window())
    day = at("2021-01-05", who=FARM_LIAISON)
    await selfassess.set_self_score(fake, CAMPAIGN, FARM, "G1", Decimal(30), "", day)
    assert await refused(selfassess.submit(fake, CAMPAIGN, FARM, day), fake) == "incomplete"
    await selfassess.set_self_score(fake, CAMPAIGN, FARM, "A5.1", Decimal(65), "已完成", day)

    form = await selfassess.submit(fake, CAMPAIGN, FARM, day)
    assert form.state == SELF_SUBMITTED
    assessment = fake.assessments[FARM]
    assert (assessment.submitted_by, assessment.submitted_at) == (FARM_LIAISON, day.now)
    assert fake.actions == ["selfassess_submit"] and fake.audits[0].after == "95"

    # Locked: no score, no report, no second submit.
    locked = [
        selfassess.set_self_score(fake, CAMPAIGN, FARM, "G1", Decimal(20), "", day),
        selfassess.attach_self_report(
            fake, CAMPAIGN, FARM, file_id="f", sha256=None, name="自查报告.docx", acting=day
        ),
        selfassess.submit(fake, CAMPAIGN, FARM, day),
    ]
    for act in locked:
        assert await refused(act, fake) == "submitted"

    # The office returns it with a comment: the liaison is told and may change it again.
    office = at("2021-01-06")
    assert await refused(selfassess.return_self(fake, CAMPAIGN, FARM, " ", office), fake) == (
        "reason_needed"
    )
    assert (
        await refused(selfassess.return_self(fake, CAMPAIGN, COMMERCE, "补充", office), fake)
        == "not_submitted"
    )
    told = await selfassess.return_self(fake, CAMPAIGN, FARM, "请补充台账", office)
    assert [r.tg_id for r in told] == [FARM_LIAISON]
    assert (assessment.state, assessment.return_comment) == (SELF_RETURNED, "请补充台账")
    assert fake.actions[-1] == "selfassess_return"
    await selfassess.set_self_score(fake, CAMPAIGN, FARM, "G1", Decimal(28), "", day)
    assert fake.scores[101].score == Decimal(28)
    pending = await selfassess.not_submitted(fake, CAMPAIGN)
    assert [p.department for p in pending] == [FARM_NAME, COMMERCE_NAME]


async def test_the_window_ends_with_its_deadline_day_local_time_and_with_final() -> None:
    fake = store(row=open_window(dt.date(2021, 1, 8)))

    def propose(acting: Acting) -> Awaitable[object]:
        return selfassess.set_self_score(fake, CAMPAIGN, FARM, "G1", Decimal(30), "", acting)

    # 00:30 on the 9th in Shanghai is too late; 23:30 on the 8th is not.
    late = at("2021-01-08", 16, 30, who=FARM_LIAISON)
    assert await refused(propose(late), fake) == "window_closed"
    await propose(at("2021-01-08", 15, 30, who=FARM_LIAISON))
    assert fake.row is not None
    fake.row.finalized_at = late.now
    fake.staged.clear()
    assert await refused(propose(at("2021-01-08", 15, 40, who=FARM_LIAISON)), fake) == "final"


async def test_reminders_go_to_the_deputies_only_while_every_main_liaison_is_away() -> None:
    deputy = 610_007
    fake = store(
        row=open_window(dt.date(2021, 1, 8)),
        reminder_liaisons=[
            ReminderLiaison(FARM, FARM_NAME, FARM_LIAISON, "zh", False),
            ReminderLiaison(COMMERCE, COMMERCE_NAME, COMMERCE_LIAISON, None, False),
            ReminderLiaison(COMMERCE, COMMERCE_NAME, deputy, None, True),
        ],
        away={COMMERCE_LIAISON},
    )
    archive = DepartmentInfo(13, "区档案馆", "B")  # submitted: never reminded
    fake.departments_.append(archive)
    fake.assessments[archive.id] = SelfAssessment(
        campaign_id=CAMPAIGN, department_id=archive.id, state=SELF_SUBMITTED
    )
    monday = at("2021-01-04").now
    plan = await plan_self_reminders(fake, monday, ZONE, weekdays)
    assert [(r.user_tg_id, r.department) for r in plan.reminders] == [
        (FARM_LIAISON, FARM_NAME),
        (deputy, COMMERCE_NAME),
    ]
    assert (plan.submitted, plan.pending, plan.deadline) == (1, 2, dt.date(2021, 1, 8))
    assert plan.reminders[0].key.period == "2021-01-04"
    saturday = at("2021-01-09").now  # after the deadline day, and not a working day
    assert (await plan_self_reminders(fake, saturday, ZONE, weekdays)).reminders == ()
    fake.row = None  # never opened
    assert (await plan_self_reminders(fake, monday, ZONE, weekdays)).reminders == ()
    assert fake.staged == []  # a plan only reads


# ---------------------------------------------------------------- site checks


async def test_a_site_check_is_recorded_and_a_deduction_cites_it() -> None:
    fake = store(row=open_window())
    deduction = Deduction(
        id=1,
        campaign_id=CAMPAIGN,
        binding_id=102,
        amount=Decimal(2),
        reason="台账缺2个地块",
        source="manual",
        state=DEDUCTION_CONFIRMED,
        created_by=OFFICE,
        created_at=at("2021-01-10").now,
    )
    fake.deduction_rows[1] = deduction
    review = at("2021-01-11")

    def record(department: int, day: dt.date, team: str, findings: str) -> Awaitable[SiteCheck]:
        return sitecheck.record_site_check(
            fake,
            CAMPAIGN,
            department,
            checked_on=day,
            team=team,
            findings=findings,
            photos=["photo-1"],
            acting=review,
        )

    past = dt.date(2020, 12, 10)
    assert await refused(record(FARM, past, "张、李", " "), fake) == "sitecheck_incomplete"
    assert await refused(record(FARM, dt.date(2021, 1, 12), "张", "x"), fake) == "bad_deadline"
    assert await refused(record(99, past, "张", "x"), fake) == "no_department"

    check = await record(FARM, past, "区环委办 张、李", "A5.1 台账缺2个地块")
    assert fake.staged_of(SiteCheck) == [check] and check.id is not None
    assert (check.department_id, check.photos, check.created_by) == (FARM, ["photo-1"], OFFICE)
    assert fake.actions == ["sitecheck"]
    assert fake.audits[0].subject == f"{FARM_NAME} S{check.id}"

    assert await refused(sitecheck.cite(fake, CAMPAIGN, 999, "A5.1", review), fake) == (
        "no_sitecheck"
    )
    assert await refused(sitecheck.cite(fake, CAMPAIGN, check.id, "G1", review), fake) == (
        "no_deduction"
    )
    cited = await sitecheck.cite(fake, CAMPAIGN, check.id, "a5.1", review)
    assert cited == (FARM_NAME, "A5.1")
    assert deduction.source == f"sitecheck:{check.id}"
    assert (fake.audits[-1].action, fake.audits[-1].before) == ("sitecheck_cite", "manual")
    # The feedback names the check beside the deduction.
    labels = await feedback.site_check_labels(fake, CAMPAIGN)
    assert labels[deduction.source] == f"S{check.id} 2020-12-10"


# ---------------------------------------------------------------- feedback


async def test_feedback_is_recorded_once_per_department_with_its_working_day_deadline() -> None:
    fake = store(row=open_window(dt.date(2021, 1, 8)))
    friday = at("2021-01-08")  # 10:00 in Shanghai, the window's last day

    def send(acting: Acting) -> Awaitable[tuple[object, list[feedback.Delivery]]]:
        return feedback.send_feedback(fake, CAMPAIGN, acting, weekdays)

    assert await refused(send(friday), fake) == "window_running"
    assert fake.row is not None
    fake.row.self_closed_at = friday.now
    fake.lines[3] = replace(fake.lines[3], scored=False)
    assert await refused(send(friday), fake) == "incomplete_scores"
    fake.lines[3] = replace(fake.lines[3], scored=True)

    _book, deliveries = await send(friday)
    rows = fake.staged_of(ResultFeedback)
    assert sorted(r.department_id for r in rows) == [FARM, COMMERCE]
    # Delivered on a Friday: five working days from Monday end on the next Friday.
    assert {r.recheck_deadline for r in rows} == {dt.date(2021, 1, 15)}
    by_department = {d.outcome.department: d for d in deliveries}
    assert [r.tg_id for r in by_department[FARM_NAME].liaisons] == [FARM_LIAISON]
    assert by_department[FARM_NAME].outcome.result.score == Decimal(100)
    assert by_department[FARM_NAME].deadline == dt.date(2021, 1, 15)
    assert fake.actions == ["feedback"] and fake.audits[0].after == "2"

    # Sent again on Monday: nothing new recorded, each deadline stays the first one.
    _book, again = await send(at("2021-01-11"))
    assert len(fake.staged_of(ResultFeedback)) == 2
    assert {d.deadline for d in again} == {dt.date(2021, 1, 15)}
    assert {d.delivered_on for d in again} == {dt.date(2021, 1, 8)}


async def test_a_liaison_sees_their_result_once_given() -> None:
    fake = store(row=open_window())
    assert await feedback.own_result(fake, CAMPAIGN, FARM) is None
    fake.feedback_rows[FARM] = ResultFeedback(
        campaign_id=CAMPAIGN,
        department_id=FARM,
        delivered_at=at("2021-01-08").now,
        recheck_deadline=dt.date(2021, 1, 15),
    )
    own = await feedback.own_result(fake, CAMPAIGN, FARM)
    assert own is not None and (own.deadline, own.final) == (dt.date(2021, 1, 15), False)
    assert [i.code for i in own.outcome.items] == ["G1", "A5.1"]


# ---------------------------------------------------------------- appeals


def fed_back(fake: RecordingYearEnd, *departments: int) -> None:
    for department in departments:
        fake.feedback_rows[department] = ResultFeedback(
            campaign_id=CAMPAIGN,
            department_id=department,
            delivered_at=at("2021-01-08").now,
            recheck_deadline=dt.date(2021, 1, 15),
        )


async def test_an_appeal_is_on_time_through_its_deadline_day_and_on_own_items_only() -> None:
    fake = store(row=open_window())
    fed_back(fake, FARM)

    def appeal(department: int, code: str, reason: str, acting: Acting) -> Awaitable[object]:
        return feedback.file_appeal(
            fake, CAMPAIGN, department, APPEAL_ITEM, code, reason, ["file-1"], acting
        )

    on_time = at("2021-01-15", 15, 0, who=FARM_LIAISON)  # 23:00 on the deadline day
    late = at("2021-01-15", 16, 5, who=FARM_LIAISON)  # 00:05 the day after
    assert await refused(appeal(FARM, "A5.1", "台账已补", late), fake) == "past_deadline"
    assert await refused(appeal(FARM, "A6.1", "不服", on_time), fake) == "not_yours"
    assert await refused(appeal(FARM, "A5.1", " ", on_time), fake) == "reason_needed"
    assert await refused(appeal(COMMERCE, "A6.1", "不服", on_time), fake) == "no_feedback"

    filed = await appeal(FARM, "a5.1", "缺失地块已补录", on_time)
    assert isinstance(filed, feedback.Filed)
    staged = fake.staged_of(Appeal)
    assert staged == [filed.appeal]
    assert (filed.appeal.binding_id, filed.appeal.subject, filed.appeal.state) == (
        102,
        "A5.1",
        APPEAL_OPEN,
    )
    assert filed.appeal.id is not None and fake.actions == ["appeal"]


def open_appeal(fake: RecordingYearEnd, appeal_id: int = 7) -> Appeal:
    appeal = Appeal(
        id=appeal_id,
        campaign_id=CAMPAIGN,
        department_id=FARM,
        target=APPEAL_ITEM,
        binding_id=102,
        subject="A5.1",
        reason="台账已补",
        attachments=[],
        state=APPEAL_OPEN,
        filed_by=FARM_LIAISON,
        filed_at=at("2021-01-12").now,
        decision="",
    )
    fake.appeals[appeal_id] = appeal
    return appeal


def deduction(deduction_id: int, amount: str, source: str) -> Deduction:
    return Deduction(
        id=deduction_id,
        campaign_id=CAMPAIGN,
        binding_id=102,
        amount=Decimal(amount),
        reason=f"扣分{deduction_id}",
        source=source,
        state=DEDUCTION_CONFIRMED,
        created_by=OFFICE,
        created_at=at("2021-01-10").now,
    )


async def test_an_upheld_appeal_keeps_the_result_and_tells_the_department() -> None:
    fake = store(row=open_window())
    appeal = open_appeal(fake)
    decide = at("2021-01-14")
    assert (
        await refused(
            feedback.decide_appeal(
                fake, CAMPAIGN, appeal.id, change=False, new_value=None, reason="", acting=decide
            ),
            fake,
        )
        == "reason_needed"
    )
    decided = await feedback.decide_appeal(
        fake, CAMPAIGN, appeal.id, change=False, new_value=None, reason="经核实维持", acting=decide
    )
    assert (appeal.state, appeal.decision, appeal.new_score) == (APPEAL_UPHELD, "经核实维持", None)
    assert (appeal.decided_by, appeal.decided_at) == (OFFICE, decide.now)
    assert [r.tg_id for r in decided.liaisons] == [FARM_LIAISON]
    assert fake.actions == ["appeal_upheld"]  # no score touched
    assert (
        await refused(
            feedback.decide_appeal(
                fake, CAMPAIGN, appeal.id, change=False, new_value=None, reason="x", acting=decide
            ),
            fake,
        )
        == "decided"
    )


async def test_a_changed_item_goes_through_the_scoring_acts_and_drops_recorded_deductions() -> None:
    fake = store(row=open_window())
    manual, cited = deduction(1, "5", "manual"), deduction(2, "3", "sitecheck:4")
    fake.deduction_rows = {1: manual, 2: cited}
    appeal = open_appeal(fake)
    decide = at("2021-01-14")

    def change(value: str) -> Awaitable[feedback.Decided]:
        return feedback.decide_appeal(
            fake,
            CAMPAIGN,
            appeal.id,
            change=True,
            new_value=Decimal(value),
            reason="补录台账经核实",
            acting=decide,
        )

    assert await refused(change("70.5"), fake) == "above_points"
    assert manual.state == cited.state == DEDUCTION_CONFIRMED

    decided = await change("70")
    assert (decided.before, decided.after) == ("62", "70")
    assert manual.state == cited.state == DEDUCTION_WITHDRAWN
    assert (appeal.state, appeal.new_score) == (APPEAL_CHANGED, Decimal(70))
    assert fake.actions == ["deduction_withdrawn", "score", "appeal_changed"]
    assert [s.binding_id for s in fake.staged_of(ItemScore)] == [102]
    assert not fake.staged_of(Deduction)  # the full score needs no new deduction
    book = await fake.book(CAMPAIGN)
    assert all(d.state == DEDUCTION_WITHDRAWN for x in book.lines for d in x.deductions)


# ---------------------------------------------------------------- approval, final, reopen


async def test_approval_waits_for_every_feedback_window_and_every_appeal() -> None:
    fake = store()  # no year-end row yet: a refusal leaves none

    def approve(acting: Acting) -> Awaitable[YearEnd]:
        return approval.approve(
            fake,
            CAMPAIGN,
            body="区环委会",
            approved_on=acting.today,
            number="雨环委〔2021〕3号",
            acting=acting,
        )

    assert await refused(approve(at("2021-01-19")), fake) == "no_feedback_yet"
    fed_back(fake, FARM)
    assert await refused(approve(at("2021-01-19")), fake) == "no_feedback_yet"
    fed_back(fake, COMMERCE)
    assert await refused(approve(at("2021-01-15")), fake) == "window_running"
    appeal = open_appeal(fake)
    assert await refused(approve(at("2021-01-19")), fake) == "appeals_open"
    appeal.state = APPEAL_UPHELD
    assert await refused(approval.finalize(fake, CAMPAIGN, at("2021-01-19")), fake) == (
        "not_approved"
    )

    row = await approve(at("2021-01-19"))
    assert fake.staged_of(YearEnd) == [row]
    assert (row.approval_body, row.approval_number, row.approval_date) == (
        "区环委会",
        "雨环委〔2021〕3号",
        dt.date(2021, 1, 19),
    )
    assert fake.actions == ["approve"]


async def test_final_locks_every_change_until_a_logged_reopening() -> None:
    fake = store(row=open_window(dt.date(2021, 1, 30)))
    fed_back(fake, FARM, COMMERCE)
    open_appeal(fake).state = APPEAL_UPHELD
    after = at("2021-01-19")
    await approval.approve(
        fake, CAMPAIGN, body="区环委会", approved_on=after.today, number="3号", acting=after
    )
    row = await approval.finalize(fake, CAMPAIGN, after)
    assert (row.finalized_at, row.finalized_by) == (after.now, OFFICE)
    assert fake.actions == ["approve", "finalize"]

    liaison = at("2021-01-19", who=FARM_LIAISON)
    changes: list[Callable[[], Awaitable[object]]] = [
        lambda: selfassess.set_self_score(fake, CAMPAIGN, FARM, "G1", Decimal(1), "", liaison),
        lambda: selfassess.open_window(fake, CAMPAIGN, dt.date(2021, 2, 1), after),
        lambda: sitecheck.record_site_check(
            fake,
            CAMPAIGN,
            FARM,
            checked_on=dt.date(2021, 1, 2),
            team="张",
            findings="x",
            photos=[],
            acting=after,
        ),
        lambda: feedback.send_feedback(fake, CAMPAIGN, after, weekdays),
        lambda: feedback.file_appeal(fake, CAMPAIGN, FARM, APPEAL_ITEM, "G1", "x", [], liaison),
        lambda: feedback.decide_appeal(
            fake, CAMPAIGN, 7, change=True, new_value=Decimal(1), reason="x", acting=after
        ),
        lambda: approval.finalize(fake, CAMPAIGN, after),
        lambda: ensure_campaign_not_final(fake, CAMPAIGN),
    ]
    for act in changes:
        assert await refused(act(), fake) == "final"
    # The scoring acts read the same lock (core.scoring.usecases.changeable_book).
    with pytest.raises(ScoringRefused) as scoring_refused:
        await changeable_book(fake, fake, Actor(OFFICE, after.now))
    assert scoring_refused.value.reason == "final"

    assert await refused(approval.reopen(fake, CAMPAIGN, " ", after), fake) == "reason_needed"
    await approval.reopen(fake, CAMPAIGN, "审定文号有误", after)
    assert (row.finalized_at, row.approved_at, row.approval_number) == (None, None, "")
    logged = fake.audits[-1]
    assert (logged.action, logged.before, logged.reason) == ("reopen", "final", "审定文号有误")
    book = await changeable_book(fake, fake, Actor(OFFICE, after.now))
    assert book.campaign.id == CAMPAIGN
    assert await refused(approval.reopen(fake, CAMPAIGN, "再次", after), fake) == "not_approved"
