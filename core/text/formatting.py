"""Words and numbers as users read them: status labels, local dates, values against targets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.reporting.values import OP_SYMBOL, format_number, meets
from core.text.i18n import N_, Translate

STATUS_LABELS = {
    "not_started": N_("not started"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "blocked": N_("blocked"),
}
STATUS_ICONS = {"not_started": "⚪", "in_progress": "🔵", "done": "✅", "blocked": "⚠️"}
REVIEW_LABELS = {
    "pending": N_("awaiting review"),
    "accepted": N_("accepted"),
    "returned": N_("returned"),
}


def status_label(status: str, _: Translate) -> str:
    return _(STATUS_LABELS.get(status, status))


def status_with_icon(status: str, _: Translate) -> str:
    return f"{STATUS_ICONS.get(status, '')} {status_label(status, _)}".strip()


def local_date(moment: dt.datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d") if moment else "—"


def local_datetime(moment: dt.datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "—"


def target_text(metric: str, op: str, value: Decimal, unit: str) -> str:
    return f"{metric} {OP_SYMBOL.get(op, op)} {format_number(value)}{unit}"


def value_against_target(
    value: Decimal | None, op: str, target: Decimal, unit: str, _: Translate
) -> str:
    """`92% (target ≥ 90%) ✓`, or marked when it misses: `88% (target ≥ 90%) ✗ below target`."""
    goal = f"{OP_SYMBOL.get(op, op)} {format_number(target)}{unit}"
    if value is None:
        return _("no value yet (target {goal})").format(goal=goal)
    shown = f"{format_number(value)}{unit}"
    if meets(value, op, target):
        return _("{value} (target {goal}) ✓").format(value=shown, goal=goal)
    return _("{value} (target {goal}) ✗ misses the target").format(value=shown, goal=goal)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def deadline_text(deadline: dt.date, _: Translate, calendar: str = "cn", locale: str = "zh") -> str:
    """`2020-10-01`, or `2020-10-01 (a public holiday: 国庆节)` when it falls on one."""
    from core.scheduling.workdays import holiday_name

    holiday = holiday_name(deadline, calendar, locale)
    if holiday is None:
        return deadline.isoformat()
    return _("{date} (a public holiday: {holiday})").format(
        date=deadline.isoformat(), holiday=holiday
    )
