"""Creating a campaign from a parsed assessment document, and finding the active one.

Bindings follow the document's structure: general items go to every department,
department items to their own department, the B-class item to each B-class department.
Importing a document whose structure was imported before creates nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment.importer import ParsedDocument, load_document
from storage.models import AuditLog, Binding, Campaign, Department, Item, Target

BUNDLED_DOCUMENT = (
    Path(__file__).resolve().parent / "importer" / "samples" / "assessment-2020-annex3.txt"
)


@dataclass(frozen=True)
class ImportOutcome:
    campaign_id: int
    created: bool
    departments: int
    items: int
    bindings: int


def default_aliases(name: str) -> list[str]:
    """Short names people type: 区发展改革局 -> 发展改革局. Matching also accepts
    any unique substring or in-order abbreviation (发改), so only the obvious is stored."""
    aliases: list[str] = []
    for prefix in ("区", "市"):
        if name.startswith(prefix) and len(name) > 3:
            aliases.append(name[len(prefix) :])
    return aliases


async def create_campaign(
    session: AsyncSession,
    doc: ParsedDocument,
    *,
    source_name: str,
    actor_tg_id: int | None = None,
    activate: bool = True,
) -> ImportOutcome:
    """Save the document as a campaign (or find the one it already is) and commit."""
    fingerprint = doc.fingerprint()
    existing = await session.scalar(select(Campaign).where(Campaign.fingerprint == fingerprint))
    if existing is not None:
        counts = await _counts(session, existing.id)
        return ImportOutcome(existing.id, False, *counts)

    if activate:
        await session.execute(update(Campaign).values(active=False))
    campaign = Campaign(
        year=doc.year,
        title=doc.title or source_name,
        source_name=source_name[:300],
        fingerprint=fingerprint,
        active=activate,
    )
    session.add(campaign)
    await session.flush()

    departments: dict[int, Department] = {}
    for parsed in doc.departments:
        department = Department(
            campaign_id=campaign.id,
            number=parsed.number,
            name=parsed.name,
            dept_class=parsed.dept_class,
            aliases=default_aliases(parsed.name),
        )
        session.add(department)
        departments[parsed.number] = department
    await session.flush()

    items: list[Item] = []
    for position, parsed_item in enumerate(doc.items):
        owner = departments.get(parsed_item.department_number or -1)
        item = Item(
            campaign_id=campaign.id,
            code=parsed_item.code,
            kind=parsed_item.kind,
            department_id=owner.id if owner and parsed_item.kind == "department" else None,
            position=position,
            title=parsed_item.title[:120],
            text=parsed_item.text,
            deadline=parsed_item.deadline,
            targets=[
                Target(position=i, metric=t.metric[:120], op=t.op, value=t.value, unit=t.unit)
                for i, t in enumerate(parsed_item.targets)
            ],
        )
        session.add(item)
        items.append(item)
    await session.flush()

    bindings = 0
    for department in departments.values():
        for item in items:
            if _binds(item, department):
                session.add(
                    Binding(campaign_id=campaign.id, department_id=department.id, item_id=item.id)
                )
                bindings += 1
    session.add(
        AuditLog(
            actor_tg_id=actor_tg_id,
            action="import",
            detail={"campaign_id": campaign.id, "source": source_name, "year": doc.year},
        )
    )
    await session.commit()
    return ImportOutcome(campaign.id, True, len(departments), len(items), bindings)


def _binds(item: Item, department: Department) -> bool:
    if item.kind == "general":
        return True
    if item.kind == "b_class":
        return department.dept_class == "B"
    return item.department_id == department.id


async def bind_new_department(session: AsyncSession, department: Department) -> int:
    """Bind a department added after import to the items its class answers for."""
    items = (
        await session.scalars(select(Item).where(Item.campaign_id == department.campaign_id))
    ).all()
    count = 0
    for item in items:
        if _binds(item, department):
            session.add(
                Binding(
                    campaign_id=department.campaign_id, department_id=department.id, item_id=item.id
                )
            )
            count += 1
    return count


async def _counts(session: AsyncSession, campaign_id: int) -> tuple[int, int, int]:
    from sqlalchemy import func

    departments = await session.scalar(
        select(func.count(Department.id)).where(Department.campaign_id == campaign_id)
    )
    items = await session.scalar(select(func.count(Item.id)).where(Item.campaign_id == campaign_id))
    bindings = await session.scalar(
        select(func.count(Binding.id)).where(Binding.campaign_id == campaign_id)
    )
    return int(departments or 0), int(items or 0), int(bindings or 0)


def load_file(path: Path, *, year: int | None = None) -> ParsedDocument:
    return load_document(path.read_bytes(), path.name, year=year)
