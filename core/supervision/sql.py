"""The supervision readers and writers (core/supervision/interfaces.py) over the database.

`SqlSupervision` stages into the session it is given, the update's unit of work, which
alone commits; its readers select plain columns, so a write is a statement of its own
(an UPDATE) rather than a change to a loaded row. The module-level functions are the
shared readers of the extension history that other screens call with their own session.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.status.day import binding_facts
from core.supervision.interfaces import (
    BindingToExtend,
    CampaignRef,
    ExtensionEntry,
    ExtensionToDecide,
    ItemInfo,
    NewExtension,
    RectifiedBinding,
    TargetInfo,
)
from storage import repositories as repo
from storage.db import affected
from storage.models import (
    EXTENSION_PENDING,
    Binding,
    Campaign,
    Department,
    Extension,
    Item,
    Target,
    User,
)

# ---------------------------------------------------------------- shared readers


def _with_decider() -> Select[tuple[Extension, str]]:
    return select(Extension, User.display_name).outerjoin(User, User.tg_id == Extension.decided_by)


def _entry(extension: Extension, decider: str | None) -> ExtensionEntry:
    return ExtensionEntry(
        extension.binding_id,
        extension.original_due,
        extension.requested_due,
        extension.reason,
        extension.state,
        extension.requested_at,
        decider or (str(extension.decided_by) if extension.decided_by else ""),
        extension.decided_at,
        extension.comment,
    )


async def _grouped(
    session: AsyncSession, query: Select[tuple[Extension, str]]
) -> dict[int, list[ExtensionEntry]]:
    found: dict[int, list[ExtensionEntry]] = defaultdict(list)
    for extension, name in await session.execute(
        query.order_by(Extension.requested_at, Extension.id)
    ):
        found[extension.binding_id].append(_entry(extension, name))
    return dict(found)


async def extension_history(
    session: AsyncSession, binding_ids: Iterable[int]
) -> dict[int, list[ExtensionEntry]]:
    """Every request of these bindings, oldest first, with who decided (one query)."""
    ids = list(set(binding_ids))
    if not ids:
        return {}
    return await _grouped(session, _with_decider().where(Extension.binding_id.in_(ids)))


async def campaign_extensions(
    session: AsyncSession, campaign_id: int
) -> dict[int, list[ExtensionEntry]]:
    """Every request of a campaign's bindings, by binding, oldest first (one query)."""
    return await _grouped(
        session,
        _with_decider()
        .join(Binding, Binding.id == Extension.binding_id)
        .where(Binding.campaign_id == campaign_id),
    )


class SqlSupervision:
    """Every supervision store of core/supervision/interfaces.py on `session`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active_campaign(self) -> CampaignRef | None:
        campaign = await repo.active_campaign(self.session)
        return CampaignRef(campaign.id, campaign.year) if campaign else None

    # ------------------------------------------------------------ extensions

    async def binding_to_extend(
        self, campaign: CampaignRef, department_id: int, code: str
    ) -> BindingToExtend | None:
        row = (
            await self.session.execute(
                select(Binding, Item, Department.name, Campaign)
                .join(Item, Item.id == Binding.item_id)
                .join(Department, Department.id == Binding.department_id)
                .join(Campaign, Campaign.id == Binding.campaign_id)
                .where(
                    Binding.campaign_id == campaign.id,
                    Binding.department_id == department_id,
                    Item.code == code,
                )
            )
        ).first()
        if row is None:
            return None
        binding, item, department_name, in_campaign = row
        return BindingToExtend(
            binding.id,
            department_name,
            item.code,
            item.title,
            binding.role,
            binding_facts(binding, item, in_campaign),
        )

    async def extension_states(self, binding_id: int) -> list[str]:
        return list(
            await self.session.scalars(
                select(Extension.state).where(Extension.binding_id == binding_id)
            )
        )

    async def add_extension(self, extension: NewExtension) -> int:
        row = Extension(
            binding_id=extension.binding_id,
            original_due=extension.original_due,
            requested_due=extension.requested_due,
            reason=extension.reason,
            requested_by=extension.requested_by,
            requested_at=extension.requested_at,
            state=EXTENSION_PENDING,
            comment="",
        )
        self.session.add(row)
        await self.session.flush()  # the id, for the audit and the office's buttons
        return row.id

    async def extension_to_decide(self, extension_id: int) -> ExtensionToDecide | None:
        row = (
            await self.session.execute(
                select(
                    Extension.id,
                    Extension.binding_id,
                    Extension.state,
                    Extension.original_due,
                    Extension.requested_due,
                    Extension.requested_by,
                    Item.code,
                    Department.name,
                    Campaign.year,
                )
                .join(Binding, Binding.id == Extension.binding_id)
                .join(Item, Item.id == Binding.item_id)
                .join(Department, Department.id == Binding.department_id)
                .join(Campaign, Campaign.id == Binding.campaign_id)
                .where(Extension.id == extension_id)
            )
        ).first()
        return ExtensionToDecide(*row) if row is not None else None

    async def decide(
        self, extension_id: int, *, state: str, by: int, at: dt.datetime, comment: str
    ) -> bool:
        claimed = await self.session.execute(
            update(Extension)
            .where(Extension.id == extension_id, Extension.state == EXTENSION_PENDING)
            .values(state=state, decided_by=by, decided_at=at, comment=comment)
            .execution_options(synchronize_session=False)
        )
        return affected(claimed) == 1

    async def move_due(self, binding_id: int, due: dt.date) -> None:
        await self.session.execute(
            update(Binding)
            .where(Binding.id == binding_id)
            # Past the new date it is named red again (core.digest names each once).
            .values(extended_due=due, red_reported_at=None)
        )

    # ------------------------------------------------------------ items: milestones, pace

    async def item(self, campaign_id: int, code: str) -> ItemInfo | None:
        row = (
            await self.session.execute(
                select(
                    Item.id,
                    Item.code,
                    Item.title,
                    Item.deadline,
                    Item.milestones,
                    Item.pace_target,
                ).where(Item.campaign_id == campaign_id, Item.code == code)
            )
        ).first()
        if row is None:
            return None
        item_id, found_code, title, deadline, milestones, pace_target = row
        return ItemInfo(
            item_id,
            found_code,
            title,
            deadline,
            tuple(str(step) for step in milestones or ()),
            pace_target,
        )

    async def set_milestones(self, item_id: int, steps: list[str]) -> None:
        await self.session.execute(update(Item).where(Item.id == item_id).values(milestones=steps))

    async def targets(self, item_id: int) -> list[TargetInfo]:
        rows = await self.session.execute(
            select(Target.op, Target.unit, Target.value)
            .where(Target.item_id == item_id)
            .order_by(Target.position)
        )
        return [TargetInfo(op, unit or "", value) for op, unit, value in rows]

    async def set_pace_target(self, item_id: int, target: Decimal | None) -> None:
        await self.session.execute(
            update(Item).where(Item.id == item_id).values(pace_target=target)
        )

    # ------------------------------------------------------------ rectification

    async def department_binding(
        self, campaign_id: int, department_id: int, code: str
    ) -> RectifiedBinding | None:
        row = (
            await self.session.execute(
                select(Binding.id, Binding.rectification_due)
                .join(Item, Item.id == Binding.item_id)
                .where(
                    Binding.campaign_id == campaign_id,
                    Binding.department_id == department_id,
                    Item.code == code,
                )
            )
        ).first()
        return RectifiedBinding(row[0], row[1]) if row is not None else None

    async def set_measures(self, binding_id: int, text: str) -> None:
        await self.session.execute(
            update(Binding).where(Binding.id == binding_id).values(rectification_measures=text)
        )

    # ------------------------------------------------------------ writing

    def audit(
        self, *, at: dt.datetime, actor_tg_id: int | None, action: str, detail: dict[str, Any]
    ) -> None:
        repo.audit(self.session, at=at, actor_tg_id=actor_tg_id, action=action, detail=detail)

    async def flush(self) -> None:
        await self.session.flush()
