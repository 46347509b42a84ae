"""`ReminderReader` (core/oversight/interfaces.py) over a session: the reminder round's
reads, each one query whatever the number of bindings or people. Reads only: the claims
that keep a reminder from going out twice are `core.scheduling`'s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select

from core.oversight.interfaces import BindingFacts, Leader, Liaison, ToldKey
from core.people.sql import on_leave
from core.status.day import FACT_COLUMNS, facts_of
from core.status.interfaces import CampaignRef
from core.status.sql import SqlDay
from storage.models import ROLE_LEADER, ROLE_LIAISON, Binding, Department, Item, ReminderSent, User


class SqlReminders(SqlDay):
    async def campaign_bindings(self, campaign: CampaignRef) -> list[BindingFacts]:
        rows = await self.session.execute(
            select(Binding.id, Binding.department_id, Item.code, Item.title, *FACT_COLUMNS)
            .join(Item, Item.id == Binding.item_id)
            .where(Binding.campaign_id == campaign.id)
        )
        year, starts_on = campaign.year, campaign.starts_on
        return [
            BindingFacts(binding_id, department_id, code, title, facts_of(facts, year, starts_on))
            for binding_id, department_id, code, title, *facts in rows
        ]

    async def liaisons(self, department_ids: Sequence[int]) -> list[Liaison]:
        rows = await self.session.execute(
            select(User.tg_id, User.department_id, Department.name, User.is_deputy, User.locale)
            .join(Department, Department.id == User.department_id)
            .where(User.role == ROLE_LIAISON, User.department_id.in_(list(department_ids)))
            .order_by(User.id)
        )
        return [Liaison(*row) for row in rows]

    async def leaders(self) -> list[Leader]:
        rows = await self.session.execute(
            select(User.tg_id, User.locale).where(User.role == ROLE_LEADER).order_by(User.id)
        )
        return [Leader(*row) for row in rows]

    async def on_leave(self, tg_ids: Sequence[int], day: dt.date) -> set[int]:
        return await on_leave(self.session, list(tg_ids), day)

    async def told(self, tg_ids: Sequence[int], kinds: Sequence[str]) -> set[ToldKey]:
        if not tg_ids:
            return set()
        rows = await self.session.execute(
            select(
                ReminderSent.user_tg_id,
                ReminderSent.kind,
                ReminderSent.subject,
                ReminderSent.period,
            ).where(ReminderSent.user_tg_id.in_(list(tg_ids)), ReminderSent.kind.in_(list(kinds)))
        )
        return {(user, kind, subject, period) for user, kind, subject, period in rows}

    async def reminded_before(
        self, tg_ids: Sequence[int], kind: str, before: dt.datetime
    ) -> set[tuple[int, str]]:
        if not tg_ids:
            return set()
        rows = await self.session.execute(
            select(ReminderSent.user_tg_id, ReminderSent.subject).where(
                ReminderSent.user_tg_id.in_(list(tg_ids)),
                ReminderSent.kind == kind,
                ReminderSent.sent_at <= before,
            )
        )
        return {(user, subject) for user, subject in rows}
