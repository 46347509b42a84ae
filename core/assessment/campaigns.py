"""Saving a parsed assessment document as a campaign, and the rules of its structure.

Bindings follow the document's structure (`binds`): general items go to every
department, department items to their own department, the B-class item to each B-class
department. Importing a document whose structure was imported before creates nothing new.

`create_campaign` is the storage side of an import: a bulk write of one document in the
caller's session (the seed at start-up, the CLI, tests, and `SqlAssessment.save_campaign`,
through which the switch use case reaches it). The rules above it are plain functions.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment.importer import ParsedDocument, load_document
from core.assessment.interfaces import ImportOutcome
from core.supervision.milestones import as_stored, dated_steps
from core.supervision.pace import pace_target_of
from core.text.matching import Named, normalize
from storage.models import AuditLog, Binding, Campaign, Department, Item, Target

BUNDLED_DOCUMENT = (
    Path(__file__).resolve().parent / "importer" / "samples" / "assessment-2020-annex3.txt"
)


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
    """Save the document as a campaign (or find the one it already is), flushed, not committed."""
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

    known = await _known_departments(session, campaign.id)
    departments: dict[int, Department] = {}
    for parsed in doc.departments:
        name, aliases = _matched_name(parsed.name, known)
        department = Department(
            campaign_id=campaign.id,
            number=parsed.number,
            name=name,
            dept_class=parsed.dept_class,
            aliases=aliases,
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
            score=parsed_item.score,
            standard=parsed_item.standard,
            # Supervision (issue 22): every dated step of the text, and pacing.
            milestones=as_stored(dated_steps(parsed_item.text, doc.year)),
            pace_target=pace_target_of(parsed_item.targets),
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
    # A table's further lead units and 配合单位 answer for the item too (role kept).
    for item, parsed_item in zip(items, doc.items, strict=True):
        for unit in parsed_item.units:
            other = departments.get(unit.department_number)
            if other is not None and not _binds(item, other):
                session.add(
                    Binding(
                        campaign_id=campaign.id,
                        department_id=other.id,
                        item_id=item.id,
                        role=unit.role,
                    )
                )
                bindings += 1
    session.add(
        AuditLog(
            actor_tg_id=actor_tg_id,
            action="import",
            detail={"campaign_id": campaign.id, "source": source_name, "year": doc.year},
        )
    )
    await session.flush()
    return ImportOutcome(campaign.id, True, len(departments), len(items), bindings)


async def _known_departments(session: AsyncSession, campaign_id: int) -> list[Named]:
    """Departments of earlier campaigns, newest first: a new document's 发改局 is last
    year's 区发展改革局, so its liaisons follow it (core.assessment.switch)."""
    rows = await session.execute(
        select(Department.id, Department.name, Department.aliases)
        .where(Department.campaign_id != campaign_id)
        .order_by(Department.campaign_id.desc())
    )
    known: list[Named] = []
    seen: set[str] = set()
    for department_id, name, aliases in rows:
        if normalize(name) not in seen:
            seen.add(normalize(name))
            known.append(Named(department_id, name, tuple(aliases or ())))
    return known


def _matched_name(name: str, known: list[Named]) -> tuple[str, list[str]]:
    """The existing department's name and aliases if `name` is its name or one of its
    aliases (the newest campaign's first); else `name` and its default aliases. Exact
    only: a looser match could hand 区水利局's liaisons to 区水利局服务中心."""
    wanted = normalize(name)
    found = [
        named
        for named in known
        if wanted in {normalize(named.name), *(normalize(alias) for alias in named.aliases)}
    ]
    if found:
        match = found[0]
        aliases = [*match.aliases]
        if normalize(name) != normalize(match.name) and name not in aliases:
            aliases.append(name)
        return match.name, aliases or default_aliases(match.name)
    return name, default_aliases(name)


def binds(kind: str, owner_id: int | None, department_id: int, dept_class: str) -> bool:
    """Whether an item of `kind` (a department item: owned by `owner_id`) is bound to a
    department of `dept_class`: general items to all, the B-class item to B-class ones."""
    if kind == "general":
        return True
    if kind == "b_class":
        return dept_class == "B"
    return owner_id == department_id


def _binds(item: Item, department: Department) -> bool:
    return binds(item.kind, item.department_id, department.id, department.dept_class)


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
