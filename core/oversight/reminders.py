"""Reminders to liaisons, and the weekly summary to leaders: what is due, to whom, in words.

A *round* (run by the scheduler every few minutes, see bot/scheduling.py) asks
`plan_liaison_reminders` what is due now. Nothing is due outside the reminder hours
(REMINDER_EARLIEST..REMINDER_LATEST, default 08:00-21:00 local) or on a day that is not a
working day (`core.scheduling.workdays.is_working_day`, the hook for the Chinese calendar).

The round reads its day once (`core.status.day.Reading`, from `Settings.reading`) and
assesses each binding with the same `Day` as /status, /overdue and the digest: the same
rules, milestones and due dates.

For each item of a department that is not done (and not waiting for the office's review):

* **silent**: the item is silent *by the status model* (`State.silent`: nothing reported
  for SILENT_DAYS, counted from when it was bound if never reported), the very items
  /overdue lists as silent. Decided (issue 19): whether an item is silent is the model's
  alone; REMINDER_DAYS is only the cadence of the reminders about it. A silent item is
  told on the day it turns silent, then once more every REMINDER_DAYS while it stays
  silent (defaults: after 14 days, 21, 28, ...), and a new report starts over. Before,
  REMINDER_DAYS was a second, shorter silence of the reminders' own, so a liaison was
  told "silent" about an item no screen called silent.
* **deadline**: 30, 7 and 1 days ahead of the model's due date (a milestone, an
  extension, an open rectification's date, its own deadline, or the campaign year's
  end; the tightest mark reached; each once per due date).

Each liaison gets one message per round listing all their items. A liaison on leave
(`Leave`) gets nothing; a deputy liaison gets reminders only while every main liaison
of the department is on leave (or the department has none), or when a main liaison was
reminded of an item a period ago and it is still silent (not answering). `ReminderSent` (unique
user, kind, subject, period) is claimed before sending, so nothing goes out twice.

Leaders get a weekly summary on the first working day of the week (Monday, unless it is
a holiday), once per ISO week.

The plans take their `ReminderReader` (core/oversight/interfaces.py) explicitly: the
round passes `core.oversight.reminders_sql.SqlReminders` over a reading session; unit
tests pass a recording fake. Planning writes nothing: the claims are the round's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

from core.digest.data import DigestData
from core.digest.messages import esc, percent
from core.oversight.interfaces import Liaison, ReminderReader
from core.scheduling.interfaces import ReminderClaims, ReminderKey
from core.scheduling.times import iso_week
from core.scheduling.workdays import first_working_day_of_week, is_working_day
from core.status.day import Reading
from core.status.model import DONE, PENDING_REVIEW, DueSource, Rules
from core.text.formatting import shorten
from core.text.i18n import Translate, normalize_locale
from core.text.matching import code_key
from core.text.split import split_sections

SILENT, DEADLINE, WEEKLY = "silent", "deadline", "weekly"
DEADLINE_MARKS = (1, 7, 30)
TITLE_LIMIT = 30

WorkingDay = Callable[[dt.date], bool]


def deadline_mark(days_left: int) -> int | None:
    """The tightest of 30 / 7 / 1 days ahead that `days_left` has reached, if any."""
    for mark in DEADLINE_MARKS:
        if 0 <= days_left <= mark:
            return mark
    return None


def silent_period(since: dt.date, quiet_days: int, silent_days: int, reminder_days: int) -> str:
    """Which reminder of a silence this is, for an item the status model calls silent
    (`quiet_days` >= `silent_days`) since the local date `since`: the first on the day it
    turns silent, then one more every `reminder_days`. Keyed by the silence's start, so a
    new report starts over."""
    repeat = max(0, quiet_days - silent_days) // reminder_days
    return f"{since.isoformat()}/{silent_days}+{repeat * reminder_days}"


@dataclass(frozen=True)
class DueItem:
    kind: str
    subject: str  # the binding id
    period: str
    code: str
    title: str
    last_reported_at: dt.datetime | None = None
    deadline: dt.date | None = None
    days_left: int | None = None
    year_end: bool = False  # the item has no deadline of its own (core.status.model)


@dataclass(frozen=True)
class LiaisonReminder:
    user_tg_id: int
    locale: str
    department: str
    items: tuple[DueItem, ...]

    def keys(self) -> list[ReminderKey]:
        return [ReminderKey(self.user_tg_id, i.kind, i.subject, i.period) for i in self.items]


@dataclass(frozen=True)
class Recipient:
    user_tg_id: int
    locale: str


async def plan_liaison_reminders(
    reader: ReminderReader,
    *,
    reading: Reading,
    reminder_days: int,
    default_locale: str,
    is_working: WorkingDay = is_working_day,
) -> list[LiaisonReminder]:
    """The reminders due at `reading` (the round's day) that nobody was told yet: one per
    liaison (a fixed number of reads, none per binding or person)."""
    today, now = reading.today, reading.now
    campaign = await reader.active_campaign()
    if campaign is None or not is_working(today):
        return []
    day = await reading.read(reader, campaign)
    silent_days = day.rules.silent_days
    due: dict[int, list[DueItem]] = defaultdict(list)
    # Items still silent a cadence after the first reminder: the main liaison may not be
    # answering.
    long_silent: dict[int, set[str]] = defaultdict(set)
    for binding in await reader.campaign_bindings(campaign):
        department_id, code, title = binding.department_id, binding.code, binding.title
        # The status model's state, with the same day as /status: silence, and the due
        # date reminded of (a milestone, an extension, or an open rectification's date,
        # whichever is due next; issue 22).
        state = day.assess(binding.facts)
        if state.effective in (DONE, PENDING_REVIEW):
            continue  # done, or the next step is the office's
        if state.silent:
            since = today - dt.timedelta(days=state.quiet_days)
            if state.quiet_days >= silent_days + reminder_days:
                long_silent[department_id].add(str(binding.binding_id))
            period = silent_period(since, state.quiet_days, silent_days, reminder_days)
            due[department_id].append(
                DueItem(
                    SILENT,
                    str(binding.binding_id),
                    period,
                    code,
                    title,
                    last_reported_at=binding.facts.last_reported_at,
                )
            )
        if state.due is not None and state.days_left is not None:
            mark = deadline_mark(state.days_left)
            if mark is not None:
                due[department_id].append(
                    DueItem(
                        DEADLINE,
                        str(binding.binding_id),
                        # Each due date its own marks: the next milestone is told again.
                        f"d{mark}:{state.due.isoformat()}",
                        code,
                        title,
                        deadline=state.due,
                        days_left=state.days_left,
                        year_end=state.due_source is DueSource.YEAR_END,
                    )
                )
    if not due:
        return []

    people = await reader.liaisons(list(due))
    tg_ids = [person.tg_id for person in people]
    away = await reader.on_leave(tg_ids, today)
    told = await reader.told(tg_ids, (SILENT, DEADLINE))
    by_department: dict[int, list[Liaison]] = defaultdict(list)
    for person in people:
        by_department[person.department_id].append(person)
    # Main liaisons reminded of a still-silent item at least a period ago: not answering.
    ignored = await reader.reminded_before(tg_ids, SILENT, now - dt.timedelta(days=reminder_days))
    planned: list[LiaisonReminder] = []
    for department_id, members in by_department.items():
        present = [p for p in members if p.tg_id not in away]
        main = [p for p in present if not p.is_deputy]
        deputies = [p for p in present if p.is_deputy]
        unanswered = any(
            (p.tg_id, subject) in ignored
            for p in main
            for subject in long_silent.get(department_id, ())
        )
        # A deputy is reminded when every main liaison is away, or they have not answered.
        recipients = main + deputies if unanswered else (main or present)
        for person in recipients:
            items = tuple(
                sorted(
                    (
                        i
                        for i in due[department_id]
                        if (person.tg_id, i.kind, i.subject, i.period) not in told
                    ),
                    key=lambda i: (i.kind != SILENT, code_key(i.code)),
                )
            )
            if items:
                locale = normalize_locale(person.locale, default_locale)
                planned.append(LiaisonReminder(person.tg_id, locale, person.department_name, items))
    return planned


async def plan_weekly(
    reader: ReminderReader,
    *,
    reading: Reading,
    default_locale: str,
    is_working: WorkingDay = is_working_day,
) -> tuple[str, list[Recipient]]:
    """(the ISO week, the leaders not told its summary yet) on the week's first working day
    of `reading` (the round's day)."""
    today = reading.today
    week = iso_week(today)
    if first_working_day_of_week(today, is_working) != today:
        return week, []
    leaders = await reader.leaders()
    tg_ids = [leader.tg_id for leader in leaders]
    away = await reader.on_leave(tg_ids, today)
    told = await reader.told(tg_ids, (WEEKLY,))
    return week, [
        Recipient(leader.tg_id, normalize_locale(leader.locale, default_locale))
        for leader in leaders
        if leader.tg_id not in away and (leader.tg_id, WEEKLY, "summary", week) not in told
    ]


def weekly_key(recipient: Recipient, week: str) -> ReminderKey:
    return ReminderKey(recipient.user_tg_id, WEEKLY, "summary", week)


@dataclass(frozen=True)
class Claimed:
    """A reminder this process won the right to send: only the items it claimed, and the
    claims' row ids (to release them if the send fails for a passing reason)."""

    reminder: LiaisonReminder
    row_ids: tuple[int, ...]


async def claim_reminder(
    claims: ReminderClaims, plan: LiaisonReminder, now: dt.datetime
) -> Claimed | None:
    """Claim `plan`'s items durably before it is sent; None when another process told
    them all meanwhile (each item goes out at most once per period)."""
    won = await claims.claim_reminders(plan.keys(), now)
    items = tuple(
        i for i in plan.items if ReminderKey(plan.user_tg_id, i.kind, i.subject, i.period) in won
    )
    if not items:
        return None
    return Claimed(replace(plan, items=items), tuple(won.values()))


async def claim_weekly(
    claims: ReminderClaims, recipient: Recipient, week: str, now: dt.datetime
) -> tuple[int, ...] | None:
    """Claim a leader's summary of `week` before it is sent; its row ids, None if taken."""
    won = await claims.claim_reminders([weekly_key(recipient, week)], now)
    return tuple(won.values()) or None


# ---------------------------------------------------------------- words


def _deadline_words(item: DueItem, _: Translate) -> str:
    date = item.deadline.isoformat() if item.deadline else "?"
    if item.year_end:
        date = _("{date} (year end)").format(date=date)
    if item.days_left == 0:
        return _("deadline {date}, today").format(date=date)
    if item.days_left == 1:
        return _("deadline {date}, tomorrow").format(date=date)
    return _("deadline {date}, in {days} days").format(date=date, days=item.days_left)


def reminder_messages(reminder: LiaisonReminder, _: Translate, rules: Rules) -> list[str]:
    """One liaison's reminder (HTML), split only if a department has very many items.
    "Silent" says the status model's SILENT_DAYS (`rules`), as /overdue does."""
    tz = rules.tz
    head = _("Reminder for {department}").format(department=reminder.department)
    sections = [f"<b>⏰ {esc(head)}</b>"]
    silent = [i for i in reminder.items if i.kind == SILENT]
    coming = [i for i in reminder.items if i.kind == DEADLINE]
    if silent:
        lines = [
            "<b>"
            + esc(_("Nothing reported for {days} days or more:").format(days=rules.silent_days))
            + "</b>"
        ]
        for item in silent:
            when = (
                _("last report {date}").format(
                    date=item.last_reported_at.astimezone(tz).date().isoformat()
                )
                if item.last_reported_at
                else _("no report yet")
            )
            lines.append(
                f"• {esc(item.code)} {esc(shorten(item.title, TITLE_LIMIT))} — {esc(when)}"
            )
        sections.append("\n".join(lines))
    if coming:
        lines = ["<b>" + esc(_("Deadlines coming:")) + "</b>"]
        for item in coming:
            lines.append(
                f"• {esc(item.code)} {esc(shorten(item.title, TITLE_LIMIT))} — "
                f"{esc(_deadline_words(item, _))}"
            )
        sections.append("\n".join(lines))
    sections.append(esc(_("Report with /report, or see all your items with /items.")))
    return [chunk.text for chunk in split_sections(sections)]


def weekly_text(data: DigestData, week: str, _: Translate) -> str:
    """The leaders' Monday summary: a few figures and where to look (departments only)."""
    departments = len({c.department_id for c in data.changes})
    lines = [
        "<b>📊 " + esc(_("Weekly summary, {week}").format(week=week)) + "</b>",
        esc(
            _("Reports in the last 7 days: {reports}, departments: {departments}").format(
                reports=data.report_count, departments=departments
            )
        ),
        esc(
            _("Overall completion: {rate} ({done}/{total})").format(
                rate=percent(data.rate), done=data.done, total=data.total
            )
        ),
        esc(_("Items past deadline and not done: {count}").format(count=len(data.overdue))),
        esc(
            _("Departments silent for {days} days or more: {count}").format(
                days=data.silent_days, count=len(data.silent)
            )
        ),
        esc(_("Reports awaiting review: {count} (/review)").format(count=data.pending_reviews)),
        esc(_("/status shows every department.")),
    ]
    return "\n".join(lines)
