"""A large deployment's digest stays readable: each list shows 25 lines and counts the
rest; the chart shows the 30 departments with the lowest rates (bench/scale.py found a
240-message digest at 1,000 departments before these caps)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.digest.data import Change, DepartmentFigures, DigestData, Miss, Window
from core.digest.messages import chart_bars, chart_caption, digest_messages
from core.text.i18n import translator

UTC = dt.UTC


def big_day() -> DigestData:
    departments = tuple(DepartmentFigures(n, f"部门{n}", n % 7, 10, None) for n in range(1, 1001))
    misses = tuple(
        Miss(n, f"A{n}.1", "秸秆综合利用率", ">=", Decimal(90), "%", Decimal(80))
        for n in range(1, 501)
    )
    return DigestData(
        local_date=dt.date(2020, 6, 2),
        window=Window(
            dt.datetime(2020, 6, 1, 1, tzinfo=UTC), dt.datetime(2020, 6, 2, 1, tzinfo=UTC)
        ),
        silent_days=14,
        departments=departments,
        silent=departments,
        changes=(Change(1, "A1.1", "标题", "not_started", "in_progress", 1, 0),),
        misses=misses,
        names={d.id: d.name for d in departments},
    )


def test_lists_are_capped_and_counted() -> None:
    messages = digest_messages(big_day(), translator("en"), ZoneInfo("Asia/Shanghai"))
    text = "\n".join(messages)
    assert len(messages) <= 3
    assert "Values missing their targets: 500" in text and "… and 475 more" in text
    assert "Departments silent for 14 days or more: 1000" in text and "… and 975 more" in text
    assert all(len(m) <= 4096 for m in messages)


def test_chart_shows_the_lowest_rates_when_there_are_many_departments() -> None:
    bars = chart_bars(big_day())
    assert len(bars) == 30
    assert all(bar.done == 0 for bar in bars)  # n % 7 == 0: the lowest rate


def test_the_chart_caption_says_how_many_departments_are_left_out() -> None:
    data = big_day()
    caption = chart_caption(data, translator("en"))
    assert caption.endswith(f"… and {len(data.departments) - 30} more")
