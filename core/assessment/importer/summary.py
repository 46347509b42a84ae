"""Human-readable dry-run summary of a parsed document.

The bot shows this before anything is saved, so the admin can check what was
found and, above all, what could not be placed. Every literal goes through the
gettext function passed in, as a msgid with ``{placeholders}`` formatted
*after* translation, so that translators see stable msgids.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from core.assessment.importer.model import (
    KIND_B_CLASS,
    KIND_GENERAL,
    PROBLEM_HEADING_NUMBER,
    PROBLEM_NUMBERING_RESTART,
    PROBLEM_UNREADABLE_HEADING,
    ROLE_LEAD,
    ParsedDocument,
    StructureProblem,
    Target,
)

_OP_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "~": "≈"}


def _number(value: Decimal) -> str:
    # "90" rather than "90.0"/"9E+1"; keeps real decimals ("0.5").
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_target(target: Target) -> str:
    """Render a target as "秸秆综合利用率 ≥ 90%"; symbols need no translation."""
    symbol = _OP_SYMBOLS.get(target.op, target.op)
    return f"{target.metric} {symbol} {_number(target.value)}{target.unit}".strip()


def format_problem(problem: StructureProblem, _: Callable[[str], str]) -> str:
    """One line: where the heading that cannot be read is, and why it matters."""
    if problem.kind == PROBLEM_UNREADABLE_HEADING:
        text = _("Line {line}: {text} — a department heading whose number cannot be read.")
    elif problem.kind == PROBLEM_HEADING_NUMBER:
        text = _(
            "Line {line}: {text} — department number {found} where {expected} should come "
            "(a heading missing, repeated or mistyped)."
        )
    elif problem.kind == PROBLEM_NUMBERING_RESTART:
        text = _(
            "Line {line}: {text} — item numbers start again at 1 under {department}: the "
            "department heading before this line was not recognised."
        )
    else:
        text = _("Line {line}: {text} — a department's name without its heading number.")
    return text.format(
        line=problem.line,
        text=problem.text,
        found=problem.found,
        expected=problem.expected,
        department=problem.department or "?",
    )


def _attention(doc: ParsedDocument, _: Callable[[str], str]) -> list[str]:
    """What the admin must see first: headings not read, lines not placed, odd counts."""
    lines: list[str] = []
    if doc.problems:
        lines.append(
            _(
                "Department headings that cannot be read: {count}. The items after them "
                "belong to no department, so nothing can be imported until the document is "
                "corrected:"
            ).format(count=len(doc.problems))
        )
        lines.extend("  ! " + format_problem(problem, _) for problem in doc.problems)
    if doc.unplaced:
        lines.append(_("Lines that could not be placed: {count}").format(count=len(doc.unplaced)))
        for line in doc.unplaced:
            lines.append(_("  ? {line}").format(line=line))
    if doc.unplaced_cells:
        lines.append(
            _("Table cells that could not be placed: {count}").format(count=len(doc.unplaced_cells))
        )
        for cell in doc.unplaced_cells:
            lines.append(
                _("  ? table {table}, row {row}, column {column}: {text}").format(
                    table=cell.table, row=cell.row, column=cell.column, text=cell.text
                )
            )
    for department in doc.unusual_departments():
        lines.append(
            _(
                "Unusually many items: {number}. {name} has {count}, far more than the other "
                "departments. Check that no department heading above its items was missed."
            ).format(
                number=department.number,
                name=department.name or _("(no name)"),
                count=len(department.item_codes),
            )
        )
    return lines


def format_refusal(doc: ParsedDocument, _: Callable[[str], str]) -> str:
    """What the chat shows for a document refused for its headings (``StructureError``).

    Short (each problem one line, at most 20 of them, well under one message): the
    problems, then what to do. Nothing was saved.
    """
    lines = [
        _(
            "This document cannot be imported: {count} department heading(s) cannot be read, "
            "so the items after them would be given to the wrong department."
        ).format(count=len(doc.problems))
    ]
    shown = doc.problems[:20]
    lines.extend("  ! " + _short(format_problem(problem, _)) for problem in shown)
    if len(doc.problems) > len(shown):
        lines.append(_("  … and {count} more.").format(count=len(doc.problems) - len(shown)))
    lines.append(
        _(
            "Number each department's heading as （一）, （二）, … in order, with its name, "
            "and send the document again. Nothing was imported."
        )
    )
    return "\n".join(lines)


def _short(line: str, limit: int = 160) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def format_summary(doc: ParsedDocument, _: Callable[[str], str]) -> str:
    """The dry-run report: first what needs attention (headings that cannot be read,
    lines not placed, departments with unusually many items), then year, title,
    counts, departments, targets.

    A table document adds each item's score, deadline and further units, and the
    table cells it could not place with their table, row and column.
    """
    general = [item.code for item in doc.items if item.kind == KIND_GENERAL]
    b_class = [item.code for item in doc.items if item.kind == KIND_B_CLASS]
    department_items = sum(len(department.item_codes) for department in doc.departments)
    with_deadline = sum(1 for item in doc.items if item.deadline is not None)

    lines: list[str] = _attention(doc, _)
    if lines:
        lines.append("")
    year = str(doc.year) if doc.year is not None else _("unknown")
    lines.append(_("Year: {year}").format(year=year))
    lines.append(_("Title: {title}").format(title=doc.title or _("(none)")))
    lines.append(
        _(
            "Items found: {items} ({general} general, {department_items} in "
            "{departments} departments, {b_class} for B-class departments)"
        ).format(
            items=len(doc.items),
            general=len(general),
            department_items=department_items,
            departments=len(doc.departments),
            b_class=len(b_class),
        )
    )
    lines.append(_("Items with a deadline: {count}").format(count=with_deadline))
    if general:
        lines.append(_("General items: {codes}").format(codes=", ".join(general)))

    if doc.departments:
        lines.append("")
        lines.append(_("Departments:"))
    for department in doc.departments:
        lines.append(
            _("{number}. {name} (class {dept_class}), {count} item(s): {codes}").format(
                number=department.number,
                name=department.name or _("(no name)"),
                dept_class=department.dept_class,
                count=len(department.item_codes),
                codes=", ".join(department.item_codes) or _("(none)"),
            )
        )
    if b_class:
        lines.append(_("B-class items: {codes}").format(codes=", ".join(b_class)))

    lines.append("")
    with_targets = [item for item in doc.items if item.targets]
    if with_targets:
        lines.append(_("Targets:"))
        for item in with_targets:
            for target in item.targets:
                lines.append(
                    _("{code}  {target}").format(code=item.code, target=format_target(target))
                )
    else:
        lines.append(_("No numeric targets found."))

    details = _item_details(doc, _)
    if details:
        lines.append("")
        lines.append(_("Scores and deadlines:"))
        lines.extend(details)

    if not doc.unplaced and not doc.unplaced_cells and not doc.problems:
        lines.append("")
        lines.append(_("Every line was placed."))
    return "\n".join(lines)


def _item_details(doc: ParsedDocument, _: Callable[[str], str]) -> list[str]:
    """One line per item of a table document: score, deadline, further units.

    A list document (no scores, standards or units anywhere) gets none: its
    summary stays as it was.
    """
    if not any(item.score is not None or item.standard or item.units for item in doc.items):
        return []
    names = {department.number: department.name for department in doc.departments}
    lines: list[str] = []
    for item in doc.items:
        parts = [
            _("score {score}").format(score=_number(item.score))
            if item.score is not None
            else _("no score"),
            _("due {date}").format(date=item.deadline.isoformat())
            if item.deadline is not None
            else _("no deadline"),
        ]
        lead = [names.get(u.department_number, "?") for u in item.units if u.role == ROLE_LEAD]
        supporting = [
            names.get(u.department_number, "?") for u in item.units if u.role != ROLE_LEAD
        ]
        if lead:
            parts.append(_("also lead: {names}").format(names="、".join(lead)))
        if supporting:
            parts.append(_("supporting: {names}").format(names="、".join(supporting)))
        lines.append(_("{code}  {details}").format(code=item.code, details=" · ".join(parts)))
    return lines
