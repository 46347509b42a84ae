"""The office group: which chat gets the digest, setting it (/setgroup), and following it
when Telegram upgrades it to a supergroup.

The use cases take an `OfficeGroupReader` or `OfficeGroupStore`
(core/digest/interfaces.py) explicitly; handlers pass `core.digest.sql.SqlOfficeGroup`
over the update's unit of work, which commits. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from core.digest.interfaces import OfficeGroupReader, OfficeGroupStore

log = logging.getLogger(__name__)

SETGROUP_ACTION = "setgroup"


@dataclass(frozen=True)
class OfficeGroup:
    chat_id: int | None  # None: no group set (or the setting is not a chat id)
    set_at: str | None  # ISO, when it was set


async def office_group(reader: OfficeGroupReader) -> OfficeGroup:
    """The office group as set, if it was."""
    chat = await reader.office_chat()
    set_at = await reader.office_set_at()
    try:
        return OfficeGroup(int(chat) if chat else None, set_at)
    except ValueError:
        log.error("the office_chat_id setting is not a chat id: %r", chat)
        return OfficeGroup(None, None)


async def set_office_group(
    store: OfficeGroupStore, chat_id: int, *, title: str, actor_tg_id: int, now: dt.datetime
) -> bool:
    """Make `chat_id` the office group (audit-logged); False if it already is, and then
    nothing changes."""
    previous = await store.office_chat()
    if previous == str(chat_id):
        return False
    await store.set_office_chat(chat_id, now)
    store.log(
        SETGROUP_ACTION,
        {"chat_id": chat_id, "title": title, "previous": previous},
        actor_tg_id=actor_tg_id,
        now=now,
    )
    await store.flush()
    return True


async def follow_group_migration(
    store: OfficeGroupStore, old_chat_id: int, new_chat_id: int
) -> bool:
    """A group Telegram upgraded to a supergroup (`migrate_to_chat_id`) keeps its digest:
    the office group setting and the digest bookkeeping move to the new chat id.

    Flushes, never commits; True if the office group was the one that moved. Idempotent:
    a redelivered migration message finds nothing left under the old id.
    """
    if await store.office_chat() != str(old_chat_id):
        return False
    await store.move_office_group(old_chat_id, new_chat_id)
    await store.flush()
    return True
