"""Switching to a new campaign: import it as the active one and bring its people along.

A liaison belongs to a department row, and department rows belong to one campaign. When
a new year's document becomes the active campaign, liaisons (and invites not used yet)
still point at last year's department rows; `follow_active_campaign` moves each to the
new campaign's department of the same name. A department the new document does not name
(B-class departments are never in it: admins add them) keeps its people where they were
until an admin adds it with /adddept, which moves them then. The old campaign's rows are
never changed: it stays readable and exportable as it was.

`import_as_active` saves the document with `core.assessment.campaigns.create_campaign` and moves
the people in the same unit of work (the caller's one commit), so there is no moment where
the new campaign is active and its liaisons still see last year's items.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.assessment.campaigns import ImportOutcome, create_campaign
from core.assessment.importer import ParsedDocument
from core.text.matching import normalize
from storage import repositories as repo
from storage.models import ROLE_LIAISON, AuditLog, Campaign, Department, Invite, User


@dataclass(frozen=True)
class Moved:
    """Liaisons moved to the active campaign's departments, and those left behind."""

    moved: int = 0
    unmoved: int = 0
    unmoved_departments: tuple[str, ...] = ()  # names the active campaign has no department of
    invites_moved: int = 0


def follow_active_campaign(session: Session, campaign_id: int, actor_tg_id: int | None) -> Moved:
    """Move liaisons and unused invites of other campaigns' departments to `campaign_id`'s
    department of the same name. Synchronous (called through `AsyncSession.run_sync`,
    where the sync session API is usable under asyncio); stages the changes, never
    commits. Three queries and one UPDATE per receiving department."""
    targets = {
        normalize(name): department_id
        for department_id, name in session.execute(
            select(Department.id, Department.name).where(Department.campaign_id == campaign_id)
        )
    }
    liaisons = session.execute(
        select(User.id, Department.name)
        .join(Department, Department.id == User.department_id)
        .where(User.role == ROLE_LIAISON, Department.campaign_id != campaign_id)
    ).all()
    invites = session.execute(
        select(Invite.id, Department.name)
        .join(Department, Department.id == Invite.department_id)
        .where(Invite.used_by.is_(None), Department.campaign_id != campaign_id)
    ).all()

    users_to: dict[int, list[int]] = defaultdict(list)
    left_behind: set[str] = set()
    for user_id, name in liaisons:
        target = targets.get(normalize(name))
        if target is None:
            left_behind.add(name)
        else:
            users_to[target].append(user_id)
    invites_to: dict[int, list[int]] = defaultdict(list)
    for invite_id, name in invites:
        target = targets.get(normalize(name))
        if target is not None:
            invites_to[target].append(invite_id)

    for target, ids in users_to.items():
        session.execute(update(User).where(User.id.in_(ids)).values(department_id=target))
    for target, ids in invites_to.items():
        session.execute(update(Invite).where(Invite.id.in_(ids)).values(department_id=target))
    moved = Moved(
        moved=sum(len(ids) for ids in users_to.values()),
        unmoved=len(liaisons) - sum(len(ids) for ids in users_to.values()),
        unmoved_departments=tuple(sorted(left_behind)),
        invites_moved=sum(len(ids) for ids in invites_to.values()),
    )
    if moved.moved or moved.unmoved or moved.invites_moved:
        session.add(
            AuditLog(
                actor_tg_id=actor_tg_id,
                action="liaisons_moved",
                detail={
                    "campaign_id": campaign_id,
                    "moved": moved.moved,
                    "unmoved": moved.unmoved,
                    "unmoved_departments": list(moved.unmoved_departments),
                    "invites_moved": moved.invites_moved,
                },
            )
        )
    return moved


@dataclass(frozen=True)
class Switched:
    outcome: ImportOutcome
    previous: Campaign | None  # the campaign that was active before (None: the first one)
    moved: Moved = field(default_factory=Moved)

    @property
    def created(self) -> bool:
        return self.outcome.created


async def already_imported(session: AsyncSession, doc: ParsedDocument) -> Campaign | None:
    """The campaign this document was imported as before, if it was."""
    found: Campaign | None = await session.scalar(
        select(Campaign).where(Campaign.fingerprint == doc.fingerprint())
    )
    return found


async def import_as_active(
    session: AsyncSession, doc: ParsedDocument, *, source_name: str, actor_tg_id: int | None
) -> Switched:
    """Create the campaign, make it active and move the liaisons; staged, not committed.

    Whatever else the caller staged in `session` (e.g. dropping the pending upload) is
    committed with it by the caller. A document imported before creates nothing.
    """
    previous = await repo.active_campaign(session)
    existing = await already_imported(session, doc)
    if existing is not None:
        outcome = await create_campaign(session, doc, source_name=source_name, activate=True)
        return Switched(outcome, previous)

    outcome = await create_campaign(
        session, doc, source_name=source_name, actor_tg_id=actor_tg_id, activate=True
    )
    # Moving the people is an explicit second step of the same unit of work: the caller
    # commits both together, so the new campaign is never active without its liaisons.
    moved = await session.run_sync(follow_active_campaign, outcome.campaign_id, actor_tg_id)
    return Switched(outcome, previous, moved)
