"""Switching to a new campaign: import it as the active one and bring its people along.

A liaison belongs to a department row, and department rows belong to one campaign. When
a new year's document becomes the active campaign, liaisons (and invites not used yet)
still point at last year's department rows; `follow_active_campaign` moves each to the
new campaign's department of the same name. A department the new document does not name
(B-class departments are never in it: admins add them) keeps its people where they were
until an admin adds it with /adddept, which moves them then. The old campaign's rows are
never changed: it stays readable and exportable as it was.

`import_as_active` saves the document (`core.assessment.campaigns.save_document`) and
moves the people in the same unit of work (the caller's one commit), so there is no
moment where the new campaign is active and its liaisons still see last year's items.
Both use cases take the store explicitly (core/assessment/interfaces.py);
`core.assessment.sql.SqlAssessment` is the one over the update's session.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from core.assessment.campaigns import save_document
from core.assessment.importer import ParsedDocument
from core.assessment.interfaces import (
    CampaignRef,
    FollowStore,
    ImportOutcome,
    SwitchStore,
)
from core.text.matching import normalize


@dataclass(frozen=True)
class Moved:
    """Liaisons moved to the active campaign's departments, and those left behind."""

    moved: int = 0
    unmoved: int = 0
    unmoved_departments: tuple[str, ...] = ()  # names the active campaign has no department of
    invites_moved: int = 0


async def follow_active_campaign(
    store: FollowStore, campaign_id: int, *, actor_tg_id: int | None, now: dt.datetime
) -> Moved:
    """Move liaisons and unused invites of other campaigns' departments to `campaign_id`'s
    department of the same name; staged, never committed. Three reads and one UPDATE
    per receiving department, whatever the number of people."""
    targets = {normalize(d.name): d.id for d in await store.departments(campaign_id)}
    liaisons, invites = await store.placed_elsewhere(campaign_id)

    users_to: dict[int, list[int]] = defaultdict(list)
    left_behind: set[str] = set()
    for liaison in liaisons:
        target = targets.get(normalize(liaison.department))
        if target is None:
            left_behind.add(liaison.department)
        else:
            users_to[target].append(liaison.id)
    invites_to: dict[int, list[int]] = defaultdict(list)
    for invite in invites:
        target = targets.get(normalize(invite.department))
        if target is not None:
            invites_to[target].append(invite.id)

    for target in sorted(users_to.keys() | invites_to.keys()):
        await store.move(
            liaisons=users_to.get(target, []),
            invites=invites_to.get(target, []),
            department_id=target,
        )
    moved_count = sum(len(ids) for ids in users_to.values())
    moved = Moved(
        moved=moved_count,
        unmoved=len(liaisons) - moved_count,
        unmoved_departments=tuple(sorted(left_behind)),
        invites_moved=sum(len(ids) for ids in invites_to.values()),
    )
    if moved.moved or moved.unmoved or moved.invites_moved:
        store.log(
            "liaisons_moved",
            {
                "campaign_id": campaign_id,
                "moved": moved.moved,
                "unmoved": moved.unmoved,
                "unmoved_departments": list(moved.unmoved_departments),
                "invites_moved": moved.invites_moved,
            },
            actor_tg_id=actor_tg_id,
            now=now,
        )
    return moved


@dataclass(frozen=True)
class Switched:
    outcome: ImportOutcome
    previous: CampaignRef | None  # the campaign that was active before (None: the first one)
    moved: Moved = field(default_factory=Moved)

    @property
    def created(self) -> bool:
        return self.outcome.created


async def already_imported(store: SwitchStore, doc: ParsedDocument) -> CampaignRef | None:
    """The campaign this document was imported as before, if it was."""
    return await store.campaign_by_fingerprint(doc.fingerprint())


async def import_as_active(
    store: SwitchStore,
    doc: ParsedDocument,
    *,
    source_name: str,
    actor_tg_id: int | None,
    now: dt.datetime,
) -> Switched:
    """Create the campaign, make it active and move the liaisons; staged, not committed.

    Whatever else the caller staged in the same unit (e.g. dropping the pending upload)
    is committed with it. A document imported before creates nothing and moves no one.
    """
    previous = await store.active_campaign()
    outcome = await save_document(
        store, doc, source_name=source_name, actor_tg_id=actor_tg_id, now=now, activate=True
    )
    if not outcome.created:
        return Switched(outcome, previous)
    # Moving the people is an explicit second step of the same unit of work: the caller
    # commits both together, so the new campaign is never active without its liaisons.
    moved = await follow_active_campaign(
        store, outcome.campaign_id, actor_tg_id=actor_tg_id, now=now
    )
    return Switched(outcome, previous, moved)
