"""Assessment-document importer: .docx / .txt -> sections, departments, items.

Pure Python (no Telegram, no database): the bot calls :func:`load_document`
on an upload, shows :func:`format_summary` as a dry run, and stores the
:class:`ParsedDocument` only once the admin confirms. Files that are no
assessment document raise :class:`DocumentError` with a ``reason_code``.
"""

from core.assessment.importer.loader import decode_text, load_document, parse_docx, parse_text
from core.assessment.importer.model import (
    KIND_B_CLASS,
    KIND_DEPARTMENT,
    KIND_GENERAL,
    REASON_BINARY,
    REASON_EMPTY,
    REASON_NO_ITEMS,
    REASON_UNREADABLE_DOCX,
    REASON_UNSUPPORTED_TYPE,
    DocumentError,
    ParsedDepartment,
    ParsedDocument,
    ParsedItem,
    Target,
)
from core.assessment.importer.summary import format_summary, format_target

__all__ = [
    "KIND_B_CLASS",
    "KIND_DEPARTMENT",
    "KIND_GENERAL",
    "REASON_BINARY",
    "REASON_EMPTY",
    "REASON_NO_ITEMS",
    "REASON_UNREADABLE_DOCX",
    "REASON_UNSUPPORTED_TYPE",
    "DocumentError",
    "ParsedDepartment",
    "ParsedDocument",
    "ParsedItem",
    "Target",
    "decode_text",
    "format_summary",
    "format_target",
    "load_document",
    "parse_docx",
    "parse_text",
]
