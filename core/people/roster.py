"""People the office manages: liaisons and leaders by department, revoking a role.

Revoking takes away a user's role and department and nothing else: their reports stay,
attributed to them. The bootstrap admins of the configuration (ADMIN_IDS) cannot be
revoked from the chat; that is a change to the configuration.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.text.matching import normalize
from storage import repositories as repo
from storage.models import (
    ROLE_ADMIN,
    ROLE_LEADER,
    ROLE_LIAISON,
    AuditLog,
    Department,
    User,
)


@dataclass(frozen=True)
class Recipient:
    """Someone to tell something privately, in their own language."""

    tg_id: int
    locale: str | None
    display_name: str


async def liaisons_of(session: AsyncSession, department_id: int) -> list[Recipient]:
    """The department's liaisons (deputies included), main liaisons first."""
    rows = await session.execute(
        select(User.tg_id, User.locale, User.display_name)
        .where(User.role == ROLE_LIAISON, User.department_id == department_id)
        .order_by(User.is_deputy, User.id)
    )
    return [Recipient(tg_id, locale, name or "") for tg_id, locale, name in rows]


@dataclass(frozen=True)
class Person:
    tg_id: int
    display_name: str
    role: str
    department_id: int | None
    is_deputy: bool


@dataclass(frozen=True)
class DepartmentPeople:
    id: int
    name: str
    liaisons: tuple[Person, ...]


@dataclass(frozen=True)
class PeopleList:
    departments: tuple[DepartmentPeople, ...]  # the active campaign's, in document order
    other_liaisons: tuple[tuple[str, Person], ...]  # liaisons of departments of older campaigns
    leaders: tuple[Person, ...]
    admins: tuple[Person, ...]


async def people(session: AsyncSession) -> PeopleList:
    """Everyone with a role, by department: one query for users, one for departments."""
    campaign = await repo.active_campaign(session)
    departments = list(await repo.departments(session, campaign.id)) if campaign else []
    rows = await session.execute(
        select(User, Department.name)
        .outerjoin(Department, Department.id == User.department_id)
        .where(User.role.in_((ROLE_LIAISON, ROLE_LEADER, ROLE_ADMIN)))
        .order_by(User.is_deputy, User.id)
    )
    by_department: dict[int, list[Person]] = {}
    others: list[tuple[str, Person]] = []
    leaders: list[Person] = []
    admins: list[Person] = []
    current = {d.id for d in departments}
    for user, department_name in rows:
        person = Person(
            user.tg_id, user.display_name or "", user.role, user.department_id, user.is_deputy
        )
        if user.role == ROLE_LIAISON:
            if user.department_id in current:
                by_department.setdefault(user.department_id, []).append(person)
            elif user.department_id is not None:
                others.append((department_name or "?", person))
        elif user.role == ROLE_LEADER:
            leaders.append(person)
        else:
            admins.append(person)
    return PeopleList(
        departments=tuple(
            DepartmentPeople(d.id, d.name, tuple(by_department.get(d.id, ()))) for d in departments
        ),
        other_liaisons=tuple(others),
        leaders=tuple(leaders),
        admins=tuple(admins),
    )


class RevokeFailure(StrEnum):
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    CONFIGURED_ADMIN = "configured_admin"
    NO_ROLE = "no_role"


class RevokeRefused(Exception):
    def __init__(self, failure: RevokeFailure, candidates: tuple[Person, ...] = ()) -> None:
        super().__init__(failure.value)
        self.failure = failure
        self.candidates = candidates


@dataclass(frozen=True)
class Revoked:
    tg_id: int
    display_name: str
    role: str
    department_name: str | None


async def find_user(session: AsyncSession, query: str, *, with_role: bool = True) -> list[User]:
    """Users meant by `query`: a Telegram user id, or (with or without @) a display name.

    A name matches exactly (after normalising width, spaces and case) or, failing that,
    as a unique part of one name; only users with a role are searched by name, unless
    `with_role` is False (a handover's new liaison has none yet).
    """
    text = query.strip()
    digits = text.lstrip("-")
    if digits.isdigit() and len(digits) < 19:
        user = await repo.user_by_tg_id(session, int(text))
        return [user] if user else []
    wanted = normalize(text.lstrip("@＠"))
    if not wanted:
        return []
    searched = select(User).order_by(User.id)
    if with_role:
        searched = searched.where(User.role.is_not(None))
    named = (await session.scalars(searched)).all()
    exact = [u for u in named if normalize(u.display_name or "") == wanted]
    if exact:
        return exact
    return [u for u in named if wanted in normalize(u.display_name or "")]


async def revoke(
    session: AsyncSession,
    *,
    query: str,
    admin_ids: frozenset[int],
    actor_tg_id: int,
    now: dt.datetime,
) -> Revoked:
    """Remove the role and department of the user `query` names; audit-logged; flushed,
    the caller commits."""
    users = await find_user(session, query)
    if not users:
        raise RevokeRefused(RevokeFailure.NOT_FOUND)
    if len(users) > 1:
        raise RevokeRefused(
            RevokeFailure.AMBIGUOUS,
            tuple(
                Person(u.tg_id, u.display_name or "", u.role or "", u.department_id, u.is_deputy)
                for u in users
            ),
        )
    user = users[0]
    if user.tg_id in admin_ids:
        raise RevokeRefused(RevokeFailure.CONFIGURED_ADMIN)
    if user.role is None:
        raise RevokeRefused(RevokeFailure.NO_ROLE)
    department = await session.get(Department, user.department_id) if user.department_id else None
    revoked = Revoked(
        user.tg_id, user.display_name or "", user.role, department.name if department else None
    )
    session.add(
        AuditLog(
            at=now,
            actor_tg_id=actor_tg_id,
            action="revoke",
            detail={
                "tg_id": user.tg_id,
                "role": user.role,
                "department_id": user.department_id,
            },
        )
    )
    user.role = None
    user.department_id = None
    user.is_deputy = False
    await session.flush()
    return revoked
