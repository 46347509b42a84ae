"""Result types of the assessment-document importer.

The importer turns an assessment document (Word or plain text) into these
immutable values. They carry no database or Telegram types so that the bot can
show a dry-run summary first and only then persist what the admin confirmed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

#: Item kinds, also used in the JSON shape.
KIND_GENERAL = "general"
KIND_DEPARTMENT = "department"
KIND_B_CLASS = "b_class"

#: Reason codes of :class:`DocumentError`, stable so the UI can translate them.
REASON_EMPTY = "empty"
REASON_BINARY = "binary"
REASON_NO_ITEMS = "no_items"
REASON_UNREADABLE_DOCX = "unreadable_docx"
REASON_UNSUPPORTED_TYPE = "unsupported_type"
#: A PDF without a usable text layer (scanned, or glyphs not mapped to characters).
REASON_PDF_NO_TEXT = "pdf_no_text"
#: A PDF that cannot be opened at all.
REASON_UNREADABLE_PDF = "unreadable_pdf"
#: A .doc / .wps file and no LibreOffice to convert it: it must be saved as .docx.
REASON_NEEDS_DOCX = "needs_docx"
#: LibreOffice could not convert a .doc / .wps file (damaged, or timed out).
REASON_UNREADABLE_DOC = "unreadable_doc"
#: A department heading cannot be read, or the numbering shows one was missed
#: (:class:`StructureError`): the importer refuses rather than guess whose items follow.
REASON_STRUCTURE = "structure"

#: Kinds of :class:`StructureProblem`.
PROBLEM_UNREADABLE_HEADING = "unreadable_heading"  # （？） before a department's name
PROBLEM_HEADING_NUMBER = "heading_number"  # （十八） right after （十六）, or （五） twice
PROBLEM_NUMBERING_RESTART = "numbering_restart"  # items 1, 2, 3, 1, 2: a heading was missed
PROBLEM_HEADING_WITHOUT_NUMBER = "heading_without_number"  # a department's name, no number

#: Roles of a unit bound to an item: 牵头单位 (lead) and 配合单位 (supporting).
ROLE_LEAD = "lead"
ROLE_SUPPORTING = "supporting"


class DocumentError(Exception):
    """The file is no assessment document.

    ``str(error)`` is one English line meant for logs and as a fallback
    message; ``reason_code`` is one of the ``REASON_*`` constants so that the
    UI can show a translated message instead.
    """

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Picklable with its reason (a parse in a child process sends it back).
        return (type(self), (self.reason_code, str(self)))


class StructureError(DocumentError):
    """The document's department headings cannot all be read: nothing may be saved.

    ``document`` is what was read anyway, its ``problems`` first, for the preview
    (:func:`core.assessment.importer.summary.format_refusal`).
    """

    def __init__(self, document: ParsedDocument) -> None:
        lines = "; ".join(problem.describe() for problem in document.problems[:3])
        more = len(document.problems) - 3
        if more > 0:
            lines += f"; and {more} more"
        super().__init__(REASON_STRUCTURE, f"Department headings cannot be read: {lines}")
        self.document = document

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Picklable (a parse in a child process sends it back to the bot).
        return (StructureError, (self.document,))


def _json_number(value: Decimal) -> int | float:
    """Integral values as int (``90``), others as float (``0.5``)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


@dataclass(frozen=True)
class Target:
    """A numeric goal of an item, e.g. 秸秆综合利用率 >= 90 %."""

    metric: str
    op: str  # one of ">=", "<=", ">", "<", "~"
    value: Decimal
    unit: str

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "op": self.op,
            "value": _json_number(self.value),
            "unit": self.unit,
        }


@dataclass(frozen=True)
class BoundUnit:
    """A department an item binds beyond its owner: another lead unit or a 配合单位."""

    department_number: int
    role: str  # ROLE_LEAD | ROLE_SUPPORTING

    def to_json_dict(self) -> dict[str, Any]:
        return {"department": self.department_number, "role": self.role}


@dataclass(frozen=True)
class UnplacedCell:
    """A table cell the importer could not place; numbers are 1-based, as people count."""

    table: int
    row: int
    column: int
    text: str

    def to_json_dict(self) -> dict[str, Any]:
        return {"table": self.table, "row": self.row, "column": self.column, "text": self.text}


@dataclass(frozen=True)
class StructureProblem:
    """A place where the document's structure says a department heading was not read.

    ``line`` counts the document's lines (a .txt's line, a Word paragraph) from 1;
    ``text`` is the line as written. ``expected`` / ``found`` are department numbers
    (:data:`PROBLEM_HEADING_NUMBER`); ``department`` names the department whose run of
    items the line interrupts.
    """

    kind: str
    line: int
    text: str
    expected: int | None = None
    found: int | None = None
    department: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "line": self.line,
            "text": self.text,
            "expected": self.expected,
            "found": self.found,
            "department": self.department,
        }

    def describe(self) -> str:
        """One English line for logs and the command line."""
        where = f"line {self.line}: {self.text}"
        if self.kind == PROBLEM_UNREADABLE_HEADING:
            return f"{where} -- a department heading whose number cannot be read"
        if self.kind == PROBLEM_HEADING_NUMBER:
            return (
                f"{where} -- department number {self.found} where {self.expected} was expected "
                "(a heading missing, repeated or mistyped)"
            )
        if self.kind == PROBLEM_NUMBERING_RESTART:
            return (
                f"{where} -- item numbering starts again at 1 under {self.department or '?'}: "
                "a department heading before this line was not recognised"
            )
        return f"{where} -- a department's name without its heading number"


@dataclass(frozen=True)
class ParsedItem:
    """One assessment item (考核要点) with its code, e.g. ``A5.1``."""

    code: str
    kind: str  # KIND_GENERAL | KIND_DEPARTMENT | KIND_B_CLASS
    text: str
    title: str
    deadline: date | None
    targets: tuple[Target, ...]
    department_number: int | None
    # What table documents add (考核标准, 分值, 配合单位); list documents have none.
    standard: str = ""
    score: Decimal | None = None
    units: tuple[BoundUnit, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "kind": self.kind,
            "title": self.title,
            "text": self.text,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "targets": [target.to_json_dict() for target in self.targets],
        }
        # Only when present: a list document keeps the fingerprint it had before
        # these fields existed, so re-importing it finds its campaign.
        if self.standard:
            data["standard"] = self.standard
        if self.score is not None:
            data["score"] = _json_number(self.score)
        if self.units:
            data["units"] = [unit.to_json_dict() for unit in self.units]
        return data


@dataclass(frozen=True)
class ParsedDepartment:
    """A department heading such as （五）区农业农村局, numbered in document order."""

    number: int
    name: str
    dept_class: str  # "A" (or "B" should a copy ever name B-class departments)
    item_codes: tuple[str, ...]

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "class": self.dept_class,
            "items": list(self.item_codes),
        }


@dataclass(frozen=True)
class ParsedDocument:
    """Everything the importer found in one document."""

    year: int | None
    title: str | None
    departments: tuple[ParsedDepartment, ...]
    items: tuple[ParsedItem, ...]
    unplaced: tuple[str, ...]
    unplaced_cells: tuple[UnplacedCell, ...] = ()
    #: Headings that could not be read; a document with any is refused (StructureError).
    problems: tuple[StructureProblem, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "title": self.title,
            "departments": [department.to_json_dict() for department in self.departments],
            "items": [item.to_json_dict() for item in self.items],
            "unplaced": list(self.unplaced),
            "unplaced_cells": [cell.to_json_dict() for cell in self.unplaced_cells],
            "problems": [problem.to_json_dict() for problem in self.problems],
        }

    def unusual_departments(self) -> tuple[ParsedDepartment, ...]:
        """Departments with far more items than is usual in this document.

        "Far more": over three times the median count and at least ten more -- what a
        department that swallowed the next one's items looks like (the 2020 annex's
        largest, 13 against a median of 4, is not).
        """
        counts = sorted(len(department.item_codes) for department in self.departments)
        if len(counts) < 3:
            return ()
        middle = len(counts) // 2
        median = counts[middle] if len(counts) % 2 else (counts[middle - 1] + counts[middle]) / 2
        return tuple(
            department
            for department in self.departments
            if len(department.item_codes) > 3 * median and len(department.item_codes) - median >= 10
        )

    def fingerprint(self) -> str:
        """SHA-256 hex digest of the document's content.

        Only year, departments and items count: the title and stray lines do
        not change what would be stored, and the canonical JSON makes the
        digest independent of the file's encoding or layout.
        """
        data = self.to_json_dict()
        canonical = {key: data[key] for key in ("year", "departments", "items")}
        payload = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def item(self, code: str) -> ParsedItem:
        """The item with ``code``; raises KeyError if there is none."""
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)
