"""The unit of work of one update (or one scheduled job): issue 19's one explicit object.

The inbox worker creates an `UpdateWork` for each update it feeds to PTB and registers
it under the update's id (`InFlight`, kept in `Application.bot_data`); the handler's
`use_case` wrapper (handlers/base.py) finds it there and hands it to the use case. It
owns, for that update:

* the session (one transaction; on PostgreSQL it holds the chat's advisory lock),
* the inbox row's "handled" mark, written in the same commit as the use case's changes,
* the outbox rows (replies that are the use case's outcome) and their delivery after
  the commit — the one place an update's outbox is sent,
* the steps that wait for the commit (other Telegram calls),
* the crash tests' kill points `mid_use_case` / `after_use_case_commit`.

A scheduled job (an album's report, a conversation's timeout) gets an `UpdateWork`
without an inbox row.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram import Bot

from runtime.intake.faults import kill_point
from runtime.intake.outbox import deliver, encode_options
from storage import inbox, outbox
from storage.db import Database
from storage.unit import UnitOfWork

log = logging.getLogger(__name__)
IN_FLIGHT_KEY = "duban_units_in_flight"
DATABASE_KEY = "duban_database"  # the process's one Database, set by build_application


class UpdateWork(UnitOfWork):
    """One update's (or job's) unit of work; see the module docstring."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        *,
        inbox_seq: int | None = None,
        final_attempt: bool = True,
    ) -> None:
        super().__init__(db)
        self.bot = bot
        self.inbox_seq = inbox_seq
        self.final_attempt = final_attempt
        self.marked = False  # the inbox row's handled mark is committed
        self.error: BaseException | None = None  # a handler of the update failed
        self.outbox_ids: list[int] = []
        self._unsent: list[int] = []

    async def queue_reply(self, chat_id: int, text: str, **options: Any) -> int:
        """A reply written in this transaction, sent once it commits (and, should the
        process die in between, at the next start)."""
        message_id = await outbox.queue(
            self.session, chat_id, text, encode_options(options), now=dt.datetime.now(dt.UTC)
        )
        if not self._unsent:
            await self.after_commit(self._deliver)
        self._unsent.append(message_id)
        self.outbox_ids.append(message_id)
        return message_id

    async def _deliver(self) -> None:
        ids, self._unsent = self._unsent, []
        await deliver(self.bot, self.db, ids)

    @property
    def marks_inbox(self) -> bool:
        # A handler of the update already failed (in an earlier handler group): another
        # handler's success must not mark it handled, or it would never be tried again.
        return self.inbox_seq is not None and not self.marked and self.error is None

    async def _committing(self) -> None:
        if self.marks_inbox:
            assert self.inbox_seq is not None
            await inbox.mark_handled(self.session, self.inbox_seq, dt.datetime.now(dt.UTC))
            self._marking = True
            kill_point("mid_use_case")
        else:
            self._marking = False

    async def _committed(self) -> None:
        if getattr(self, "_marking", False):
            self.marked = True
            self._marking = False
            kill_point("after_use_case_commit")

    async def rollback(self) -> None:
        self._unsent.clear()
        await super().rollback()


class InFlight:
    """The units of the updates being handled in this process, by update id."""

    def __init__(self) -> None:
        self._units: dict[int, UpdateWork] = {}

    def add(self, update_id: int, unit: UpdateWork) -> None:
        self._units[update_id] = unit

    def remove(self, update_id: int) -> None:
        self._units.pop(update_id, None)

    def get(self, update_id: int) -> UpdateWork | None:
        return self._units.get(update_id)

    def __len__(self) -> int:
        return len(self._units)


def in_flight(bot_data: dict[str, Any]) -> InFlight:
    """This application's registry (created by the intake; empty outside it)."""
    found = bot_data.get(IN_FLIGHT_KEY)
    if isinstance(found, InFlight):
        return found
    registry = InFlight()
    bot_data[IN_FLIGHT_KEY] = registry
    return registry
