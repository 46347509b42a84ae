"""Handing a department's liaison role to another person (交接).

The office can do it at once; a liaison can ask for it, and the office confirms. The
new person becomes the department's liaison; the old one loses the role; whatever the
old liaison had open (a /report, an album being collected) is closed and they are told;
reports stay attributed to whoever made them. Reminders are computed from the
department's current liaisons, so pending ones follow the new liaison by themselves.

The use cases take a `HandoverStore` (core/people/interfaces.py): the handler passes
`core.people.sql.SqlPeople` over its unit of work, tests a recording fake.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.people.interfaces import HandoverStore, UserInfo
from storage.models import ROLE_LIAISON


class HandoverRefused(Exception):
    """reason: not_liaison, same_person, target_is_staff, no_request."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class HandedOver:
    department_id: int
    department_name: str
    from_tg_id: int
    to_tg_id: int
    closed_conversations: int


async def _parties(store: HandoverStore, from_tg_id: int, to_tg_id: int) -> UserInfo:
    """The current liaison (one read of both people), or why the handover cannot be."""
    if from_tg_id == to_tg_id:
        raise HandoverRefused("same_person")
    known = await store.users((from_tg_id, to_tg_id))
    old, new = known.get(from_tg_id), known.get(to_tg_id)
    if old is None or old.role != ROLE_LIAISON or old.department_id is None:
        raise HandoverRefused("not_liaison")
    if new is not None and new.role not in (None, ROLE_LIAISON):
        raise HandoverRefused("target_is_staff")
    return old


async def hand_over(
    store: HandoverStore,
    *,
    from_tg_id: int,
    to_tg_id: int,
    actor_tg_id: int,
    now: dt.datetime,
) -> HandedOver:
    """Move `from_tg_id`'s liaison role to `to_tg_id` (staged; the caller commits)."""
    old = await _parties(store, from_tg_id, to_tg_id)
    assert old.department_id is not None  # checked by _parties
    await store.set_role(
        to_tg_id, role=ROLE_LIAISON, department_id=old.department_id, is_deputy=old.is_deputy
    )
    await store.set_role(from_tg_id, role=None, department_id=None, is_deputy=False)
    closed = await store.close_open_work(from_tg_id)
    await store.drop_request(from_tg_id)
    store.audit(
        at=now,
        actor_tg_id=actor_tg_id,
        action="handover",
        detail={"department_id": old.department_id, "from": from_tg_id, "to": to_tg_id},
    )
    await store.flush()
    return HandedOver(old.department_id, old.department_name or "?", from_tg_id, to_tg_id, closed)


async def request_handover(
    store: HandoverStore, *, from_tg_id: int, to_tg_id: int, now: dt.datetime
) -> str:
    """A liaison asks to hand over to `to_tg_id`; returns the department's name."""
    old = await _parties(store, from_tg_id, to_tg_id)
    await store.save_request(from_tg_id, to_tg_id, now)
    await store.flush()
    return old.department_name or "?"


async def requested_target(store: HandoverStore, from_tg_id: int) -> int:
    """Who the liaison's pending request names; HandoverRefused("no_request") if none."""
    target = await store.pending_request(from_tg_id)
    if target is None:
        raise HandoverRefused("no_request")
    return target


async def refuse_request(store: HandoverStore, from_tg_id: int) -> None:
    """The office refuses the liaison's request: it is dropped, nothing else changes."""
    await store.drop_request(from_tg_id)
    await store.flush()
