"""The people readers and writers (core/people/interfaces.py) over the database.

`SqlPeople` stages into the session it is given, the update's unit of work, which alone
commits. Role changes go through the `User` rows this object read (or made), so a write
after a read reads nothing again, and the actor cache (core.people.actors) sees the
changed rows at the flush. The module-level functions are the shared readers other
features call with their own session (`find_department`, `liaisons_of`, `on_leave`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.people.interfaces import (
    DepartmentMatch,
    DepartmentRef,
    InviteInfo,
    LeavePeriod,
    NewInvite,
    Recipient,
    UserInfo,
)
from core.text.matching import Named, match_names
from storage import drafts
from storage import repositories as repo
from storage.db import affected
from storage.drafts import DraftKey
from storage.models import (
    ROLE_ADMIN,
    ROLE_LIAISON,
    AuditLog,
    Binding,
    Department,
    Invite,
    Leave,
    User,
)

REQUEST = drafts.HANDOVER_REQUEST  # the draft of a liaison's pending handover request


def request_key(from_tg_id: int) -> DraftKey:
    """A liaison's pending request lives in their private chat with the bot."""
    return DraftKey(REQUEST, from_tg_id, from_tg_id)


# ---------------------------------------------------------------- shared readers


@dataclass(frozen=True)
class DepartmentChoice:
    """The result of matching a typed department name (rows of the caller's session)."""

    found: Department | None
    candidates: tuple[Department, ...] = ()  # more than one: let the user choose


async def find_department(session: AsyncSession, query: str) -> DepartmentChoice:
    """The active campaign's department `query` names (or its alias), else candidates."""
    campaign = await repo.active_campaign(session)
    if campaign is None:
        return DepartmentChoice(None)
    departments = list(await repo.departments(session, campaign.id))
    by_id = {d.id: d for d in departments}
    matches = match_names(query, [Named(d.id, d.name, tuple(d.aliases or ())) for d in departments])
    if len(matches) == 1:
        return DepartmentChoice(by_id[matches[0].id])
    return DepartmentChoice(None, tuple(by_id[m.id] for m in matches))


async def liaisons_of(session: AsyncSession, department_id: int) -> list[Recipient]:
    """The department's liaisons (deputies included), main liaisons first."""
    rows = await session.execute(
        select(User.tg_id, User.locale, User.display_name)
        .where(User.role == ROLE_LIAISON, User.department_id == department_id)
        .order_by(User.is_deputy, User.id)
    )
    return [Recipient(tg_id, locale, name or "") for tg_id, locale, name in rows]


async def on_leave(session: AsyncSession, tg_ids: list[int], day: dt.date) -> set[int]:
    """Which of these users are on leave on `day` (one query)."""
    if not tg_ids:
        return set()
    rows = await session.scalars(
        select(Leave.user_tg_id).where(
            Leave.user_tg_id.in_(tg_ids), Leave.start_date <= day, Leave.end_date >= day
        )
    )
    return set(rows.all())


def _ref(department: Department) -> DepartmentRef:
    return DepartmentRef(department.id, department.name)


def _users_with_departments() -> Select[tuple[User, str]]:
    return select(User, Department.name).outerjoin(Department, Department.id == User.department_id)


class SqlPeople:
    """Every people store of core/people/interfaces.py on `session`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Rows read by this object, by Telegram id (None: read, and there is none), so a
        # role change after a read needs no second read.
        self._rows: dict[int, User | None] = {}

    # ------------------------------------------------------------ users and roles

    def _info(self, user: User, department_name: str | None) -> UserInfo:
        self._rows[user.tg_id] = user
        return UserInfo(
            user.tg_id,
            user.display_name or "",
            user.role,
            user.department_id,
            department_name,
            bool(user.is_deputy),
            user.locale,
        )

    async def users(self, tg_ids: Collection[int]) -> dict[int, UserInfo]:
        wanted = set(tg_ids)
        if not wanted:
            return {}
        rows = await self.session.execute(_users_with_departments().where(User.tg_id.in_(wanted)))
        found = {user.tg_id: self._info(user, name) for user, name in rows}
        for tg_id in wanted - found.keys():
            self._rows[tg_id] = None
        return found

    async def named_users(self, *, with_role: bool) -> list[UserInfo]:
        query = _users_with_departments().order_by(User.id)
        if with_role:
            query = query.where(User.role.is_not(None))
        return [self._info(user, name) for user, name in await self.session.execute(query)]

    async def set_role(
        self,
        tg_id: int,
        *,
        role: str | None,
        department_id: int | None,
        is_deputy: bool,
        display_name: str = "",
    ) -> None:
        if tg_id in self._rows:
            user = self._rows[tg_id]
            if user is None:  # read a moment ago: there is none
                user = User(tg_id=tg_id, display_name=display_name[:200])
                self.session.add(user)
                self._rows[tg_id] = user
        else:
            user = await repo.get_or_create_user(self.session, tg_id, display_name)
            self._rows[tg_id] = user
        user.role = role
        user.department_id = department_id
        user.is_deputy = is_deputy
        if display_name:
            user.display_name = display_name[:200]

    async def admins(self, configured: frozenset[int]) -> list[Recipient]:
        rows = await self.session.execute(
            select(User.tg_id, User.locale, User.display_name).where(
                (User.role == ROLE_ADMIN) | User.tg_id.in_(list(configured))
            )
        )
        found = {tg_id: Recipient(tg_id, locale, name or "") for tg_id, locale, name in rows}
        for tg_id in configured:
            found.setdefault(tg_id, Recipient(tg_id, None, ""))
        return [found[tg_id] for tg_id in sorted(found)]

    # ------------------------------------------------------------ handover

    async def close_open_work(self, tg_id: int) -> int:
        return await drafts.drop_users(
            self.session, tg_id, names=[drafts.REPORT], prefixes=[drafts.ALBUM_PREFIX]
        )

    async def pending_request(self, from_tg_id: int) -> int | None:
        draft = await drafts.load(self.session, request_key(from_tg_id))
        if draft is None or "to" not in (draft.data or {}):
            return None
        return int(draft.data["to"])

    async def save_request(self, from_tg_id: int, to_tg_id: int, now: dt.datetime) -> None:
        await drafts.save(self.session, request_key(from_tg_id), 0, {"to": to_tg_id}, now)

    async def drop_request(self, from_tg_id: int) -> None:
        await drafts.drop_users(self.session, from_tg_id, names=[REQUEST])

    # ------------------------------------------------------------ leave

    async def leaves_from(self, tg_id: int, day: dt.date) -> list[LeavePeriod]:
        rows = await self.session.execute(
            select(Leave.start_date, Leave.end_date)
            .where(Leave.user_tg_id == tg_id, Leave.end_date >= day)
            .order_by(Leave.start_date)
        )
        return [LeavePeriod(start, end) for start, end in rows]

    def add_leave(self, tg_id: int, period: LeavePeriod, now: dt.datetime) -> None:
        self.session.add(
            Leave(user_tg_id=tg_id, start_date=period.start, end_date=period.end, created_at=now)
        )

    async def cancel_leaves_from(self, tg_id: int, day: dt.date) -> int:
        result = await self.session.execute(
            delete(Leave).where(Leave.user_tg_id == tg_id, Leave.end_date >= day)
        )
        return affected(result)

    # ------------------------------------------------------------ departments, invites

    async def department_match(self, query: str) -> DepartmentMatch:
        choice = await find_department(self.session, query)
        return DepartmentMatch(
            _ref(choice.found) if choice.found else None,
            tuple(_ref(d) for d in choice.candidates),
        )

    async def department(self, department_id: int) -> DepartmentRef | None:
        found = await repo.department_by_id(self.session, department_id)
        return _ref(found) if found else None

    async def active_departments(self) -> list[DepartmentRef]:
        campaign = await repo.active_campaign(self.session)
        if campaign is None:
            return []
        return [_ref(d) for d in await repo.departments(self.session, campaign.id)]

    def add_invite(self, invite: NewInvite) -> None:
        self.session.add(
            Invite(
                code=invite.code,
                role=invite.role,
                department_id=invite.department_id,
                created_by=invite.created_by,
                created_at=invite.created_at,
                expires_at=invite.expires_at,
                deputy=invite.deputy,
            )
        )

    async def failures_since(self, tg_id: int, since: dt.datetime) -> int:
        count = await self.session.scalar(
            select(func.count(AuditLog.id)).where(
                AuditLog.actor_tg_id == tg_id,
                AuditLog.action == "join_failed",
                AuditLog.at >= since,
            )
        )
        return int(count or 0)

    async def invite(self, code: str) -> InviteInfo | None:
        row = (
            await self.session.execute(
                select(
                    Invite.id,
                    Invite.role,
                    Invite.department_id,
                    Invite.deputy,
                    Invite.used_by,
                    Invite.expires_at,
                ).where(Invite.code == code)
            )
        ).first()
        if row is None:
            return None
        invite_id, role, department_id, deputy, used_by, expires_at = row
        return InviteInfo(
            invite_id, role, department_id, bool(deputy), used_by is not None, expires_at
        )

    async def claim(self, invite_id: int, tg_id: int, now: dt.datetime) -> bool:
        # A conditional UPDATE: it matches no row when someone claimed the code first.
        claimed = await self.session.execute(
            update(Invite)
            .where(Invite.id == invite_id, Invite.used_by.is_(None))
            .values(used_by=tg_id, used_at=now)
        )
        return affected(claimed) == 1

    async def department_size(self, department_id: int) -> tuple[str | None, int]:
        department = await repo.department_by_id(self.session, department_id)
        count = await self.session.scalar(
            select(func.count(Binding.id)).where(Binding.department_id == department_id)
        )
        return (department.name if department else None), int(count or 0)

    # ------------------------------------------------------------ writing

    def audit(
        self, *, at: dt.datetime, actor_tg_id: int | None, action: str, detail: dict[str, Any]
    ) -> None:
        repo.audit(self.session, at=at, actor_tg_id=actor_tg_id, action=action, detail=detail)

    async def flush(self) -> None:
        await self.session.flush()
