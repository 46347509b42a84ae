"""The reporting use cases, on the narrow reader and writer they are given.

Each takes plain values and the Protocol it needs (core/reporting/interfaces.py), stages
its writes through it, and returns what happened; it never commits (the caller's unit
of work does, once) and never talks to Telegram (the handler turns the outcome into
words). The quick report is the full example: refusals are values, not exceptions, so
the handler says one clear thing and nothing was written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from core.reporting.interfaces import ItemReader, QuickReportStore
from core.reporting.quick import QuickCaption
from core.reporting.reports import ItemView, NewEvidence, Recorded, ReportRefused
from storage.models import STATUS_IN_PROGRESS


class Refusal(StrEnum):
    NOT_A_LIAISON = "not_a_liaison"
    NOT_YOURS = "not_yours"  # the item exists, but not for this department
    NO_SUCH_ITEM = "no_such_item"
    UNAVAILABLE = "unavailable"  # refused by the writer (e.g. the binding moved)


@dataclass(frozen=True)
class Reporter:
    """Who reports: plain values of the acting user."""

    tg_id: int
    department_id: int | None
    is_liaison: bool


@dataclass(frozen=True)
class ItemFound:
    view: ItemView | None = None
    refusal: Refusal | None = None


@dataclass(frozen=True)
class QuickOutcome:
    recorded: Recorded | None = None
    refusal: Refusal | None = None


async def liaison_items(reader: ItemReader, department_id: int) -> list[ItemView]:
    """/items: the department's own items, then the general ones, outstanding first."""
    return await reader.department_items(department_id)


async def find_own_item(reader: ItemReader, reporter: Reporter, code: str) -> ItemFound:
    """The reporter's item `code`, or why they cannot report on it."""
    if not reporter.is_liaison or reporter.department_id is None:
        return ItemFound(refusal=Refusal.NOT_A_LIAISON)
    view = await reader.own_item(reporter.department_id, code)
    if view is not None:
        return ItemFound(view=view)
    if await reader.code_exists(code):
        return ItemFound(refusal=Refusal.NOT_YOURS)
    return ItemFound(refusal=Refusal.NO_SUCH_ITEM)


async def quick_report(
    store: QuickReportStore,
    reporter: Reporter,
    view: ItemView,
    caption: QuickCaption,
    evidence: list[NewEvidence],
    *,
    now: dt.datetime,
    source_message: tuple[int, int] | None,
) -> QuickOutcome:
    """A report from a captioned photo, album or document on the item `view` (found by
    `find_own_item`): the caption's status (else in progress), its value for the item's
    first target, its text. A message delivered again returns the report it made."""
    if not reporter.is_liaison or reporter.department_id is None:
        return QuickOutcome(refusal=Refusal.NOT_A_LIAISON)
    values: dict[int, Decimal] = {}
    if caption.value is not None and view.targets:
        values[view.targets[0].id] = caption.value
    try:
        recorded = await store.record_report(
            reporter_tg_id=reporter.tg_id,
            department_id=reporter.department_id,
            binding_id=view.binding_id,
            status=caption.status or STATUS_IN_PROGRESS,
            values=values,
            text=caption.text,
            evidence=evidence,
            source="quick",
            now=now,
            source_message=source_message,
        )
    except ReportRefused:  # refused before anything was staged
        return QuickOutcome(refusal=Refusal.UNAVAILABLE)
    return QuickOutcome(recorded=recorded)
