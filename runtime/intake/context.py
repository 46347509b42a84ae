"""The update being handled from the inbox, as a contextvar, and the use case's hooks.

The worker sets `current` around `Application.process_update`, so code running for that
update (the `use_case` wrapper, a handler's final commit) can mark its inbox row handled
in the same transaction as its own writes (`stage_outcome`). A session that staged an
outcome passes the `mid_use_case` / `after_use_case_commit` kill points on commit.
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from runtime.intake.faults import kill_point
from storage import inbox

_OUTCOME = "duban_inbox_outcome"


@dataclass
class InboxTurn:
    """One inbox row being handled: what the worker needs to know afterwards."""

    seq: int
    final_attempt: bool = True
    marked: bool = False  # its handled mark is committed
    error: BaseException | None = None
    outbox_ids: list[int] = field(default_factory=list)


current: ContextVar[InboxTurn | None] = ContextVar("duban_inbox_turn", default=None)


async def stage_outcome(session: AsyncSession) -> None:
    """Mark the current inbox row handled in `session`'s transaction (no-op outside one).

    Call it just before the commit that makes a use case's outcome durable (its writes
    and its replies); calling it again in a later commit does no harm.
    """
    turn = current.get()
    # A handler of the update already failed (in an earlier handler group): another
    # handler's success must not mark it handled, or it would never be tried again.
    if turn is None or turn.marked or turn.error is not None:
        return
    await inbox.mark_handled(session, turn.seq, dt.datetime.now(dt.UTC))
    pending: list[InboxTurn] = session.sync_session.info.setdefault(_OUTCOME, [])
    if turn not in pending:
        pending.append(turn)


@event.listens_for(Session, "before_commit")
def _before_outcome_commit(session: Session) -> None:
    if session.info.get(_OUTCOME):
        kill_point("mid_use_case")


@event.listens_for(Session, "after_commit")
def _after_outcome_commit(session: Session) -> None:
    turns: list[InboxTurn] = session.info.pop(_OUTCOME, [])
    for turn in turns:
        turn.marked = True
    if turns:
        kill_point("after_use_case_commit")


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_OUTCOME, None)
