"""Invite codes: made by office staff, used once by a new liaison or leader to join.

Codes come from `secrets` (10 characters of a 31-letter alphabet without look-alikes:
about 2^49 possibilities), expire, and work once. Failed tries are counted per user
in the audit log; after `MAX_FAILURES` within `FAILURE_WINDOW` the user must wait.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.text.matching import Named, match_names, normalize
from storage import repositories as repo
from storage.db import affected
from storage.models import (
    ROLE_LEADER,
    ROLE_LIAISON,
    AuditLog,
    Binding,
    Department,
    Invite,
)

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: read aloud and typed safely
CODE_LENGTH = 10
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(text: str) -> str:
    return "".join(ch for ch in normalize(text).upper() if ch.isalnum())


@dataclass(frozen=True)
class DepartmentChoice:
    """The result of matching a typed department name."""

    found: Department | None
    candidates: tuple[Department, ...] = ()  # more than one: let the user choose


async def find_department(session: AsyncSession, query: str) -> DepartmentChoice:
    campaign = await repo.active_campaign(session)
    if campaign is None:
        return DepartmentChoice(None)
    departments = list(await repo.departments(session, campaign.id))
    by_id = {d.id: d for d in departments}
    matches = match_names(query, [Named(d.id, d.name, tuple(d.aliases or ())) for d in departments])
    if len(matches) == 1:
        return DepartmentChoice(by_id[matches[0].id])
    return DepartmentChoice(None, tuple(by_id[m.id] for m in matches))


@dataclass(frozen=True)
class MadeInvite:
    code: str
    role: str
    department_name: str | None
    expires_at: dt.datetime


async def make_invite(
    session: AsyncSession,
    *,
    role: str,
    department: Department | None,
    created_by: int | None,
    now: dt.datetime,
    ttl: dt.timedelta,
    deputy: bool = False,
) -> MadeInvite:
    if role == ROLE_LIAISON and department is None:
        raise ValueError("a liaison invite needs a department")
    code = new_code()
    invite = Invite(
        code=code,
        role=role,
        department_id=department.id if department else None,
        created_by=created_by,
        created_at=now,
        expires_at=now + ttl,
        deputy=deputy and role == ROLE_LIAISON,
    )
    session.add(invite)
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=created_by,
            action="invite",
            detail={"role": role, "department_id": invite.department_id},
        )
    )
    await session.flush()
    return MadeInvite(code, role, department.name if department else None, invite.expires_at)


class JoinFailure(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    TOO_MANY_TRIES = "too_many_tries"
    NO_CODE = "no_code"


@dataclass(frozen=True)
class Joined:
    role: str
    department_name: str | None
    item_count: int


class JoinError(Exception):
    def __init__(self, failure: JoinFailure) -> None:
        super().__init__(failure.value)
        self.failure = failure


async def join(
    session: AsyncSession, *, tg_id: int, display_name: str, code_text: str, now: dt.datetime
) -> Joined:
    """Use an invite code. Raises JoinError and changes nothing but the failure count."""
    recent_failures = await session.scalar(
        select(func.count(AuditLog.id)).where(
            AuditLog.actor_tg_id == tg_id,
            AuditLog.action == "join_failed",
            AuditLog.at >= now - FAILURE_WINDOW,
        )
    )
    if (recent_failures or 0) >= MAX_FAILURES:
        raise JoinError(JoinFailure.TOO_MANY_TRIES)
    code = clean_code(code_text)
    if not code:
        raise JoinError(JoinFailure.NO_CODE)

    invite = await session.scalar(select(Invite).where(Invite.code == code))
    failure: JoinFailure | None = None
    if invite is None:
        failure = JoinFailure.UNKNOWN
    elif invite.used_by is not None:
        failure = JoinFailure.USED
    elif invite.expires_at <= now:
        failure = JoinFailure.EXPIRED
    if failure is not None or invite is None:
        session.add(
            AuditLog(at=now, actor_tg_id=tg_id, action="join_failed", detail={"why": str(failure)})
        )
        await session.flush()
        raise JoinError(failure or JoinFailure.UNKNOWN)

    # Claim the invite atomically: of two people racing for one code, one wins.
    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_by.is_(None))
        .values(used_by=tg_id, used_at=now)
    )
    if affected(claimed) != 1:
        # Nothing was changed: the conditional UPDATE matched no row.
        raise JoinError(JoinFailure.USED)

    user = await repo.get_or_create_user(session, tg_id, display_name)
    user.role = invite.role
    user.department_id = invite.department_id if invite.role == ROLE_LIAISON else None
    user.is_deputy = bool(invite.deputy) and invite.role == ROLE_LIAISON
    if display_name:
        user.display_name = display_name[:200]
    department_name: str | None = None
    item_count = 0
    if invite.role == ROLE_LIAISON and invite.department_id is not None:
        department = await session.get(Department, invite.department_id)
        department_name = department.name if department else None
        item_count = int(
            await session.scalar(
                select(func.count(Binding.id)).where(Binding.department_id == invite.department_id)
            )
            or 0
        )
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=tg_id,
            action="join",
            detail={"role": invite.role, "department_id": invite.department_id},
        )
    )
    await session.flush()
    return Joined(invite.role or ROLE_LEADER, department_name, item_count)
