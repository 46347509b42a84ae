"""What the people use cases need from storage, as narrow Protocols (issue 19, point 5).

Each use case of `core.people` (handover, leave, invites and joining, the roster and
revoking) names the reader or writer it needs and is given it explicitly: the database
one (`core.people.sql.SqlPeople`, over the update's unit of work) or a recording fake in
a unit test. Readers return plain values, never ORM rows; writers stage, and nothing
here commits (the unit of work that made the writer commits once, after the use case).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class UserInfo:
    """A known user as a role change sees them."""

    tg_id: int
    display_name: str
    role: str | None
    department_id: int | None
    department_name: str | None  # the name of `department_id`, None without one
    is_deputy: bool
    locale: str | None


@dataclass(frozen=True)
class Recipient:
    """Someone to tell something privately, in their own language."""

    tg_id: int
    locale: str | None
    display_name: str


@dataclass(frozen=True)
class DepartmentRef:
    id: int
    name: str


@dataclass(frozen=True)
class DepartmentMatch:
    """The departments a typed name means: one `found`, or several `candidates`."""

    found: DepartmentRef | None
    candidates: tuple[DepartmentRef, ...] = ()


@dataclass(frozen=True)
class LeavePeriod:
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class NewInvite:
    code: str
    role: str
    department_id: int | None
    created_by: int | None
    created_at: dt.datetime
    expires_at: dt.datetime
    deputy: bool


@dataclass(frozen=True)
class InviteInfo:
    id: int
    role: str
    department_id: int | None
    deputy: bool
    used: bool
    expires_at: dt.datetime


class AuditWriter(Protocol):
    def audit(
        self, *, at: dt.datetime, actor_tg_id: int | None, action: str, detail: dict[str, Any]
    ) -> None:
        """Stage one audit-log entry, committed with the change it records."""

    async def flush(self) -> None: ...


class UserReader(Protocol):
    async def users(self, tg_ids: Collection[int]) -> dict[int, UserInfo]:
        """Those of `tg_ids` who have a user row (one query)."""

    async def named_users(self, *, with_role: bool) -> list[UserInfo]:
        """Every user (only those with a role when `with_role`), oldest first (one query)."""


class RoleWriter(Protocol):
    async def set_role(
        self,
        tg_id: int,
        *,
        role: str | None,
        department_id: int | None,
        is_deputy: bool,
        display_name: str = "",
    ) -> None:
        """Give (or with role None, take away) a role; the user's row is made if there
        is none. A non-empty `display_name` replaces the stored one."""


class HandoverStore(UserReader, RoleWriter, AuditWriter, Protocol):
    """/handover: who the two people are, moving the role, closing the old one's work."""

    async def close_open_work(self, tg_id: int) -> int:
        """Drop the user's unfinished /report and albums; how many there were."""

    async def pending_request(self, from_tg_id: int) -> int | None:
        """The new liaison a liaison's pending request names, if there is one."""

    async def save_request(self, from_tg_id: int, to_tg_id: int, now: dt.datetime) -> None: ...

    async def drop_request(self, from_tg_id: int) -> None: ...

    async def admins(self, configured: frozenset[int]) -> list[Recipient]:
        """Everyone who may confirm: configured admins and users with the admin role."""


class LeaveStore(AuditWriter, Protocol):
    async def leaves_from(self, tg_id: int, day: dt.date) -> list[LeavePeriod]:
        """The user's leave ending on or after `day`, earliest first."""

    def add_leave(self, tg_id: int, period: LeavePeriod, now: dt.datetime) -> None: ...

    async def cancel_leaves_from(self, tg_id: int, day: dt.date) -> int:
        """Remove the user's leave ending on or after `day`; how many there were."""


class DepartmentReader(Protocol):
    async def department_match(self, query: str) -> DepartmentMatch:
        """The active campaign's departments a typed name (or alias) means."""

    async def department(self, department_id: int) -> DepartmentRef | None: ...


class InviteWriter(AuditWriter, Protocol):
    def add_invite(self, invite: NewInvite) -> None: ...


class JoinStore(RoleWriter, AuditWriter, Protocol):
    async def failures_since(self, tg_id: int, since: dt.datetime) -> int:
        """The user's failed /join tries since `since`."""

    async def invite(self, code: str) -> InviteInfo | None: ...

    async def claim(self, invite_id: int, tg_id: int, now: dt.datetime) -> bool:
        """Mark the invite used by `tg_id` unless someone used it first (atomic)."""

    async def department_size(self, department_id: int) -> tuple[str | None, int]:
        """The department's name and its number of items (bindings)."""


class RosterReader(Protocol):
    async def active_departments(self) -> list[DepartmentRef]:
        """The active campaign's departments, in document order ([] without one)."""

    async def named_users(self, *, with_role: bool) -> list[UserInfo]: ...


class RevokeStore(UserReader, RoleWriter, AuditWriter, Protocol):
    """/revoke: find the user, take the role away."""
