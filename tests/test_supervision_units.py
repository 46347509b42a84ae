"""The small rules of supervision (issue 22) that are not the status model's: dated steps
read from an item's text, a return's rectification choice, working-day counts, which
targets are paced, and the status model's pace line and reason order on hand-made cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.scheduling.workdays import is_chinese_working_day, is_weekday
from core.status.model import Facts, Pace, Reason, Rules, assess, is_cumulative
from core.supervision.extensions import working_days_between
from core.supervision.milestones import dated_steps
from core.supervision.rectification import plan_return, working_days_after
from core.text.dates import BadDate

TZ = ZoneInfo("Asia/Shanghai")
RULES = Rules(TZ, yellow_days=7, silent_days=14)
BOUND = dt.datetime(2020, 1, 1, tzinfo=TZ)


def test_dated_steps_of_an_items_text() -> None:
    assert dated_steps("6月底前完成摸底排查，年底前完成整治", 2020) == (
        dt.date(2020, 6, 30),
        dt.date(2020, 12, 31),
    )
    assert dated_steps("9月30日前完成方案；11月底前完成验收。年底前全面完成", 2020) == (
        dt.date(2020, 9, 30),
        dt.date(2020, 11, 30),
        dt.date(2020, 12, 31),
    )
    # One date is the deadline, not a milestone; no date, nothing.
    assert dated_steps("确保在年底前使城市污水处理率达到95%左右", 2020) == ()
    assert dated_steps("加强监督检查", 2020) == ()
    # A relative date needs the campaign's year.
    assert dated_steps("6月底前完成摸底排查，年底前完成整治", None) == ()


def test_a_returns_rectification() -> None:
    july_first = dt.date(2020, 7, 1)  # a Wednesday
    default = plan_return("照片看不清", july_first, 5, is_weekday)
    assert (default.rectification_due, default.comment) == (dt.date(2020, 7, 8), "照片看不清")
    chosen = plan_return("整改 2020-07-20 补充台账", july_first, 5, is_weekday)
    assert (chosen.rectification_due, chosen.comment) == (dt.date(2020, 7, 20), "补充台账")
    none = plan_return("无需整改，材料已齐", july_first, 5, is_weekday)
    assert (none.rectification_due, none.comment) == (None, "材料已齐")
    # "整改" followed by words, not a date: the default, the words kept.
    words = plan_return("整改不到位", july_first, 5, is_weekday)
    assert (words.rectification_due, words.comment) == (dt.date(2020, 7, 8), "整改不到位")
    with pytest.raises(BadDate):
        plan_return("整改 2020-06-30 已过", july_first, 5, is_weekday)


def test_working_days() -> None:
    # 2020-09-30 (Wed) -> 2020-10-09 (Fri): the National Day holidays in between; the
    # adjusted working Saturday 2020-10-10 is after.
    assert (
        working_days_between(dt.date(2020, 9, 30), dt.date(2020, 10, 9), is_chinese_working_day)
        == 1
    )
    assert working_days_between(dt.date(2020, 11, 26), dt.date(2020, 11, 30), is_weekday) == 2
    assert working_days_after(dt.date(2020, 9, 30), 1, is_chinese_working_day) == dt.date(
        2020, 10, 9
    )


def test_which_targets_are_paced() -> None:
    assert is_cumulative(">=", "次", None)  # 不少于2次
    assert is_cumulative(">=", "项", None)
    assert not is_cumulative(">=", "%", None)  # 90%以上: a rate
    assert not is_cumulative("<=", "次", None)  # a cap
    assert is_cumulative(">=", "%", True) and not is_cumulative(">=", "次", False)  # the office


def paced(latest: str | None, today: dt.date, **facts: object) -> tuple[str, tuple[Reason, ...]]:
    state = assess(
        Facts(
            "in_progress",
            "none",
            facts.get("deadline"),  # type: ignore[arg-type]
            2020,
            dt.datetime.combine(today, dt.time(9), tzinfo=TZ),
            BOUND,
            pace=Pace(Decimal(4), Decimal(latest) if latest is not None else None),
            milestones=facts.get("milestones", ()),  # type: ignore[arg-type]
        ),
        today,
        RULES,
    )
    return state.colour.value, state.reasons


def test_the_pace_line() -> None:
    # Due 2020-12-31, target 4: on 2020-07-01 (183 of 365 days) 2.0 expected; 10 points
    # of the target (0.4) are allowed.
    july = dt.date(2020, 7, 1)
    assert paced("2", july) == ("green", ())
    assert paced("1.7", july) == ("green", ())  # within the margin
    assert paced("1.5", july) == ("yellow", (Reason.BEHIND_PACE,))
    assert paced(None, july) == ("yellow", (Reason.BEHIND_PACE,))
    # With a milestone on 2020-03-31, half the target is due by then.
    assert paced("1.5", dt.date(2020, 3, 31), milestones=(dt.date(2020, 3, 31),))[1] == (
        Reason.BEHIND_PACE,
        Reason.DUE_SOON,
    )
    assert paced("2", dt.date(2020, 3, 31), milestones=(dt.date(2020, 3, 31),)) == (
        "yellow",
        (Reason.DUE_SOON,),
    )


def test_reasons_in_the_agreed_order() -> None:
    state = assess(
        Facts(
            "in_progress",
            "returned",
            dt.date(2020, 6, 30),
            2020,
            None,
            BOUND,
            rectification_due=dt.date(2020, 6, 1),
            pace=Pace(Decimal(2), None),
        ),
        dt.date(2020, 7, 15),
        RULES,
    )
    assert state.colour.value == "red"
    assert state.reasons == (
        Reason.PAST_DUE,
        Reason.RECTIFICATION_OVERDUE,
        Reason.BEHIND_PACE,
        Reason.SILENT,
        Reason.RECTIFYING,
    )
