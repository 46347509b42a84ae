"""The one draft store of every conversation: /report, the review return, /urge, /import,
quick-report albums, and whatever conversation comes next.

A draft is one `conversation_draft` row keyed by (name, chat id, user id): the
conversation's `state` and its answers so far (`data`, JSON), stamped with when it was
last touched. Its timeout is a due time computed from that stamp, so any process (not
only the one whose timer was running) can tell a draft has expired. Like every
repository, these functions stage and flush; the use case commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import ConversationDraft

# The conversations' names, the first part of a draft's key: in one place, because more
# than one module needs them (a handover closes the old liaison's /report and albums).
REPORT = "report"
REVIEW_RETURN = "review"
URGE = "urge"
IMPORT = "import"
HANDOVER_REQUEST = "handover"
SCORE = "score"  # /score DEPT, item by item (issue 20)
APPEAL = "appeal"  # /appeal by buttons: the reason awaited (issue 21)
ALBUM_PREFIX = "album:"  # + the album's media_group_id


@dataclass(frozen=True)
class DraftKey:
    """Which conversation: its name (e.g. "report", "album:<media group>") and who is in it."""

    name: str
    chat_id: int
    user_id: int

    def as_tuple(self) -> tuple[str, int, int]:
        return (self.name, self.chat_id, self.user_id)


async def load(session: AsyncSession, key: DraftKey) -> ConversationDraft | None:
    return await session.get(ConversationDraft, key.as_tuple())


async def save(
    session: AsyncSession, key: DraftKey, state: int, data: dict[str, Any], now: dt.datetime
) -> ConversationDraft:
    """Create or replace the draft's state and answers, stamped `now`."""
    draft = await load(session, key)
    if draft is None:
        draft = ConversationDraft(
            name=key.name, chat_id=key.chat_id, user_id=key.user_id, state=int(state)
        )
        session.add(draft)
    draft.state = int(state)
    draft.data = dict(data)  # a new object, so the JSON column is seen as changed
    draft.updated_at = now
    await session.flush()
    return draft


async def drop(session: AsyncSession, key: DraftKey) -> None:
    """Remove the draft if there is one (no error if there is none)."""
    draft = await load(session, key)  # from the identity map when already loaded
    if draft is not None:
        await session.delete(draft)
        await session.flush()


async def drop_users(
    session: AsyncSession, user_id: int, *, names: Sequence[str] = (), prefixes: Sequence[str] = ()
) -> int:
    """Remove user `user_id`'s drafts of the named conversations (in any chat), and those
    whose name starts with one of `prefixes`; how many there were."""
    conditions: list[ColumnElement[bool]] = [ConversationDraft.name.in_(names)] if names else []
    conditions += [ConversationDraft.name.startswith(p, autoescape=True) for p in prefixes]
    if not conditions:
        return 0
    result = await session.execute(
        delete(ConversationDraft).where(ConversationDraft.user_id == user_id, or_(*conditions))
    )
    return affected(result)


def due_at(draft: ConversationDraft, timeout: dt.timedelta) -> dt.datetime:
    """When the draft times out if nothing more comes."""
    return draft.updated_at + timeout


def expired(draft: ConversationDraft, now: dt.datetime, timeout: dt.timedelta) -> bool:
    return due_at(draft, timeout) < now


async def states(session: AsyncSession, name: str) -> dict[tuple[int, int], int]:
    """(chat id, user id) -> state of every open draft of conversation `name`."""
    rows = await session.execute(
        select(ConversationDraft.chat_id, ConversationDraft.user_id, ConversationDraft.state).where(
            ConversationDraft.name == name
        )
    )
    return {(chat_id, user_id): state for chat_id, user_id, state in rows}


async def keys_starting(session: AsyncSession, prefix: str) -> list[DraftKey]:
    """The keys of every draft whose name starts with `prefix` (e.g. "album:")."""
    rows = await session.execute(
        select(ConversationDraft.name, ConversationDraft.chat_id, ConversationDraft.user_id).where(
            ConversationDraft.name.startswith(prefix, autoescape=True)
        )
    )
    return [DraftKey(name, chat_id, user_id) for name, chat_id, user_id in rows]
