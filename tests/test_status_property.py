"""Every screen tells the same story: a property test over generated report histories.

Hypothesis generates a small campaign (two departments, two general items and one item
of each department's own), each item's deadline (some none), when each binding was
made, a history of reports and reviews (accepts and returns) per binding, and a "today".
The history is written into a real database (SQLite and PostgreSQL) through the bot's
own write paths (`record_report`, `decide`), then each screen is asked as a user would
ask it, over the fake Bot API server: /status, /dept, /item, /overdue and a liaison's
/items; the digest's text and the export's workbook are built by their real code. The
numbers and colours are read back out of what a user sees and compared with `expect`,
a deliberately naive reference written here from the generated events alone (not with
`core.status.model`, which would only compare the model with itself).

The histories also hold what supervision adds (issue 22): items paced along the year
(a cumulative target, the values reported for it) beside rate items that never are,
milestones (dated steps each due in turn), extensions of one binding (approved, rejected,
and asked too late or for an earlier date, which changes nothing) and rectifications set
on returning a report (met by an accepted report, missed, or still open). The reference
works out each binding's colour, reasons (in the agreed order) and due date by hand, and
each department's silence (issue 19: from its last report on any item, else from the later
of its first binding and the campaign's start); the screens, the digest's silent and
past-due lines (its figures from `collect`, and the items its text names with their due
dates), /status' and the dashboard's department silence, the export's 总览 and 考核事项
sheets and the dashboard's queries must agree with it.

The SQL forms of the rules (`core.status.clauses`) are checked against the pure model on
the same data.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select, update

from core.dashboard.queries import colour_tally, overdue_page
from core.dashboard.queries import overview as dashboard_overview
from core.digest.data import collect, digest_window
from core.digest.messages import build_digest, to_plain
from core.export.gather import gather_export
from core.export.sheets import SHEET_ITEMS, SHEET_OVERVIEW, write_workbook
from core.reporting.evidence import EvidenceStore
from core.reporting.reports import record_report
from core.reporting.sql import SqlReview
from core.reporting.use_cases import decide
from core.scheduling.workdays import is_weekday
from core.status.clauses import (
    DONE_CLAUSE,
    PENDING_REVIEW_CLAUSE,
    overdue_clause,
    past_due_clause,
    silent_clause,
)
from core.status.day import FACT_COLUMNS, Reading, facts_of, read_day
from core.status.model import DueSource, Rules, assess
from core.supervision.extensions import ExtensionRefused, decide_extension, request_extension
from core.supervision.sql import SqlSupervision
from storage.models import Binding, Campaign, Department, Item, Target, User
from tests.office_support import ask_all, overdue_text, speak_english
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, DubanRig

TZ = ZoneInfo("Asia/Shanghai")
YELLOW_DAYS, SILENT_DAYS = 7, 14
LIAISON = u.TgUser(id=680_001, first_name="甲局联络员")
DEPARTMENTS = ("区甲局", "区乙局")
# code -> the department (index) it belongs to, None for a general item
ITEMS = {"G1": None, "G2": None, "A1.1": 0, "A2.1": 1}
PAIRS = [(d, code) for code, owner in ITEMS.items() for d in range(2) if owner in (None, d)]
REPORTS = ("not_started", "in_progress", "done", "blocked")
# Steps of a history: a report, a done report with its review, a stray review, or an
# extension asked. Arguments are drawn with each step (`history_steps`).
STEPS = (
    ("not_started",),
    ("in_progress",),
    ("blocked",),
    ("done",),
    ("done", "accepted"),
    ("done", "accepted"),
    ("done", "returned"),
    ("accepted",),
    ("returned",),
    ("extend",),
    ("extend",),
    ("done", "returned", "extend"),
    ("done", "returned", "done", "accepted"),
)
PACE_MARGIN = Decimal(10)  # the default: points of the target
NOTICE_DAYS, PER_BINDING = 3, 1  # the defaults of EXTENSION_NOTICE_DAYS, EXTENSIONS_PER_BINDING
REASON_WORDS = {
    "past_due": "past due",
    "rectification_overdue": "rectification overdue",
    "behind_pace": "behind pace",
    "due_soon": "due soon",
    "silent": "silent",
    "rectifying": "under rectification",
}
REASON_ZH = {
    "past_due": "已逾期",
    "rectification_overdue": "整改逾期",
    "behind_pace": "进度滞后",
    "due_soon": "临近期限",
    "silent": "长期未报",
    "rectifying": "整改中",
}
ICONS = {"⚪": "not_started", "🔵": "in_progress", "⚠️": "blocked", "🕓": "pending_review"}
ICONS["✅"] = "done"
COLOURS = {"🔴": "red", "🟡": "yellow", "🟢": "green"}
NOW_HOUR = 10  # the screens are asked at 10:00 local time


@dataclass
class History:
    bound_day: dt.date
    # (aware local time, kind, argument), oldest first. The argument: a report's value for
    # the item's target (or None); a return's rectification days (or None); an
    # extension's (days after the due date asked for, approved?).
    events: list[tuple[dt.datetime, str, object]] = field(default_factory=list)


@dataclass
class Scenario:
    year: int
    today: dt.date
    deadlines: dict[str, dt.date | None]
    histories: dict[tuple[int, str], History]
    milestones: dict[str, tuple[dt.date, ...]] = field(default_factory=dict)
    paced: dict[str, int | None] = field(default_factory=dict)  # the target when paced

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.today, dt.time(NOW_HOUR), tzinfo=TZ)


def argument(draw: st.DrawFn, kind: str) -> object:
    if kind in REPORTS:
        return draw(st.none() | st.integers(0, 12))
    if kind == "returned":
        return draw(st.none() | st.integers(1, 40) | st.integers(1, 40))
    if kind == "extend":
        return (draw(st.sampled_from([-5, 0, 10, 45, 120, 400])), draw(st.booleans()))
    return None


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    year = draw(st.sampled_from([2020, 2021]))
    today = draw(
        st.dates(dt.date(year, 1, 20), dt.date(year, 12, 31))
        | st.dates(dt.date(year + 1, 1, 1), dt.date(year + 1, 2, 28))
    )
    in_year = st.dates(dt.date(year, 1, 1), dt.date(year, 12, 31))
    deadlines = {code: draw(st.none() | in_year) for code in ITEMS}
    milestones = {code: tuple(sorted(set(draw(st.lists(in_year, max_size=2))))) for code in ITEMS}
    paced = {code: draw(st.none() | st.sampled_from([2, 4, 5, 10])) for code in ITEMS}
    histories: dict[tuple[int, str], History] = {}
    for pair in PAIRS:
        bound = draw(st.dates(dt.date(year, 1, 1), today))
        span = (today - bound).days
        # The events in the order drawn (a done report then its review, say), at times
        # drawn apart and sorted so they keep that order.
        kinds = [
            kind for step in draw(st.lists(st.sampled_from(STEPS), max_size=4)) for kind in step
        ]
        times = sorted(
            draw(
                st.lists(
                    st.tuples(
                        st.integers(0, span),
                        st.sampled_from([0, 9, 12, 23]),  # 23:xx local: the previous UTC day
                        st.integers(0, 59),
                    ),
                    min_size=len(kinds),
                    max_size=len(kinds),
                )
            )
        )
        events = [
            (
                dt.datetime.combine(
                    bound + dt.timedelta(days=offset), dt.time(hour, minute), tzinfo=TZ
                ),
                kind,
                argument(draw, kind),
            )
            for (offset, hour, minute), kind in zip(times, kinds, strict=True)
        ]
        now = dt.datetime.combine(today, dt.time(NOW_HOUR), tzinfo=TZ)
        histories[pair] = History(bound, [event for event in events if event[0] < now])
    return Scenario(year, today, deadlines, histories, milestones, paced)


# ---------------------------------------------------------------- the naive reference


@dataclass(frozen=True)
class Expected:
    status: str
    colour: str
    past: bool
    silent: bool
    due: str  # as /dept shows it
    reasons: tuple[str, ...] = ()  # keys of REASON_WORDS, in the agreed order
    due_zh: str = ""  # as the export's 当前应完成日期 shows it
    due_on: dt.date | None = None  # the date due today (a step, an extension, ...)


def weekdays_after(day: dt.date, until: dt.date) -> int:
    """Monday-Friday days after `day` up to and including `until`."""
    return sum(
        1 for n in range(1, (until - day).days + 1) if (day + dt.timedelta(days=n)).weekday() < 5
    )


def expect(scenario: Scenario, pair: tuple[int, str]) -> Expected:
    """What a person would work out by hand from the events of one binding."""
    history = scenario.histories[pair]
    code = pair[1]
    year_end = dt.date(scenario.year, 12, 31)
    own = scenario.deadlines[code]
    last_status: str | None = None
    last_at: dt.datetime | None = None
    review: str | None = None
    value: int | None = None
    rectification: dt.date | None = None
    extended: dt.date | None = None
    approved = 0

    def status_now() -> str:
        if last_status is None:
            return "not_started"
        if last_status == "done":
            return {"accepted": "done", "returned": "in_progress", None: "pending_review"}[review]
        return last_status

    for at, kind, arg in history.events:
        day = at.date()  # events are local already
        if kind in REPORTS:
            last_status, last_at, review = kind, at, None
            if arg is not None:
                value = int(arg)  # type: ignore[call-overload]
        elif kind == "accepted":
            if last_status == "done" and review is None:
                review, rectification = "accepted", None
        elif kind == "returned":
            if last_status == "done" and review is None:
                review = "returned"
                if arg is not None:
                    rectification = day + dt.timedelta(days=int(arg))  # type: ignore[call-overload]
        elif kind == "extend":
            delta, approve = arg  # type: ignore[misc]
            final_then = extended or own or year_end
            refused = (
                status_now() == "done"
                or delta <= 0
                or weekdays_after(day, final_then) < NOTICE_DAYS
                or approved >= PER_BINDING
            )
            if not refused and approve:
                extended, approved = final_then + dt.timedelta(days=delta), approved + 1
    status = status_now()
    done = status == "done"
    today = scenario.today
    final = extended or own or year_end
    steps = sorted(m for m in scenario.milestones[code] if m < final)
    last_day = last_at.date() if last_at else None
    # A step is met by a report after the step before it (any report, for the first).
    missed = [
        m
        for i, m in enumerate(steps)
        if m < today and not (last_day and (i == 0 or last_day > steps[i - 1]))
    ]
    upcoming = [m for m in steps if m >= today]
    if missed:
        due, words = missed[0], " (milestone)"
        zh = "（阶段节点）"
    elif upcoming:
        due, words, zh = upcoming[0], " (milestone)", "（阶段节点）"
    elif extended:
        original = (own or year_end).isoformat()
        due, words = final, f" (extended from {original})"
        zh = f"（原定 {original}，已延期）"
    elif own:
        due, words, zh = own, "", ""
    else:
        due, words, zh = year_end, " (year end)", "（年度末）"
    step_passed = due < today
    if rectification and not done and rectification < due:
        due, words, zh = rectification, " (rectification)", "（整改期限）"
    shown = f"deadline {due.isoformat()}{words}"
    quiet = (today - (last_day or history.bound_day)).days
    past = not done and today > due
    silent = status not in ("done", "pending_review") and quiet >= SILENT_DAYS
    behind = False
    target = scenario.paced[code]
    if target is not None and status not in ("done", "pending_review"):
        start = dt.date(scenario.year, 1, 1)
        points = [start, *(m for m in steps if start < m < final), final]
        if today <= start:
            line = Fraction(0)
        elif today >= final:
            line = Fraction(target)
        else:
            index = max(i for i in range(len(points) - 1) if points[i] <= today)
            left, right = points[index], points[index + 1]
            line = (
                Fraction(target)
                * (index + Fraction((today - left).days, (right - left).days))
                / (len(points) - 1)
            )
        behind = (value or 0) < line - Fraction(target) * Fraction(PACE_MARGIN) / 100
    rectifying = rectification is not None and not done
    soon = not done and 0 <= (due - today).days <= YELLOW_DAYS
    reasons = tuple(
        key
        for key, present in (
            ("past_due", not done and step_passed),
            (
                "rectification_overdue",
                rectifying and rectification is not None and rectification < today,
            ),
            ("behind_pace", behind),
            ("due_soon", soon),
            ("silent", silent),
            ("rectifying", rectifying),
        )
        if present
    )
    if done:
        colour = "green"
    elif past:
        colour = "red"
    elif silent or behind or soon:
        colour = "yellow"
    else:
        colour = "green"
    return Expected(status, colour, past, silent, shown, reasons, due.isoformat() + zh, due)


def department_quiet(scenario: Scenario, d: int) -> int:
    """Days without a report on any of the department's items: since its last report, or
    never reported, since the later of its first binding and the campaign's start."""
    mine = [h for (dd, _code), h in scenario.histories.items() if dd == d]
    reported = [at.date() for h in mine for at, kind, _arg in h.events if kind in REPORTS]
    if reported:
        since = max(reported)
    else:
        since = max(min(h.bound_day for h in mine), dt.date(scenario.year, 1, 1))
    return (scenario.today - since).days


def department_silent(scenario: Scenario, d: int) -> bool:
    """No report on any of its items for SILENT_DAYS (`department_quiet`)."""
    return department_quiet(scenario, d) >= SILENT_DAYS


def digest_past_due(words: str) -> set[tuple[str, str, str, bool]]:
    """(department, code, due date, at the year's end?) of each item the digest's text
    names under "Items past deadline and not done" (every one is new: none was told)."""
    if "Items past deadline and not done: " not in words:
        return set()
    part = words.split("Items past deadline and not done: ", 1)[1]
    named: set[tuple[str, str, str, bool]] = set()
    for line in part.split("\n")[1:]:
        entry = re.match(r"^• (区.局): (.*)$", line)
        if entry is None:
            if line.startswith("🔴 "):
                continue
            break
        for group in re.finditer(
            rf"((?:(?:{CODE})(?:, )?)+) \(deadline (\d{{4}}-\d\d-\d\d)(, year end)?\)", entry[2]
        ):
            for code in group[1].split(", "):
                named.add((entry[1], code, group[2], bool(group[3])))
    return named


# ---------------------------------------------------------------- writing the data


async def write(rig: DubanRig, scenario: Scenario) -> tuple[int, dict[tuple[int, str], int]]:
    """A new active campaign holding the scenario; (its id, binding ids by pair)."""
    store = EvidenceStore(rig.evidence_dir)
    start = dt.datetime(scenario.year - 1, 12, 31, tzinfo=dt.UTC)
    async with rig.session() as session:
        await session.execute(update(Campaign).values(active=False))
        campaign = Campaign(
            year=scenario.year,
            title=f"考核 {scenario.year}",
            source_name="generated",
            fingerprint=uuid.uuid4().hex,
            active=True,
            created_at=start,
        )
        session.add(campaign)
        await session.flush()
        departments = []
        for number, name in enumerate(DEPARTMENTS, start=1):
            department = Department(
                campaign_id=campaign.id, number=number, name=name, dept_class="A", aliases=[]
            )
            session.add(department)
            departments.append(department)
        await session.flush()
        items = {}
        for position, (code, owner) in enumerate(ITEMS.items()):
            items[code] = Item(
                campaign_id=campaign.id,
                code=code,
                kind="general" if owner is None else "department",
                department_id=None if owner is None else departments[owner].id,
                position=position,
                title=f"事项{code}",
                text=f"事项{code}的全文",
                deadline=scenario.deadlines[code],
                milestones=[m.isoformat() for m in scenario.milestones[code]],
                pace_target=scenario.paced[code],
                # A paced item counts (不少于N次); the others are rates, never paced.
                targets=[
                    Target(
                        position=0, metric="次数", op=">=", value=scenario.paced[code], unit="次"
                    )
                    if scenario.paced[code] is not None
                    else Target(position=0, metric="比例", op=">=", value=90, unit="%")
                ],
            )
            session.add(items[code])
        await session.flush()
        bindings = {}
        for pair in PAIRS:
            bound = scenario.histories[pair].bound_day
            bindings[pair] = Binding(
                campaign_id=campaign.id,
                department_id=departments[pair[0]].id,
                item_id=items[pair[1]].id,
                created_at=dt.datetime.combine(bound, dt.time(0), tzinfo=TZ),
            )
            session.add(bindings[pair])
        await session.execute(
            update(User).where(User.tg_id == LIAISON.id).values(department_id=departments[0].id)
        )
        await session.commit()
        campaign_id = campaign.id
        ids = {pair: binding.id for pair, binding in bindings.items()}
        department_ids = [d.id for d in departments]
        target_ids = {code: item.targets[0].id for code, item in items.items()}
    rules = Rules(TZ, YELLOW_DAYS, SILENT_DAYS, PACE_MARGIN)
    for pair, history in scenario.histories.items():
        latest: int | None = None
        for at, kind, arg in history.events:
            async with rig.session() as session:
                if kind in REPORTS:
                    recorded = await record_report(
                        session,
                        store,
                        reporter_tg_id=LIAISON.id,
                        department_id=department_ids[pair[0]],
                        binding_id=ids[pair],
                        status=kind,
                        values={} if arg is None else {target_ids[pair[1]]: Decimal(str(arg))},
                        text="",
                        evidence=[],
                        source="test",
                        now=at.astimezone(dt.UTC),
                    )
                    latest = recorded.report_id if kind == "done" else None
                elif kind == "extend":
                    delta, approve = arg  # type: ignore[misc]
                    binding = await session.get(Binding, ids[pair])
                    assert binding is not None
                    final = binding.extended_due or scenario.deadlines[pair[1]]
                    try:
                        asked = await request_extension(
                            SqlSupervision(session),
                            code=pair[1],
                            requested_due=(final or dt.date(scenario.year, 12, 31))
                            + dt.timedelta(days=delta),
                            reason="原因",
                            requester_tg_id=LIAISON.id,
                            department_id=department_ids[pair[0]],
                            today=at.date(),
                            rules=rules,
                            is_working=is_weekday,
                            notice_days=NOTICE_DAYS,
                            per_binding=PER_BINDING,
                            now=at.astimezone(dt.UTC),
                        )
                    except ExtensionRefused:
                        pass  # refused: nothing changes
                    else:
                        await decide_extension(
                            SqlSupervision(session),
                            extension_id=asked.extension_id,
                            approve=approve,
                            comment="",
                            admin_tg_id=ADMIN.id,
                            now=at.astimezone(dt.UTC),
                            confirmed=True,
                        )
                elif latest is not None:
                    await decide(
                        SqlReview(session),
                        report_id=latest,
                        decision=kind,
                        comment="",
                        reviewer_tg_id=ADMIN.id,
                        now=at.astimezone(dt.UTC),
                        rectification_due=at.date() + dt.timedelta(days=int(arg))  # type: ignore[call-overload]
                        if kind == "returned" and arg is not None
                        else None,
                    )
                    latest = None
                await session.commit()
    return campaign_id, ids


# ---------------------------------------------------------------- reading what users see


async def screen(rig: DubanRig, user: u.TgUser, command: str) -> str:
    return "\n".join(m.plain_text or "" for m in await ask_all(rig, user, command))


def coloured_lines(text: str, pattern: str) -> dict[str, tuple[str, str]]:
    """{key: (colour, effective status)} from lines `<colour> <key>...` whose status icon is
    on the same line after `:` (/item) or on the next line (/dept, /items)."""
    found: dict[str, tuple[str, str]] = {}
    lines = text.split("\n")
    for index, line in enumerate(lines):
        match = re.match(rf"^(🔴|🟡|🟢) ({pattern})(:?) ?(.*)$", line)
        if not match:
            continue
        rest = match.group(4) if match.group(3) else lines[index + 1].strip()
        icon = next(i for i in ICONS if rest.startswith(i))
        found[match.group(2)] = (COLOURS[match.group(1)], ICONS[icon])
    return found


CODE = r"G\d|A\d\.\d"


@pytest.fixture
async def empty_rig(
    database_url: str, tmp_path: Path, fake_api: FakeBotAPI
) -> AsyncIterator[DubanRig]:
    rig = DubanRig(
        fake_api,
        database_url,
        tmp_path / "evidence",
        overrides={"yellow_days": YELLOW_DAYS, "silent_days": SILENT_DAYS},
    )
    async with rig.session() as session:
        session.add(User(tg_id=LIAISON.id, role="liaison", locale="en", display_name="甲"))
        await session.commit()
    await rig.start()
    await speak_english(rig, ADMIN)
    try:
        yield rig
    finally:
        await rig.close()


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
async def test_every_screen_agrees_with_the_naive_reference(
    empty_rig: DubanRig, scenario: Scenario
) -> None:
    rig = empty_rig
    campaign_id, ids = await write(rig, scenario)
    rig.clock.set(scenario.now)
    truth = {pair: expect(scenario, pair) for pair in PAIRS}

    # The SQL forms of the rules select exactly what the pure model says.
    rules = Rules(TZ, YELLOW_DAYS, SILENT_DAYS, PACE_MARGIN)
    async with rig.session() as session:
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        day = await read_day(session, campaign, scenario.today, rules)
        rows = (
            await session.execute(
                select(Binding.id, *FACT_COLUMNS)
                .join(Item, Item.id == Binding.item_id)
                .where(Binding.campaign_id == campaign_id)
            )
        ).all()
        states = {
            row[0]: assess(facts_of(row[1:], scenario.year, None), scenario.today, rules)
            for row in rows
        }
        past_due = past_due_clause(
            scenario.today, scenario.year, rules=rules, milestones=day.milestones
        )
        overdue = overdue_clause(scenario.today, rules, scenario.year, milestones=day.milestones)
        for name, clause, wanted in (
            ("done", DONE_CLAUSE, lambda s: s.done),
            ("pending", PENDING_REVIEW_CLAUSE, lambda s: s.effective == "pending_review"),
            ("past due", past_due, lambda s: s.past_due),
            ("silent", silent_clause(scenario.today, rules), lambda s: s.silent),
            ("overdue", overdue, lambda s: s.overdue),
        ):
            selected = set(
                await session.scalars(
                    select(Binding.id)
                    .join(Item, Item.id == Binding.item_id)
                    .where(Binding.campaign_id == campaign_id, clause)
                )
            )
            assert selected == {i for i, s in states.items() if wanted(s)}, name
    for pair, binding in ids.items():
        state = states[binding]
        seen = (state.effective, state.colour.value, tuple(r.value for r in state.reasons))
        assert seen == (truth[pair].status, truth[pair].colour, truth[pair].reasons), pair

    # /status: per department done/total, counts by status, red and yellow.
    status = await screen(rig, ADMIN, "/status")
    for d, name in enumerate(DEPARTMENTS):
        mine = [truth[p] for p in PAIRS if p[0] == d]
        match = re.search(rf"^\d+\. {name} — \S+ \((\d+)/(\d+)\)\n(.*)$", status, re.M)
        assert match, status
        assert (int(match[1]), int(match[2])) == (sum(e.status == "done" for e in mine), len(mine))
        icons = re.match(r"✅ (\d+) · 🕓 (\d+) · 🔵 (\d+) · ⚪ (\d+) · ⚠️ (\d+)", match[3])
        assert icons, match[3]
        order = ("done", "pending_review", "in_progress", "not_started", "blocked")
        assert [int(n) for n in icons.groups()] == [sum(e.status == s for e in mine) for s in order]
        colours = re.search(r"🔴(\d+) 🟡(\d+)", match[3])
        red, yellow = (int(colours[1]), int(colours[2])) if colours else (0, 0)
        assert (red, yellow) == (
            sum(e.colour == "red" for e in mine),
            sum(e.colour == "yellow" for e in mine),
        )
        # The department's silence, as the digest says it (the status model's).
        quiet = re.search(r"🔕 silent for (\d+) days", match[3])
        wanted_quiet = department_quiet(scenario, d) if department_silent(scenario, d) else None
        assert (int(quiet[1]) if quiet else None) == wanted_quiet, match[3]
    done_all = sum(e.status == "done" for e in truth.values())
    assert f"({done_all} of {len(PAIRS)} items accepted)" in status

    # /dept: each item's colour, status and due date.
    for d, name in enumerate(DEPARTMENTS):
        text = await screen(rig, ADMIN, f"/dept {name[1:]}")
        seen = coloured_lines(text, CODE)
        mine = {code: truth[(dd, code)] for dd, code in PAIRS if dd == d}
        assert seen == {code: (e.colour, e.status) for code, e in mine.items()}, text
        for code, e in mine.items():
            block = text[text.index(f" {code} ") :].split("\n")
            assert e.due in block[1], (code, block[1])
            # The reasons, in the agreed order, on the item's own lines (before the next).
            first = next(
                (i for i, line in enumerate(block[1:]) if not line.startswith("   ")), None
            )
            flags = [
                line.strip()
                for line in block[1 : 1 + first if first is not None else len(block)]
                if line.strip().startswith("⚑")
            ]
            wanted = ["⚑ " + " · ".join(REASON_WORDS[r] for r in e.reasons)] if e.reasons else []
            assert flags == wanted, (code, block)

    # /item: each department's colour and status, and how many are done.
    for code in ITEMS:
        text = await screen(rig, ADMIN, f"/item {code}")
        mine = {DEPARTMENTS[d]: truth[(d, c)] for d, c in PAIRS if c == code}
        assert coloured_lines(text, "区.局") == {n: (e.colour, e.status) for n, e in mine.items()}
        done = sum(e.status == "done" for e in mine.values())
        assert f"{done} of {len(mine)} departments done" in text

    # /overdue: exactly the past-due or silent bindings, red when past due.
    text = await overdue_text(rig, ADMIN)
    late = {(DEPARTMENTS[d], c): e for (d, c), e in truth.items() if e.past or e.silent}
    if not late:
        assert text.startswith("Nothing is overdue"), text
    else:
        listed: dict[tuple[str, str], str] = {}
        department = ""
        for line in text.split("\n"):
            head = re.match(r"^(区.局) \(\d+\)$", line)
            if head:
                department = head[1]
            item = re.match(rf"^(🔴|🟡) ({CODE}) ", line)
            if item:
                listed[(department, item[2])] = COLOURS[item[1]]
        assert listed == {key: ("red" if e.past else "yellow") for key, e in late.items()}, text
        past = sum(e.past for e in late.values())
        silent = sum(e.silent for e in late.values())
        assert f"past its deadline and not done: {past} ·" in text
        assert f"or more: {silent}" in text

    # /items of the liaison of 区甲局: own item first, colours and statuses, done count.
    text = await screen(rig, LIAISON, "/items")
    mine = {code: truth[(d, code)] for d, code in PAIRS if d == 0}
    assert coloured_lines(text, CODE) == {c: (e.colour, e.status) for c, e in mine.items()}
    done = sum(e.status == "done" for e in mine.values())
    assert text.startswith(f"Your items: {done} of {len(mine)} done")
    assert text.index("A1.1") < text.index("General items") < text.index("G1")

    # The digest: the overall rate and how many items are past due.
    reading = Reading(scenario.now.astimezone(dt.UTC), rules)
    async with rig.session() as session:
        digest = await build_digest(
            session,
            chat_id=None,
            local_date=scenario.today,
            reading=reading,
            at=dt.time(9),
            locale="en",
            with_chart=False,
        )
    words = "\n".join(to_plain(t) for t in digest.texts)
    assert f"({done_all}/{len(PAIRS)})" in words.split("Overall completion: ")[1].split("\n")[0]
    past_all = sum(e.past for e in truth.values())
    shown = re.search(r"Items past deadline and not done: (\d+)", words)
    assert (int(shown[1]) if shown else 0) == past_all, words
    # The digest's silent departments: the status model's department silence. Read from
    # the digest's figures, and from its text when the day has news (a quiet day's digest
    # is one short line).
    silent_now = {name for d, name in enumerate(DEPARTMENTS) if department_silent(scenario, d)}
    async with rig.session() as session:
        window = await digest_window(session, None, scenario.today, reading=reading, at=dt.time(9))
        figures = await collect(
            session, chat_id=None, local_date=scenario.today, window=window, rules=rules
        )
    assert {f.name for f in figures.silent} == silent_now
    # The digest's past-due items (`collect`'s figures, and the lines naming them): each
    # binding past due by hand, with the date it was due on (a milestone, an extension, a
    # rectification's date, its own deadline or the year's end).
    past_by_hand = {
        (DEPARTMENTS[d], c, e.due_on.isoformat() if e.due_on else "", e.due.endswith("(year end)"))
        for (d, c), e in truth.items()
        if e.past
    }
    assert {
        (
            figures.names[o.department_id],
            o.code,
            o.deadline.isoformat(),
            o.due_source is DueSource.YEAR_END,
        )
        for o in figures.overdue
    } == past_by_hand
    assert all(o.new for o in figures.overdue)  # nothing was told before: all named
    assert digest_past_due(words) == past_by_hand, words
    if not figures.nothing_new:
        head = re.search(r"Departments silent for \d+ days or more: (\d+)\n((?:• .*\n?)*)", words)
        named = set(re.findall(r"^• (区.局):", head[2], re.M)) if head else set()
        assert (int(head[1]) if head else 0, named) == (len(silent_now), silent_now), words

    # The dashboard's queries: colours of the whole campaign, its overdue list, and each
    # department's silence on its overview.
    async with rig.session() as session:
        campaign = await session.get(Campaign, campaign_id)
        assert campaign is not None
        tally = (await colour_tally(session, campaign, reading)).get(None, {})
        listed_page = await overdue_page(session, campaign, reading, limit=100)
        board = await dashboard_overview(session, campaign, reading)
    assert {
        bar.summary.name: bar.summary.quiet_days if bar.summary.silent else None
        for bar in board.departments
    } == {
        name: department_quiet(scenario, d) if department_silent(scenario, d) else None
        for d, name in enumerate(DEPARTMENTS)
    }
    for colour in ("red", "yellow", "green"):
        assert tally.get(colour, 0) == sum(e.colour == colour for e in truth.values()), colour
    assert {(r.department_name, r.code) for r in listed_page.rows} == {
        (DEPARTMENTS[d], c) for (d, c), e in truth.items() if e.past or e.silent
    }

    # The export: each binding's status and colour in the workbook.
    async with rig.session() as session:
        data = await gather_export(session, campaign_id)
    path = rig.evidence_dir.parent / f"export-{uuid.uuid4().hex}.xlsx"
    write_workbook(data, path, reading)
    book = load_workbook(path, read_only=True)
    # The 总览 sheet: each department's silence (长期未报天数), the status model's.
    silent_column = {
        row[0]: row[10] for row in book[SHEET_OVERVIEW].iter_rows(min_row=3, values_only=True)
    }
    for d, name in enumerate(DEPARTMENTS):
        wanted = department_quiet(scenario, d) if department_silent(scenario, d) else "—"
        assert silent_column[name] == wanted, (name, silent_column)
    sheet = book[SHEET_ITEMS]
    words_of = {"未开始": "not_started", "推进中": "in_progress", "有困难": "blocked"}
    words_of |= {"待审核": "pending_review", "已完成": "done"}
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    exported = {
        (row[0], row[2]): (COLOURS[str(row[7])[0]], words_of[str(row[6])], row[14], row[15])
        for row in rows
    }
    assert exported == {
        (DEPARTMENTS[d], c): (
            e.colour,
            e.status,
            e.due_zh,
            " · ".join(REASON_ZH[r] for r in e.reasons) or "—",
        )
        for (d, c), e in truth.items()
    }
    # The deadline column: the item's own (a date cell), or the year's end, said so.
    for row in rows:
        own = scenario.deadlines[str(row[2])]
        shown = row[4].date() if isinstance(row[4], dt.datetime) else row[4]
        assert shown == (own or f"{scenario.year}-12-31（年度末）"), row
    path.unlink()
