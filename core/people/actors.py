"""Who is acting: a plain snapshot of the user behind an update, with their role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.people.permissions import Role
from core.text.i18n import normalize_locale
from storage import repositories as repo
from storage.models import ROLE_ADMIN, User


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
    tg_id: int, user: User | None, *, admin_ids: frozenset[int], default_locale: str
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
    user = await repo.user_by_tg_id(session, tg_id)
    return actor_from_user(tg_id, user, admin_ids=admin_ids, default_locale=default_locale)


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
