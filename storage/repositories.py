"""Queries the use cases share. Repositories read and stage changes; they never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog, Binding, Campaign, Department, Setting, User


async def active_campaign(session: AsyncSession) -> Campaign | None:
    campaign: Campaign | None = await session.scalar(
        select(Campaign).where(Campaign.active.is_(True)).order_by(Campaign.id.desc()).limit(1)
    )
    return campaign


async def campaign_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Campaign.id))) or 0)


async def user_by_tg_id(session: AsyncSession, tg_id: int) -> User | None:
    user: User | None = await session.scalar(select(User).where(User.tg_id == tg_id))
    return user


async def get_or_create_user(session: AsyncSession, tg_id: int, display_name: str = "") -> User:
    user = await user_by_tg_id(session, tg_id)
    if user is None:
        user = User(tg_id=tg_id, display_name=display_name[:200])
        session.add(user)
        await session.flush()
    return user


async def department_by_id(session: AsyncSession, department_id: int) -> Department | None:
    return await session.get(Department, department_id)


async def campaign_by_id(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def departments(session: AsyncSession, campaign_id: int) -> Sequence[Department]:
    result = await session.scalars(
        select(Department)
        .where(Department.campaign_id == campaign_id)
        .order_by(Department.dept_class, Department.number, Department.id)
    )
    return result.all()


async def mark_red_reported(
    session: AsyncSession, binding_ids: Sequence[int], at: dt.datetime
) -> None:
    """Note that the digest has named these bindings as newly red (each is named once)."""
    await session.execute(
        update(Binding)
        .where(Binding.id.in_(binding_ids), Binding.red_reported_at.is_(None))
        .values(red_reported_at=at)
    )


def audit(
    session: AsyncSession,
    *,
    at: dt.datetime,
    actor_tg_id: int | None,
    action: str,
    detail: dict[str, Any],
) -> None:
    """Stage one audit-log entry (committed with the use case that did the thing)."""
    session.add(AuditLog(at=at, actor_tg_id=actor_tg_id, action=action, detail=detail))


async def get_setting(session: AsyncSession, key: str) -> str | None:
    row = await session.get(Setting, key)
    return row.value if row else None


async def put_setting(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
