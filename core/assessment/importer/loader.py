"""Entry points: parse text, a .docx, a PDF, or an uploaded file of any kind we read.

Uploaded files arrive as bytes with a file name. The name decides the parser;
the bytes are sniffed as well, because people rename files: a ".txt" that is
really a Word/ZIP file, a PDF or binary junk is refused with a clear reason
instead of being parsed as mojibake. Old Word (.doc) and WPS (.wps) files are
converted to .docx by LibreOffice first (:mod:`core.assessment.importer.convert`).
"""

from __future__ import annotations

from pathlib import PurePath

from core.assessment.importer.convert import DEFAULT_SOFFICE, convert_to_docx
from core.assessment.importer.model import (
    REASON_BINARY,
    REASON_EMPTY,
    REASON_NO_ITEMS,
    REASON_UNREADABLE_PDF,
    REASON_UNSUPPORTED_TYPE,
    DocumentError,
    ParsedDocument,
)
from core.assessment.importer.pdf_reader import read_pdf_blocks
from core.assessment.importer.structure import parse_lines, parse_plain_text

#: The file types the importer reads, for the UI's "send a ... file".
IMPORT_SUFFIXES = (".docx", ".txt", ".pdf", ".doc", ".wps")

# Magic numbers of formats that are sometimes renamed to .txt.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP/Word file; if it is a Word document, send it as .docx"),
    (b"PK\x05\x06", "a ZIP file"),
    (b"%PDF-", "a PDF file; send it named .pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word or WPS file; send it named .doc"),
    (b"{\\rtf", "an RTF file; save it as .docx"),
)


def decode_text(data: bytes) -> str:
    """Decode a text file as UTF-8 (with or without BOM), UTF-16 (BOM) or GB18030.

    GB18030 is a superset of GBK and GB2312, the encodings of text saved on
    Chinese Windows. Strict UTF-8 is tried first: GBK text is practically never
    valid UTF-8, while the reverse is often true.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        raise DocumentError(
            REASON_BINARY, "The file is binary data, not text; send a .docx or .txt file."
        )
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentError(
        REASON_BINARY, "The file is neither UTF-8 nor GBK text; send a .docx or .txt file."
    )


def parse_text(text: str, *, year: int | None = None) -> ParsedDocument:
    """Parse an assessment document given as text.

    ``year`` overrides the campaign year found in the text.
    """
    return parse_plain_text(text, year=year)


def parse_docx(data: bytes, *, year: int | None = None) -> ParsedDocument:
    """Parse an assessment document given as the bytes of a .docx file."""
    # python-docx (and lxml) load on the first .docx, not with the bot (issue 13).
    from core.assessment.importer.docx_reader import read_docx_lines

    lines = read_docx_lines(data)
    try:
        return parse_lines(lines, year=year)
    except DocumentError as error:
        if error.reason_code == REASON_EMPTY:
            # A Word file without text is a document without items.
            raise DocumentError(
                REASON_NO_ITEMS, "The Word document contains no assessment items."
            ) from error
        raise


def parse_pdf(data: bytes, *, year: int | None = None) -> ParsedDocument:
    """Parse an assessment document given as the bytes of a PDF with a text layer."""
    if b"%PDF-" not in data[:1024]:  # the header may follow a few stray bytes
        raise DocumentError(REASON_UNREADABLE_PDF, "The .pdf file is not a PDF document.")
    blocks = read_pdf_blocks(data)
    try:
        return parse_lines(blocks, year=year)
    except DocumentError as error:
        if error.reason_code == REASON_EMPTY:
            raise DocumentError(
                REASON_NO_ITEMS, "The PDF document contains no assessment items."
            ) from error
        raise


def load_document(
    data: bytes,
    filename: str,
    *,
    year: int | None = None,
    soffice: str = DEFAULT_SOFFICE,
) -> ParsedDocument:
    """Parse an uploaded file, choosing the parser by the file name's extension.

    ``soffice`` is the LibreOffice program that converts .doc / .wps to .docx.
    """
    if not data:
        raise DocumentError(REASON_EMPTY, "The file is empty.")
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".docx":
        return parse_docx(data, year=year)
    if suffix == ".pdf":
        return parse_pdf(data, year=year)
    if suffix in {".doc", ".wps"}:
        return parse_docx(convert_to_docx(data, suffix, soffice=soffice), year=year)
    if suffix != ".txt":
        shown = suffix or "(no extension)"
        raise DocumentError(
            REASON_UNSUPPORTED_TYPE,
            f"Unsupported file type {shown}; send the document as .docx, .pdf, .doc or .txt.",
        )
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise DocumentError(REASON_BINARY, f"The .txt file is really {what}.")
    return parse_text(decode_text(data), year=year)
