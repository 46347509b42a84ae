"""One reading of the day: the rules, the local date and a campaign's schedule, made once
per update or job and passed down to every query and screen that needs them.

A `Reading` is a moment and the office's rules (`runtime.config.Settings.reading`, from
the clock and the settings, is where every handler and job gets one); its `today` is the
one place a local date is read from a clock for the status model. `Reading.read`, given
a `core.status.interfaces.DayReader` (or `read_day` / `Reading.day` over a session),
turns it into the `Day` of a campaign: one small query for the campaign's items with
milestones and pace targets, and `make_day`, the rest, without storage. Core functions
take the `Reading` or the `Day`, never a time zone and a number of days to rebuild
`Rules` themselves.

`FACT_COLUMNS` / `facts_of` are the one way a row of `Binding` x `Item` becomes the status
model's `Facts`, so a new fact is added here once and every screen, the digest, reminders,
the export and the dashboard see it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.status.clauses import Milestones
from core.status.interfaces import CampaignRef, DayReader, ItemSchedule
from core.status.model import BindingRole, Facts, Pace, Rules, State, assess
from storage.models import Binding, Campaign, Item


def local_date(moment: dt.datetime, rules: Rules) -> dt.date:
    """The office's local date at `moment` (aware)."""
    return moment.astimezone(rules.tz).date()


@dataclass(frozen=True)
class Reading:
    """A moment (aware) and the status model's rules: what an update, a job, the digest of
    a window's end or an export reads the day at."""

    now: dt.datetime
    rules: Rules

    @property
    def today(self) -> dt.date:
        return local_date(self.now, self.rules)

    async def day(self, session: AsyncSession, campaign: Campaign | None) -> Day:
        """This reading's `Day` for an ORM `campaign` over a session (`read_day`)."""
        return await read_day(session, campaign, self.today, self.rules)

    async def read(self, reader: DayReader, campaign: CampaignRef | None) -> Day:
        """This reading's `Day` for `campaign`, its schedule from `reader` (one query)."""
        if campaign is None:
            return make_day(self.today, self.rules, None, ())
        return make_day(self.today, self.rules, campaign, await reader.schedule(campaign.id))


@dataclass(frozen=True)
class Day:
    """The rules and the local date of one update or job, with what its campaign's
    SQL filters need (the items' milestones)."""

    today: dt.date
    rules: Rules
    campaign_year: int | None
    starts_on: dt.date | None
    milestones: Milestones
    # Items paced along the year (`Item.pace_target`): item id -> the target.
    pace_targets: Mapping[int, Decimal] = field(default_factory=dict)

    def assess(self, facts: Facts) -> State:
        return assess(facts, self.today, self.rules)


def parse_milestones(values: Any) -> tuple[dt.date, ...]:
    """`Item.milestones` (ISO strings) as dates, oldest first; what is not a date is
    skipped (the column is only ever written from dates)."""
    found: set[dt.date] = set()
    for value in values or ():
        try:
            found.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            continue
    return tuple(sorted(found))


def make_day(
    today: dt.date, rules: Rules, campaign: CampaignRef | None, schedule: Iterable[ItemSchedule]
) -> Day:
    """The day for `campaign`, from its items' schedule (`DayReader.schedule`)."""
    if campaign is None:
        return Day(today, rules, None, None, Milestones())
    by_item: dict[int, tuple[dt.date, ...]] = {}
    paced: dict[int, Decimal] = {}
    for item in schedule:
        if item.milestones:
            by_item[item.item_id] = item.milestones
        if item.pace_target is not None:
            paced[item.item_id] = item.pace_target
    return Day(today, rules, campaign.year, campaign.starts_on, Milestones(by_item), paced)


async def read_day(
    session: AsyncSession, campaign: Campaign | None, today: dt.date, rules: Rules
) -> Day:
    """The day for an ORM `campaign`, over a session (the export, the dashboard, bench and
    tests): `make_day` of `core.status.sql.SqlDay`'s schedule, one query."""
    from core.status.sql import SqlDay, campaign_ref  # (it reads with parse_milestones)

    if campaign is None:
        return Day(today, rules, None, None, Milestones())
    schedule = await SqlDay(session).schedule(campaign.id)
    return make_day(today, rules, campaign_ref(campaign), schedule)


# The columns `facts_of` reads, in its order, after whatever a query selects first.
FACT_COLUMNS = (
    Binding.status,
    Binding.review_state,
    Item.deadline,
    Binding.last_reported_at,
    Binding.created_at,
    Binding.role,
    Binding.extended_due,
    Binding.rectification_due,
    Binding.progress_value,
    Item.milestones,
    Item.pace_target,
)


def facts_of(
    row: tuple[Any, ...] | Any, campaign_year: int | None, starts_on: dt.date | None
) -> Facts:
    """`Facts` from the values of `FACT_COLUMNS`, in that order."""
    (
        status,
        review_state,
        deadline,
        last_reported_at,
        bound_at,
        role,
        extended_due,
        rectification_due,
        progress_value,
        milestones,
        pace_target,
    ) = tuple(row)
    return Facts(
        status,
        review_state,
        deadline,
        campaign_year,
        last_reported_at,
        bound_at,
        BindingRole(role) if role else BindingRole.LEAD,
        extended_due=extended_due,
        milestones=parse_milestones(milestones),
        rectification_due=rectification_due,
        pace=Pace(Decimal(pace_target), progress_value, starts_on)
        if pace_target is not None
        else None,
    )


def binding_facts(binding: Binding, item: Item, campaign: Campaign) -> Facts:
    """`Facts` of ORM objects already loaded (a use case holding them)."""
    return facts_of(
        (
            binding.status,
            binding.review_state,
            item.deadline,
            binding.last_reported_at,
            binding.created_at,
            binding.role,
            binding.extended_due,
            binding.rectification_due,
            binding.progress_value,
            item.milestones,
            item.pace_target,
        ),
        campaign.year,
        campaign.starts_on,
    )
