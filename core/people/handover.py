"""Handing a department's liaison role to another person (交接).

The office can do it at once; a liaison can ask for it, and the office confirms. The
new person becomes the department's liaison; the old one loses the role; whatever the
old liaison had open (a /report, an album being collected) is closed and they are told;
reports stay attributed to whoever made them. Reminders are computed from the
department's current liaisons, so pending ones follow the new liaison by themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import drafts
from storage import repositories as repo
from storage.drafts import DraftKey
from storage.models import ROLE_ADMIN, ROLE_LIAISON, AuditLog, Department, User

REQUEST = drafts.HANDOVER_REQUEST  # the draft of a liaison's pending request


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


async def hand_over(
    session: AsyncSession,
    *,
    from_tg_id: int,
    to_tg_id: int,
    actor_tg_id: int,
    now: dt.datetime,
) -> HandedOver:
    """Move `from_tg_id`'s liaison role to `to_tg_id` (flushed; the caller commits)."""
    if from_tg_id == to_tg_id:
        raise HandoverRefused("same_person")
    old = await repo.user_by_tg_id(session, from_tg_id)
    if old is None or old.role != ROLE_LIAISON or old.department_id is None:
        raise HandoverRefused("not_liaison")
    new = await repo.get_or_create_user(session, to_tg_id)
    if new.role not in (None, ROLE_LIAISON):
        raise HandoverRefused("target_is_staff")
    department = await session.get(Department, old.department_id)
    assert department is not None
    new.role = ROLE_LIAISON
    new.department_id = old.department_id
    new.is_deputy = old.is_deputy
    old.role = None
    old.department_id = None
    old.is_deputy = False
    closed = await drafts.drop_users(
        session, from_tg_id, names=[drafts.REPORT], prefixes=[drafts.ALBUM_PREFIX]
    )
    await drafts.drop_users(session, from_tg_id, names=[REQUEST])
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=actor_tg_id,
            action="handover",
            detail={"department_id": department.id, "from": from_tg_id, "to": to_tg_id},
        )
    )
    await session.flush()
    return HandedOver(
        department.id,
        department.name,
        from_tg_id,
        to_tg_id,
        closed,
    )


async def request_handover(
    session: AsyncSession, *, from_tg_id: int, to_tg_id: int, now: dt.datetime
) -> str:
    """A liaison asks to hand over to `to_tg_id`; returns the department's name."""
    if from_tg_id == to_tg_id:
        raise HandoverRefused("same_person")
    old = await repo.user_by_tg_id(session, from_tg_id)
    if old is None or old.role != ROLE_LIAISON or old.department_id is None:
        raise HandoverRefused("not_liaison")
    target = await repo.user_by_tg_id(session, to_tg_id)
    if target is not None and target.role not in (None, ROLE_LIAISON):
        raise HandoverRefused("target_is_staff")
    await drafts.save(session, request_key(from_tg_id), 0, {"to": to_tg_id}, now)
    department = await session.get(Department, old.department_id)
    await session.flush()
    return department.name if department else "?"


async def requested_target(session: AsyncSession, from_tg_id: int) -> int:
    draft = await drafts.load(session, request_key(from_tg_id))
    if draft is None or "to" not in (draft.data or {}):
        raise HandoverRefused("no_request")
    return int(draft.data["to"])


async def drop_request(session: AsyncSession, from_tg_id: int) -> None:
    await drafts.drop_users(session, from_tg_id, names=[REQUEST])
    await session.flush()


def request_key(from_tg_id: int) -> DraftKey:
    """A liaison's pending request lives in their private chat with the bot."""
    return DraftKey(REQUEST, from_tg_id, from_tg_id)


async def admin_ids(session: AsyncSession, configured: frozenset[int]) -> list[int]:
    """Everyone who can confirm: configured admins and users given the admin role."""
    rows = await session.scalars(select(User.tg_id).where(User.role == ROLE_ADMIN))
    return sorted(set(rows.all()) | set(configured))
