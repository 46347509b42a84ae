"""The reporting use cases' readers/writers and reporter, made from a handler's turn."""

from __future__ import annotations

from core.people.permissions import Role
from core.reporting import use_cases
from core.reporting.sql import SqlReporting, SqlReview
from handlers.base import Turn


def reporting(turn: Turn) -> SqlReporting:
    """The reporting reader and writer over this update's unit of work."""
    return SqlReporting(turn.unit, turn.services.evidence_store)


def review(turn: Turn) -> SqlReview:
    """The review reader and store (accept, return) over this update's unit of work."""
    return SqlReview(turn.session)


def reporter(turn: Turn) -> use_cases.Reporter:
    actor = turn.actor
    return use_cases.Reporter(actor.tg_id, actor.department_id, actor.role is Role.LIAISON)
