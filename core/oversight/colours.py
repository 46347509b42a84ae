"""Three-colour warnings (三色预警), as government supervision platforms use them.

An item not done is red once its deadline has passed, yellow when its deadline is within
`yellow_days` or it has been silent for `silent_days`, green otherwise; a done item is
green. The colour is shown as an emoji and a word, so it survives copying into Excel.
Items without a deadline of their own are due at the end of the campaign's year.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from core.text.i18n import N_, Translate


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


EMOJI = {Colour.GREEN: "🟢", Colour.YELLOW: "🟡", Colour.RED: "🔴"}
LABELS = {Colour.GREEN: N_("green"), Colour.YELLOW: N_("yellow"), Colour.RED: N_("red")}


def effective_deadline(
    deadline: dt.date | None, campaign_year: int | None, today: dt.date
) -> dt.date:
    return deadline or dt.date(campaign_year or today.year, 12, 31)


def colour_of(
    *,
    done: bool,
    deadline: dt.date | None,
    campaign_year: int | None,
    last_activity: dt.date,
    today: dt.date,
    yellow_days: int,
    silent_days: int,
) -> Colour:
    """The item's colour today. `last_activity`: its last report, else when it was bound."""
    if done:
        return Colour.GREEN
    due = effective_deadline(deadline, campaign_year, today)
    if today > due:
        return Colour.RED
    if (due - today).days <= yellow_days or (today - last_activity).days >= silent_days:
        return Colour.YELLOW
    return Colour.GREEN


def colour_text(colour: Colour, _: Translate) -> str:
    """`🔴 red` / `🔴 红色`: emoji and word."""
    return f"{EMOJI[colour]} {_(LABELS[colour])}"
