"""The reporting use cases, on the narrow reader and writer they are given.

Each takes plain values and the Protocol it needs (core/reporting/interfaces.py), stages
its writes through it, and returns what happened; it never commits (the caller's unit
of work does, once) and never talks to Telegram (the handler turns the outcome into
words). The quick report is the full example: refusals are values, not exceptions, so
the handler says one clear thing and nothing was written. Review (accept, return) raises
`ReviewRefused` before staging anything, so a refused decision writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from core.reporting.interfaces import ItemReader, QuickReportStore, ReviewReader, ReviewStore
from core.reporting.quick import QuickCaption
from core.reporting.reports import ItemView, NewEvidence, Recorded, ReportRefused
from core.reporting.review import (
    DECISIONS,
    MAX_COMMENT,
    Decided,
    PendingReport,
    ReportEvidence,
    ReviewFailure,
    ReviewRefused,
    refusal_of,
)
from storage.models import REVIEW_ACCEPTED, STATUS_IN_PROGRESS


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


# ---------------------------------------------------------------- review (审核)


async def pending_review(reader: ReviewReader, *, limit: int) -> tuple[list[PendingReport], int]:
    """/review: the reports awaiting review, oldest first (at most `limit`), and how many."""
    return await reader.pending_reports(limit=limit)


async def review_evidence(
    reader: ReviewReader, report_id: int
) -> tuple[str | None, list[ReportEvidence]]:
    """The files of one report, for the reviewer to look at."""
    return await reader.report_evidence(report_id)


async def open_return(reader: ReviewReader, report_id: int) -> PendingReport:
    """The report the office is about to return (asking for a comment first), or
    `ReviewRefused` saying why it cannot be returned. Changes nothing."""
    found, _total = await reader.pending_reports(limit=1, report_id=report_id)
    if found:
        return found[0]
    refused = refusal_of(await reader.under_review(report_id))
    raise refused or ReviewRefused(ReviewFailure.ALREADY)  # decided in between


async def decide(
    store: ReviewStore,
    *,
    report_id: int,
    decision: str,
    comment: str,
    reviewer_tg_id: int,
    now: dt.datetime,
    rectification_due: dt.date | None = None,
) -> Decided:
    """Accept or return a pending report, staged and flushed; the caller's unit commits.

    The report's binding follows only while the report is its latest. Returning the
    latest report with `rectification_due` opens a rectification (整改) due then;
    accepting it ends any (issue 22). `ReviewRefused` before anything is staged when the
    report is missing, was never pending, or was decided (even by someone a moment ago).
    """
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    report = await store.under_review(report_id)
    refused = refusal_of(report)
    if refused is not None or report is None:
        raise refused or ReviewRefused(ReviewFailure.NOT_FOUND)
    # Only one decision wins: the state changes only from pending.
    if not await store.claim(report_id, decision):
        raise ReviewRefused(ReviewFailure.ALREADY)
    comment = comment[:MAX_COMMENT]
    await store.add_review(
        report_id=report_id,
        reviewer_tg_id=reviewer_tg_id,
        decision=decision,
        comment=comment,
        now=now,
    )
    accepted = decision == REVIEW_ACCEPTED
    opened = None if accepted or not report.is_latest else rectification_due
    if report.is_latest:
        await store.set_binding_review(
            report.binding_id, decision, end_rectification=accepted, rectification_due=opened
        )
    store.log(
        "review",
        {
            "report_id": report_id,
            "decision": decision,
            "rectification_due": opened.isoformat() if opened is not None else None,
        },
        actor_tg_id=reviewer_tg_id,
        now=now,
    )
    liaisons = await store.liaisons(report.department_id)
    await store.flush()
    return Decided(
        report_id=report_id,
        decision=decision,
        comment=comment,
        department_id=report.department_id,
        department_name=report.department_name,
        code=report.code,
        title=report.title,
        binding_updated=report.is_latest,
        liaisons=tuple(liaisons),
        rectification_due=opened,
    )
