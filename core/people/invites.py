"""Invite codes: made by office staff, used once by a new liaison or leader to join.

Codes come from `secrets` (10 characters of a 31-letter alphabet without look-alikes:
about 2^49 possibilities), expire, and work once. Failed tries are counted per user
in the audit log; after `MAX_FAILURES` within `FAILURE_WINDOW` the user must wait.

`make_invite` and `join` take the narrow stores of core/people/interfaces.py.
`find_department` (a typed department name, by session) is the shared reader many
office screens call; it lives with the other queries in core.people.sql.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from core.people.interfaces import (
    DepartmentMatch,
    DepartmentReader,
    InviteWriter,
    JoinStore,
    NewInvite,
)
from core.people.sql import DepartmentChoice, find_department
from core.text.matching import normalize
from storage.models import ROLE_LEADER, ROLE_LIAISON

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "FAILURE_WINDOW",
    "MAX_FAILURES",
    "DepartmentChoice",
    "JoinError",
    "JoinFailure",
    "Joined",
    "MadeInvite",
    "choose_department",
    "clean_code",
    "find_department",
    "join",
    "make_invite",
    "new_code",
]

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: read aloud and typed safely
CODE_LENGTH = 10
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(text: str) -> str:
    return "".join(ch for ch in normalize(text).upper() if ch.isalnum())


async def choose_department(reader: DepartmentReader, query: str) -> DepartmentMatch:
    """The department `query` names for an invite: one, several to choose from, or none."""
    return await reader.department_match(query)


class InvitedDepartment(Protocol):
    """What an invite needs of its department (a `DepartmentRef`, or a `Department` row)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class MadeInvite:
    code: str
    role: str
    department_name: str | None
    expires_at: dt.datetime


async def make_invite(
    writer: InviteWriter,
    *,
    role: str,
    department: InvitedDepartment | None,
    created_by: int | None,
    now: dt.datetime,
    ttl: dt.timedelta,
    deputy: bool = False,
) -> MadeInvite:
    """A new one-time code for `role` (a liaison's names its department), valid `ttl`."""
    if role == ROLE_LIAISON and department is None:
        raise ValueError("a liaison invite needs a department")
    invite = NewInvite(
        code=new_code(),
        role=role,
        department_id=department.id if department else None,
        created_by=created_by,
        created_at=now,
        expires_at=now + ttl,
        deputy=deputy and role == ROLE_LIAISON,
    )
    writer.add_invite(invite)
    writer.audit(
        at=now,
        actor_tg_id=created_by,
        action="invite",
        detail={"role": role, "department_id": invite.department_id},
    )
    await writer.flush()
    return MadeInvite(invite.code, role, department.name if department else None, invite.expires_at)


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
    store: JoinStore, *, tg_id: int, display_name: str, code_text: str, now: dt.datetime
) -> Joined:
    """Use an invite code. Raises JoinError and changes nothing but the failure count."""
    if await store.failures_since(tg_id, now - FAILURE_WINDOW) >= MAX_FAILURES:
        raise JoinError(JoinFailure.TOO_MANY_TRIES)
    code = clean_code(code_text)
    if not code:
        raise JoinError(JoinFailure.NO_CODE)

    invite = await store.invite(code)
    failure: JoinFailure | None = None
    if invite is None:
        failure = JoinFailure.UNKNOWN
    elif invite.used:
        failure = JoinFailure.USED
    elif invite.expires_at <= now:
        failure = JoinFailure.EXPIRED
    if failure is not None or invite is None:
        store.audit(at=now, actor_tg_id=tg_id, action="join_failed", detail={"why": str(failure)})
        await store.flush()
        raise JoinError(failure or JoinFailure.UNKNOWN)

    # Of two people racing for one code, one wins; the loser changes nothing.
    if not await store.claim(invite.id, tg_id, now):
        raise JoinError(JoinFailure.USED)

    liaison = invite.role == ROLE_LIAISON
    await store.set_role(
        tg_id,
        role=invite.role,
        department_id=invite.department_id if liaison else None,
        is_deputy=invite.deputy and liaison,
        display_name=display_name,
    )
    department_name: str | None = None
    item_count = 0
    if liaison and invite.department_id is not None:
        department_name, item_count = await store.department_size(invite.department_id)
    store.audit(
        at=now,
        actor_tg_id=tg_id,
        action="join",
        detail={"role": invite.role, "department_id": invite.department_id},
    )
    await store.flush()
    return Joined(invite.role or ROLE_LEADER, department_name, item_count)
