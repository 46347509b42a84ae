"""People the office manages: liaisons and leaders by department, revoking a role.

Revoking takes away a user's role and department and nothing else: their reports stay,
attributed to them. The bootstrap admins of the configuration (ADMIN_IDS) cannot be
revoked from the chat; that is a change to the configuration.

`people`, `find_users` and `revoke` take the readers and writers of
core/people/interfaces.py. `liaisons_of` is the shared reader other features call with
their own session (its query is in core.people.sql).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from core.people.interfaces import Recipient, RevokeStore, RosterReader, UserInfo, UserReader
from core.people.sql import liaisons_of
from core.text.matching import normalize
from storage.models import ROLE_LEADER, ROLE_LIAISON

__all__ = [
    "DepartmentPeople",
    "PeopleList",
    "Person",
    "Recipient",
    "RevokeFailure",
    "RevokeRefused",
    "Revoked",
    "find_users",
    "liaisons_of",
    "people",
    "revoke",
]


@dataclass(frozen=True)
class Person:
    tg_id: int
    display_name: str
    role: str
    department_id: int | None
    is_deputy: bool


def person(user: UserInfo) -> Person:
    return Person(
        user.tg_id, user.display_name, user.role or "", user.department_id, user.is_deputy
    )


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


async def people(reader: RosterReader) -> PeopleList:
    """Everyone with a role, by department: one read of departments, one of users."""
    departments = await reader.active_departments()
    # Main liaisons before deputies, each oldest first (the read is oldest first; the
    # sort is stable).
    users = sorted(await reader.named_users(with_role=True), key=lambda u: u.is_deputy)
    by_department: dict[int, list[Person]] = {}
    others: list[tuple[str, Person]] = []
    leaders: list[Person] = []
    admins: list[Person] = []
    current = {d.id for d in departments}
    for user in users:
        if user.role == ROLE_LIAISON:
            if user.department_id in current:
                by_department.setdefault(user.department_id, []).append(person(user))
            elif user.department_id is not None:
                others.append((user.department_name or "?", person(user)))
        elif user.role == ROLE_LEADER:
            leaders.append(person(user))
        else:
            admins.append(person(user))
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


async def find_users(reader: UserReader, query: str, *, with_role: bool = True) -> list[UserInfo]:
    """Users meant by `query`: a Telegram user id, or (with or without @) a display name.

    A name matches exactly (after normalising width, spaces and case) or, failing that,
    as a unique part of one name; only users with a role are searched by name, unless
    `with_role` is False (a handover's new liaison has none yet).
    """
    text = query.strip()
    digits = text.lstrip("-")
    if digits.isdigit() and len(digits) < 19:
        found = (await reader.users((int(text),))).get(int(text))
        return [found] if found else []
    wanted = normalize(text.lstrip("@＠"))
    if not wanted:
        return []
    named = await reader.named_users(with_role=with_role)
    exact = [u for u in named if normalize(u.display_name) == wanted]
    if exact:
        return exact
    return [u for u in named if wanted in normalize(u.display_name)]


async def revoke(
    store: RevokeStore,
    *,
    query: str,
    admin_ids: frozenset[int],
    actor_tg_id: int,
    now: dt.datetime,
) -> Revoked:
    """Remove the role and department of the user `query` names; audit-logged; staged,
    the caller commits. Refused (RevokeRefused) before anything is staged."""
    users = await find_users(store, query)
    if not users:
        raise RevokeRefused(RevokeFailure.NOT_FOUND)
    if len(users) > 1:
        raise RevokeRefused(RevokeFailure.AMBIGUOUS, tuple(person(u) for u in users))
    user = users[0]
    if user.tg_id in admin_ids:
        raise RevokeRefused(RevokeFailure.CONFIGURED_ADMIN)
    if user.role is None:
        raise RevokeRefused(RevokeFailure.NO_ROLE)
    store.audit(
        at=now,
        actor_tg_id=actor_tg_id,
        action="revoke",
        detail={"tg_id": user.tg_id, "role": user.role, "department_id": user.department_id},
    )
    await store.set_role(user.tg_id, role=None, department_id=None, is_deputy=False)
    await store.flush()
    return Revoked(user.tg_id, user.display_name, user.role, user.department_name)
