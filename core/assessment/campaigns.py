"""Saving a parsed assessment document as a campaign, and the rules of its structure.

Bindings follow the document's structure (`binds`): general items go to every
department, department items to their own department, the B-class item to each B-class
department, and a table's further lead units and 配合单位 to the item too (role kept).
Importing a document whose structure was imported before creates nothing new.

`save_document` is the use case, on a `CampaignWriter` (core/assessment/interfaces.py);
`create_campaign` runs it over a bare session for the callers that hold one and no unit
of work of an update (the seed at start-up, the CLI, benchmarks and tests).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from core.assessment.importer import ParsedDocument, load_document
from core.assessment.interfaces import (
    CampaignWriter,
    DepartmentRef,
    ImportOutcome,
    NewBinding,
    NewDepartment,
    NewItem,
)
from core.assessment.sql import SqlAssessment
from core.supervision.milestones import as_stored, dated_steps
from core.supervision.pace import pace_target_of
from core.text.matching import normalize

BUNDLED_DOCUMENT = (
    Path(__file__).resolve().parent / "importer" / "samples" / "assessment-2020-annex3.txt"
)
MAX_TITLE = 120


def default_aliases(name: str) -> list[str]:
    """Short names people type: 区发展改革局 -> 发展改革局. Matching also accepts
    any unique substring or in-order abbreviation (发改), so only the obvious is stored."""
    aliases: list[str] = []
    for prefix in ("区", "市"):
        if name.startswith(prefix) and len(name) > 3:
            aliases.append(name[len(prefix) :])
    return aliases


def binds(kind: str, owner_id: int | None, department_id: int, dept_class: str) -> bool:
    """Whether an item of `kind` (a department item: owned by `owner_id`) is bound to a
    department of `dept_class`: general items to all, the B-class item to B-class ones."""
    if kind == "general":
        return True
    if kind == "b_class":
        return dept_class == "B"
    return owner_id == department_id


async def save_document(
    writer: CampaignWriter,
    doc: ParsedDocument,
    *,
    source_name: str,
    actor_tg_id: int | None,
    now: dt.datetime,
    activate: bool = True,
) -> ImportOutcome:
    """Save the document as a campaign (or find the one it already is); staged and
    flushed, never committed. A handful of statements whatever the document's size."""
    fingerprint = doc.fingerprint()
    existing = await writer.campaign_by_fingerprint(fingerprint)
    if existing is not None:
        return ImportOutcome(existing.id, False, *await writer.counts(existing.id))

    if activate:
        await writer.deactivate_campaigns()
    campaign_id = await writer.add_campaign(
        year=doc.year,
        title=doc.title or source_name,
        source_name=source_name[:300],
        fingerprint=fingerprint,
        active=activate,
    )
    known = known_departments(await writer.other_departments(campaign_id))
    new_departments = []
    for parsed in doc.departments:
        name, aliases = matched_name(parsed.name, known)
        new_departments.append(
            NewDepartment(parsed.number, name, parsed.dept_class, tuple(aliases))
        )
    department_ids = await writer.add_departments(campaign_id, new_departments)
    # number -> (id, class)
    departments = {
        parsed.number: (department_id, parsed.dept_class)
        for parsed, department_id in zip(doc.departments, department_ids, strict=True)
    }

    new_items = []
    for position, parsed_item in enumerate(doc.items):
        owner = departments.get(parsed_item.department_number or -1)
        new_items.append(
            NewItem(
                code=parsed_item.code,
                kind=parsed_item.kind,
                owner_id=owner[0] if owner and parsed_item.kind == "department" else None,
                position=position,
                title=parsed_item.title[:MAX_TITLE],
                text=parsed_item.text,
                deadline=parsed_item.deadline,
                score=parsed_item.score,
                standard=parsed_item.standard,
                # Supervision (issue 22): every dated step of the text, and pacing.
                milestones=tuple(as_stored(dated_steps(parsed_item.text, doc.year))),
                pace_target=pace_target_of(parsed_item.targets),
                targets=parsed_item.targets,
            )
        )
    item_ids = await writer.add_items(campaign_id, new_items)

    bindings = [
        NewBinding(department_id, item_id)
        for department_id, dept_class in departments.values()
        for item, item_id in zip(new_items, item_ids, strict=True)
        if binds(item.kind, item.owner_id, department_id, dept_class)
    ]
    # A table's further lead units and 配合单位 answer for the item too (role kept).
    for item, item_id, parsed_item in zip(new_items, item_ids, doc.items, strict=True):
        for unit in parsed_item.units:
            other = departments.get(unit.department_number)
            if other is not None and not binds(item.kind, item.owner_id, *other):
                bindings.append(NewBinding(other[0], item_id, unit.role))
    writer.add_bindings(campaign_id, bindings)
    writer.log(
        "import",
        {"campaign_id": campaign_id, "source": source_name, "year": doc.year},
        actor_tg_id=actor_tg_id,
        now=now,
    )
    await writer.flush()
    return ImportOutcome(campaign_id, True, len(departments), len(new_items), len(bindings))


async def create_campaign(
    session: AsyncSession,
    doc: ParsedDocument,
    *,
    source_name: str,
    actor_tg_id: int | None = None,
    activate: bool = True,
) -> ImportOutcome:
    """`save_document` in `session` (flushed, not committed), for a caller outside an
    update's unit of work; now is the moment it runs."""
    return await save_document(
        SqlAssessment(session),
        doc,
        source_name=source_name,
        actor_tg_id=actor_tg_id,
        now=dt.datetime.now(dt.UTC),
        activate=activate,
    )


def known_departments(others: list[DepartmentRef]) -> list[DepartmentRef]:
    """Departments of earlier campaigns (newest first), one per name: a new document's
    发改局 is last year's 区发展改革局, so its liaisons follow it (core.assessment.switch)."""
    known: list[DepartmentRef] = []
    seen: set[str] = set()
    for department in others:
        if normalize(department.name) not in seen:
            seen.add(normalize(department.name))
            known.append(department)
    return known


def matched_name(name: str, known: list[DepartmentRef]) -> tuple[str, list[str]]:
    """The existing department's name and aliases if `name` is its name or one of its
    aliases (the newest campaign's first); else `name` and its default aliases. Exact
    only: a looser match could hand 区水利局's liaisons to 区水利局服务中心."""
    wanted = normalize(name)
    found = [
        department
        for department in known
        if wanted
        in {normalize(department.name), *(normalize(alias) for alias in department.aliases)}
    ]
    if found:
        match = found[0]
        aliases = [*match.aliases]
        if normalize(name) != normalize(match.name) and name not in aliases:
            aliases.append(name)
        return match.name, aliases or default_aliases(match.name)
    return name, default_aliases(name)


def load_file(path: Path, *, year: int | None = None) -> ParsedDocument:
    return load_document(path.read_bytes(), path.name, year=year)
