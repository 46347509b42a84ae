"""Who is acting: a plain snapshot of the user behind an update, with their role.

`load_actor` runs for every update, so the user's row (role, department, locale) is
cached per database engine for `ACTOR_CACHE_SECONDS` (issue 13: one query fewer per
update). Within this process the cache is exact: any flush or commit that touches a
`User` row (an ORM change or an ORM `update(User)` / `delete(User)`) drops the entries
it may have changed, so /lang, /join, /revoke and handovers are seen at once. A change
made by *another* bot process (several workers on one PostgreSQL) is seen here after
at most ACTOR_CACHE_SECONDS: a revoked liaison keeps their view that long, no longer.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from core.people.permissions import Role
from core.text.i18n import normalize_locale
from storage import repositories as repo
from storage.db import DubanSession
from storage.models import ROLE_ADMIN, User

ACTOR_CACHE_SECONDS = 3.0


class UserFields(Protocol):
    """What an actor is made of: a `User` row, or its cached snapshot."""

    @property
    def id(self) -> int: ...
    @property
    def role(self) -> str | None: ...
    @property
    def department_id(self) -> int | None: ...
    @property
    def locale(self) -> str | None: ...


@dataclass(frozen=True)
class UserSnapshot:
    id: int
    role: str | None
    department_id: int | None
    locale: str | None


# engine -> tg_id -> (monotonic time read, the row or None for "no such user")
_CACHE: weakref.WeakKeyDictionary[Engine, dict[int, tuple[float, UserSnapshot | None]]] = (
    weakref.WeakKeyDictionary()
)
_TOUCHED_KEY, _ALL_KEY = "duban_users_touched", "duban_users_all"


def forget_users(tg_ids: set[int] | None = None) -> None:
    """Drop cached users (all of them with None), in every engine's cache."""
    for entries in list(_CACHE.values()):
        if tg_ids is None:
            entries.clear()
        else:
            for tg_id in tg_ids:
                entries.pop(tg_id, None)


@event.listens_for(DubanSession, "after_flush")
def _users_flushed(session: Session, _flush: UOWTransaction) -> None:
    touched: set[int] = session.info.setdefault(_TOUCHED_KEY, set())
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, User):
            touched.add(instance.tg_id)
    if touched:
        forget_users(touched)


@event.listens_for(DubanSession, "after_commit")
@event.listens_for(DubanSession, "after_soft_rollback")
def _users_committed(session: Session, *_args: Any) -> None:
    # Again at the end: a read between the flush and the commit may have cached the
    # row as it was before.
    touched = session.info.pop(_TOUCHED_KEY, None)
    if session.info.pop(_ALL_KEY, False):
        forget_users()
    elif touched:
        forget_users(touched)


@event.listens_for(DubanSession, "do_orm_execute")
def _bulk_user_change(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is User for mapper in state.all_mappers
    ):
        forget_users()
        state.session.info[_ALL_KEY] = True  # and again at the commit


@dataclass(frozen=True)
class Actor:
    tg_id: int
    user_id: int | None
    role: Role
    department_id: int | None
    locale: str

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.LEADER)


def actor_from_user(
    tg_id: int, user: UserFields | None, *, admin_ids: frozenset[int], default_locale: str
) -> Actor:
    locale = normalize_locale(user.locale if user else None, default_locale)
    if tg_id in admin_ids:
        role = Role.ADMIN
    elif user is None or user.role is None:
        role = Role.STRANGER
    else:
        role = Role(user.role)
    department_id = user.department_id if user and role is Role.LIAISON else None
    if role is Role.LIAISON and department_id is None:
        # A liaison whose department was removed knows nothing more than a stranger.
        role = Role.STRANGER
    return Actor(tg_id, user.id if user else None, role, department_id, locale)


async def load_actor(
    session: AsyncSession, tg_id: int, *, admin_ids: frozenset[int], default_locale: str
) -> Actor:
    user = await cached_user(session, tg_id)
    return actor_from_user(tg_id, user, admin_ids=admin_ids, default_locale=default_locale)


async def cached_user(session: AsyncSession, tg_id: int) -> UserSnapshot | None:
    """The user's row as last read within ACTOR_CACHE_SECONDS, else read now."""
    bind = session.bind
    engine = bind.sync_engine if bind is not None else None
    entries = _CACHE.setdefault(engine, {}) if isinstance(engine, Engine) else None
    now = time.monotonic()
    if entries is not None:
        hit = entries.get(tg_id)
        if hit is not None and now - hit[0] < ACTOR_CACHE_SECONDS:
            return hit[1]
    row = (
        await session.execute(
            select(User.id, User.role, User.department_id, User.locale).where(User.tg_id == tg_id)
        )
    ).first()
    snapshot = UserSnapshot(*row) if row is not None else None
    if entries is not None:
        entries[tg_id] = (now, snapshot)
    return snapshot


async def ensure_admins(session: AsyncSession, admin_ids: frozenset[int]) -> None:
    """Give the configured bootstrap admins a user row with the admin role."""
    for tg_id in sorted(admin_ids):
        user = await repo.get_or_create_user(session, tg_id)
        user.role = ROLE_ADMIN
        user.department_id = None
    await session.flush()


async def set_locale(session: AsyncSession, tg_id: int, locale: str, display_name: str) -> None:
    user = await repo.get_or_create_user(session, tg_id, display_name)
    user.locale = locale
    await session.flush()
