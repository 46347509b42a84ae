"""Assessment-document importer: .docx / .pdf / .doc / .wps / .txt -> departments, items.

Pure Python (no Telegram, no database): the bot calls :func:`load_document`
on an upload, shows :func:`format_summary` as a dry run, and stores the
:class:`ParsedDocument` only once the admin confirms. Files that are no
assessment document raise :class:`DocumentError` with a ``reason_code``.
"""

from core.assessment.importer.loader import (
    IMPORT_SUFFIXES,
    decode_text,
    load_document,
    parse_docx,
    parse_pdf,
    parse_text,
)
from core.assessment.importer.model import (
    KIND_B_CLASS,
    KIND_DEPARTMENT,
    KIND_GENERAL,
    REASON_BINARY,
    REASON_EMPTY,
    REASON_NEEDS_DOCX,
    REASON_NO_ITEMS,
    REASON_PDF_NO_TEXT,
    REASON_STRUCTURE,
    REASON_UNREADABLE_DOC,
    REASON_UNREADABLE_DOCX,
    REASON_UNREADABLE_PDF,
    REASON_UNSUPPORTED_TYPE,
    ROLE_LEAD,
    ROLE_SUPPORTING,
    BoundUnit,
    DocumentError,
    ParsedDepartment,
    ParsedDocument,
    ParsedItem,
    StructureError,
    StructureProblem,
    Target,
    UnplacedCell,
)
from core.assessment.importer.summary import (
    format_problem,
    format_refusal,
    format_summary,
    format_target,
)

__all__ = [
    "IMPORT_SUFFIXES",
    "KIND_B_CLASS",
    "KIND_DEPARTMENT",
    "KIND_GENERAL",
    "REASON_BINARY",
    "REASON_EMPTY",
    "REASON_NEEDS_DOCX",
    "REASON_NO_ITEMS",
    "REASON_PDF_NO_TEXT",
    "REASON_STRUCTURE",
    "REASON_UNREADABLE_DOC",
    "REASON_UNREADABLE_DOCX",
    "REASON_UNREADABLE_PDF",
    "REASON_UNSUPPORTED_TYPE",
    "ROLE_LEAD",
    "ROLE_SUPPORTING",
    "BoundUnit",
    "DocumentError",
    "ParsedDepartment",
    "ParsedDocument",
    "ParsedItem",
    "StructureError",
    "StructureProblem",
    "Target",
    "UnplacedCell",
    "decode_text",
    "format_problem",
    "format_refusal",
    "format_summary",
    "format_target",
    "load_document",
    "parse_docx",
    "parse_pdf",
    "parse_text",
]
