"""One reading of the day (issue 19, point 6).

The status model's `Rules` are built in one place (`Settings.status_rules`) and the day an
update or job reads in one (`Settings.reading`): every handler and job makes it once and
passes it down, so no core function rebuilds the rules from a time zone and a number of
days, and none reads "today" from a clock of its own. Checked on the source (the calls),
the way tests/test_commit_sites.py checks commits.
"""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from core.status.day import Reading
from core.status.model import Rules
from handlers.base import Turn
from handlers.oversight.screens import reading_of, today_of
from runtime.config import Settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "core", "handlers", "runtime", "storage")
# Where the rules are made from the settings; nowhere else.
RULES_MADE = {"runtime/config.py"}
# `local_today` is the scheduler's (is the digest due, which working day): not the model's.
LOCAL_TODAY = {"core/scheduling/times.py"}


def calls_to(name: str) -> list[str]:
    """`path:line` of each call of `name` (a bare name or an attribute) in the packages."""
    found: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if called == name:
                    found.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    return found


def test_rules_are_made_from_the_settings_only() -> None:
    made = calls_to("Rules")
    assert made, "the scan finds nothing: it would pass whatever the code did"
    assert [site for site in made if site.split(":")[0] not in RULES_MADE] == []


def test_no_status_reading_takes_its_own_clock() -> None:
    assert [site for site in calls_to("local_today") if site.split(":")[0] not in LOCAL_TODAY] == []


def test_a_reading_is_the_settings_rules_at_a_moment() -> None:
    settings = Settings(
        timezone="Asia/Shanghai", yellow_days=5, silent_days=10, pace_margin=Decimal(20)
    )
    # 23:30 UTC on 2 June is 07:30 on 3 June in Shanghai: the office's date.
    reading = settings.reading(dt.datetime(2020, 6, 2, 23, 30, tzinfo=dt.UTC))
    assert reading.today == dt.date(2020, 6, 3)
    assert reading.rules == Rules(ZoneInfo("Asia/Shanghai"), 5, 10, Decimal(20))
    assert reading.rules == settings.status_rules
    assert Reading(reading.now, reading.rules).today == reading.today


def test_an_update_reads_one_day_however_long_it_takes() -> None:
    """`Turn.now` reads the clock at each call; the screens read the update's one reading
    (`Turn.reading`, made when the update's turn begins): an update handled across
    midnight still sees the day it started on."""
    settings = Settings(timezone="Asia/Shanghai")
    started = dt.datetime(2020, 6, 2, 15, 59, 59, tzinfo=dt.UTC)  # 23:59:59 in Shanghai
    later = iter(
        [
            dt.datetime(2020, 6, 2, 16, 0, 1, tzinfo=dt.UTC),  # 00:00:01 the next day
            dt.datetime(2020, 6, 2, 16, 0, 2, tzinfo=dt.UTC),
        ]
    )
    services = SimpleNamespace(settings=settings, clock=lambda: next(later))
    turn = Turn(
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        services,  # type: ignore[arg-type]
        lambda text: text,
        settings.reading(started),
    )
    assert turn.now.astimezone(settings.tz).date() == dt.date(2020, 6, 3)  # the clock moved
    assert today_of(turn) == dt.date(2020, 6, 2)
    assert reading_of(turn) is turn.reading
