"""The reporting use cases' reader/writer and reporter, made from a handler's turn."""

from __future__ import annotations

from core.people.permissions import Role
from core.reporting import use_cases
from core.reporting.sql import SqlReporting
from handlers.base import Turn


def reporting(turn: Turn) -> SqlReporting:
    """The reporting reader and writer over this update's unit of work."""
    return SqlReporting(turn.unit, turn.services.evidence_store)


def reporter(turn: Turn) -> use_cases.Reporter:
    actor = turn.actor
    return use_cases.Reporter(actor.tg_id, actor.department_id, actor.role is Role.LIAISON)
