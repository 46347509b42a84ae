"""The digest as messages: sections of HTML built from `DigestData`, split for Telegram.

Sections, in order: what was reported since the last digest (by department, with the
status change and evidence count of each item), departments silent for SILENT_DAYS,
items past their deadline and not done, values missing their targets, reports awaiting
review, and the overall rate with its change since yesterday's digest. Empty sections
are left out; a day with no new report is one short message. Group messages name
departments, never people: nothing here knows who reported.

The same text goes to Telegram (HTML) and to `python -m bot digest --print` (`to_plain`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.digest.chart import Bar
from core.digest.data import DigestData, gather, window_of
from core.digest.interfaces import DigestReader
from core.digest.sql import SqlDigest
from core.status.day import Reading
from core.status.model import DueSource
from core.text.formatting import local_datetime, shorten, status_label, value_against_target
from core.text.i18n import Translate, translator
from core.text.split import split_sections

TITLE_LIMIT = 24  # an item's title in a digest line: enough to recognise it


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def rate_lines(data: DigestData, _: Translate) -> list[str]:
    lines = [
        _("Overall completion: {rate} ({done}/{total})").format(
            rate=percent(data.rate), done=data.done, total=data.total
        )
    ]
    if data.previous_rate is not None:
        delta = (data.rate - data.previous_rate) * 100
        days = (data.local_date - data.previous_date).days if data.previous_date else 1
        if days <= 1:
            if abs(delta) < 0.05:
                lines.append(_("unchanged since yesterday"))
            else:
                lines.append(_("{delta} points since yesterday").format(delta=f"{delta:+.1f}"))
        else:
            # After days off (no digest on weekends and holidays): say how long it has been
            # (two days or more here, so the plural is always right).
            assert data.previous_date is not None
            when = {"date": data.previous_date.isoformat(), "days": days}
            if abs(delta) < 0.05:
                lines.append(
                    _("unchanged since the last digest on {date} ({days} days ago)").format(**when)
                )
            else:
                lines.append(
                    _("{delta} points since the last digest on {date} ({days} days ago)").format(
                        delta=f"{delta:+.1f}", **when
                    )
                )
    return lines


def _title(data: DigestData, _: Translate) -> str:
    return _("Daily digest {date}").format(date=data.local_date.isoformat())


# A digest is read on a phone every morning: each list shows this many lines, then a
# count of the rest (the commands give the full lists). Measured with bench/scale.py: at
# 1,000 departments an uncapped digest ran to 240 messages.
SECTION_LINES = 25
CHART_DEPARTMENTS = 30


def _capped(lines: list[str], _: Translate) -> list[str]:
    if len(lines) <= SECTION_LINES:
        return lines
    rest = len(lines) - SECTION_LINES
    return [*lines[:SECTION_LINES], esc(_("… and {count} more").format(count=rest))]


def chart_bars(data: DigestData) -> list[Bar]:
    """Every department; past CHART_DEPARTMENTS, only those with the lowest rates."""
    shown = list(data.departments)
    if len(shown) > CHART_DEPARTMENTS:
        shown = sorted(shown, key=lambda d: d.done / d.total if d.total else 1.0)
        shown = shown[:CHART_DEPARTMENTS]
    return [Bar(d.name, d.done, d.total, d.pending_review, d.in_progress, d.blocked) for d in shown]


def chart_legend(_: Translate) -> dict[str, str]:
    """The chart's states in the reader's words (the labels of the text screens)."""
    from core.status.model import EFFECTIVE_LABELS

    legend = {state: _(label) for state, label in EFFECTIVE_LABELS.items()}
    legend["done"] = _("accepted")
    return legend


def _header(data: DigestData, _: Translate, tz: ZoneInfo) -> str:
    period = _("Reports from {since} to {until}").format(
        since=local_datetime(data.window.since, tz), until=local_datetime(data.window.until, tz)
    )
    return f"<b>📋 {esc(_title(data, _))}</b>\n{esc(period)}"


def _changes(data: DigestData, _: Translate) -> str:
    by_department: dict[int, list[str]] = defaultdict(list)
    for change in data.changes:
        if change.before == change.after:
            what = _("{code} {title}: still {status}").format(
                code=change.code,
                title=shorten(change.title, TITLE_LIMIT),
                status=status_label(change.after, _),
            )
        else:
            what = _("{code} {title}: {before} → {after}").format(
                code=change.code,
                title=shorten(change.title, TITLE_LIMIT),
                before=status_label(change.before, _),
                after=status_label(change.after, _),
            )
        counts = _("(reports: {reports}, evidence: {evidence})").format(
            reports=change.reports, evidence=change.evidence
        )
        by_department[change.department_id].append(f"• {esc(what)} {esc(counts)}")
    head = _("Reports since the last digest: {reports}, departments: {departments}").format(
        reports=data.report_count, departments=len(by_department)
    )
    body: list[str] = []
    for department_id, items in by_department.items():
        body.append(f"<b>{esc(data.names.get(department_id, '?'))}</b>")
        body.extend(items)
    return "\n".join([f"<b>{esc(head)}</b>", *_capped(body, _)])


def _silent(data: DigestData, _: Translate, tz: ZoneInfo) -> str:
    head = _("Departments silent for {days} days or more: {count}").format(
        days=data.silent_days, count=len(data.silent)
    )
    lines: list[str] = []
    for figures in data.silent:
        if figures.last_report_at is None:
            when = _("{department}: no report yet").format(department=figures.name)
        else:
            when = _("{department}: last report {date}").format(
                department=figures.name,
                date=figures.last_report_at.astimezone(tz).date().isoformat(),
            )
        lines.append(f"• {esc(when)}")
    return "\n".join([f"<b>{esc(head)}</b>", *_capped(lines, _)])


def _number(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.1')):f}"
    return text[:-2] if text.endswith(".0") else text


def _behind(data: DigestData, _: Translate) -> str:
    """Cumulative items behind their pace line (进度滞后, issue 22), by department."""
    head = _("Behind pace: {count}").format(count=len(data.behind))
    lines = [
        "• "
        + esc(
            _(
                "{department} {code}: {latest} of {expected} expected by today (target {target})"
            ).format(
                department=data.names.get(b.department_id, "?"),
                code=b.code,
                latest=_number(b.latest),
                expected=_number(b.expected),
                target=_number(b.target),
            )
        )
        for b in data.behind
    ]
    return "\n".join([f"<b>{esc(head)}</b>", *_capped(lines, _)])


def _overdue(data: DigestData, _: Translate) -> str:
    """Items turning red are named once; those already reported are only counted."""
    head = _("Items past deadline and not done: {count}").format(count=len(data.overdue))
    lines = [f"<b>{esc(head)}</b>"]
    fresh = [item for item in data.overdue if item.new]
    if fresh:
        lines.append(esc(_("🔴 Newly past deadline: {count}").format(count=len(fresh))))
    grouped: dict[int, dict[tuple[str, DueSource], list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for item in fresh:
        grouped[item.department_id][(item.deadline.isoformat(), item.due_source)].append(item.code)
    named: list[str] = []
    for department_id, by_deadline in grouped.items():
        parts = [
            (
                _("{codes} (deadline {date}, year end)")
                if source is DueSource.YEAR_END
                else _("{codes} (deadline {date})")
            ).format(codes=_(", ").join(codes), date=deadline)
            for (deadline, source), codes in by_deadline.items()
        ]
        name = data.names.get(department_id, "?")
        named.append(f"• {esc(name)}: {esc(_(', ').join(parts))}")
    lines.extend(_capped(named, _))
    known = len(data.overdue) - len(fresh)
    if known:
        lines.append(
            esc(_("Still past deadline, reported before: {count} (/overdue)").format(count=known))
        )
    return "\n".join(lines)


def _misses(data: DigestData, _: Translate) -> str:
    head = _("Values missing their targets: {count}").format(count=len(data.misses))
    # Only the lines shown are formatted: at 1,000 departments there are thousands.
    lines: list[str] = []
    for miss in data.misses[: SECTION_LINES + 1]:
        shown = value_against_target(miss.value, miss.op, miss.target, miss.unit, _)
        name = data.names.get(miss.department_id, "?")
        lines.append(f"• {esc(name)} {esc(miss.code)} {esc(miss.metric)}: {esc(shown)}")
    lines.extend([""] * (len(data.misses) - len(lines)))  # counted by _capped, never shown
    return "\n".join([f"<b>{esc(head)}</b>", *_capped(lines, _)])


def _leave(data: DigestData, _: Translate) -> str:
    """Departments whose liaison is on leave: named (never the person) for follow-up."""
    head = _("Liaison on leave today; the deputy or the office follows up:")
    names = _(", ").join(data.names.get(d, "?") for d in data.on_leave)
    return f"<b>{esc(head)}</b>\n• {esc(names)}"


def digest_sections(data: DigestData, _: Translate, tz: ZoneInfo) -> list[str]:
    """The full digest, one HTML section per subject."""
    sections = [_header(data, _, tz)]
    if data.changes:
        sections.append(_changes(data, _))
    if data.silent:
        sections.append(_silent(data, _, tz))
    if data.overdue:
        sections.append(_overdue(data, _))
    if data.behind:
        sections.append(_behind(data, _))
    if data.misses:
        sections.append(_misses(data, _))
    if data.on_leave:
        sections.append(_leave(data, _))
    if data.pending_reviews:
        waiting = _("Reports awaiting review: {count} (/review)").format(count=data.pending_reviews)
        sections.append(f"<b>{esc(waiting)}</b>")
    first, *rest = rate_lines(data, _)
    sections.append("\n".join([f"<b>{esc(first)}</b>", *map(esc, rest)]))
    return sections


def quiet_day_text(data: DigestData, _: Translate, tz: ZoneInfo) -> str:
    """One short message for a day without a new report (or without a campaign)."""
    if not data.has_campaign:
        return esc(
            _("Daily digest {date}: there is no active campaign.").format(
                date=data.local_date.isoformat()
            )
        )
    head = _("Daily digest {date}: no new reports since {since}.").format(
        date=data.local_date.isoformat(), since=local_datetime(data.window.since, tz)
    )
    lines = [f"📋 {esc(head)}", *map(esc, rate_lines(data, _))]
    if any(item.new for item in data.overdue):
        lines.append(_overdue(data, _))  # an item turning red is named, even on a quiet day
    elif data.overdue:
        lines.append(
            esc(_("Items past deadline and not done: {count}").format(count=len(data.overdue)))
        )
    return "\n".join(lines)


def digest_messages(data: DigestData, _: Translate, tz: ZoneInfo) -> list[str]:
    """The digest's text messages (HTML), each within Telegram's 4096 characters."""
    if data.nothing_new or not data.has_campaign:
        return [quiet_day_text(data, _, tz)]
    return [chunk.text for chunk in split_sections(digest_sections(data, _, tz))]


def chart_caption(data: DigestData, _: Translate) -> str:
    caption = _("Completion rate by department, {date}").format(date=data.local_date.isoformat())
    rest = len(data.departments) - CHART_DEPARTMENTS
    if rest > 0:
        # The chart shows the lowest CHART_DEPARTMENTS (chart_bars); say how many it leaves out.
        caption += "\n" + _("… and {count} more").format(count=rest)
    return caption


_TAG = re.compile(r"<[^>]+>")


def to_plain(text: str) -> str:
    """What a reader sees of an HTML message (for the command line)."""
    return html.unescape(_TAG.sub("", text))


@dataclass(frozen=True)
class Part:
    """One message of a digest: the chart (PNG and caption) or a text (HTML)."""

    text: str
    photo: bytes | None = None


@dataclass(frozen=True)
class BuiltDigest:
    data: DigestData
    parts: tuple[Part, ...]

    @property
    def texts(self) -> list[str]:
        return [p.text for p in self.parts if p.photo is None]

    @property
    def chart(self) -> bytes | None:
        return next((p.photo for p in self.parts if p.photo is not None), None)


async def compose_digest(
    reader: DigestReader,
    *,
    chat_id: int | None,
    local_date: dt.date,
    reading: Reading,
    at: dt.time,
    locale: str,
    with_chart: bool = True,
    always_chart: bool = False,
) -> BuiltDigest:
    """The digest of (chat, date) built at `reading` (the job's or the command's moment
    and the office's rules), its figures from `reader`: the chart first, then the text (a
    quiet day: one text, unless `always_chart`, for the command line)."""
    from core.digest.chart import render_chart

    tz = reading.rules.tz
    window = await window_of(reader, chat_id, local_date, reading=reading, at=at)
    data = await gather(
        reader, chat_id=chat_id, local_date=local_date, window=window, rules=reading.rules
    )
    _ = translator(locale)
    parts = [Part(text) for text in digest_messages(data, _, tz)]
    if with_chart and data.departments and (always_chart or not data.nothing_new):
        caption = chart_caption(data, _)
        png = await asyncio.to_thread(
            render_chart,
            chart_bars(data),
            title=caption,
            axis_label=_("Share of the department's items, %"),
            legend=chart_legend(_),
        )
        parts.insert(0, Part(esc(caption), png))
    return BuiltDigest(data, tuple(parts))


async def build_digest(
    session: AsyncSession,
    *,
    chat_id: int | None,
    local_date: dt.date,
    reading: Reading,
    at: dt.time,
    locale: str,
    with_chart: bool = True,
    always_chart: bool = False,
) -> BuiltDigest:
    """`compose_digest` over a session (`SqlDigest`): for bench and tests."""
    return await compose_digest(
        SqlDigest(session),
        chat_id=chat_id,
        local_date=local_date,
        reading=reading,
        at=at,
        locale=locale,
        with_chart=with_chart,
        always_chart=always_chart,
    )
