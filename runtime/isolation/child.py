"""The child process that parses one upload (started by `runner.parse_isolated`).

Run as `python -I -B -c "...main()" PATH SUFFIX YEAR LIMITS_JSON`. Its first act is to set
its own limits with `resource.setrlimit`: address space (RLIMIT_AS) and CPU time
(RLIMIT_CPU: at the soft limit the kernel sends SIGXCPU, one second later SIGKILL), no
core files and no file writes; only then does it import a parser. It checks what can be
checked cheaply first — a PDF's pages counted by walking its page tree, a .docx's zip
central directory (declared total size and number of entries) — then parses, and writes
one JSON object to stdout: {"document": ...} or {"error": REASON, "message": TEXT}.
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any


def set_limits(memory_mb: int, cpu_seconds: int) -> None:
    memory = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _answer(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False))
    sys.stdout.flush()


def count_pdf_pages(data: bytes, stop_after: int) -> int:
    """The PDF's pages, counted by walking its page tree (no page is rendered); counting
    stops at `stop_after`."""
    import io

    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    from core.assessment.importer.model import REASON_UNREADABLE_PDF, DocumentError

    pages = 0
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        for _page in PDFPage.create_pages(document):
            pages += 1
            if pages >= stop_after:
                break
    except MemoryError:
        raise
    except Exception as error:  # pdfminer raises many kinds on a broken file
        raise DocumentError(REASON_UNREADABLE_PDF, f"unreadable PDF: {error}") from error
    return pages


def check_zip(data: bytes, max_total_mb: int, max_entries: int) -> str | None:
    """Why a .docx's central directory is refused (None: it is not). Reads no member."""
    import io
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return None  # not a zip: the docx reader says "cannot be read"
    with archive:
        entries = archive.infolist()
        if len(entries) > max_entries:
            return f"the Word file has {len(entries)} parts (at most {max_entries})"
        total = sum(entry.file_size for entry in entries)
        if total > max_total_mb * 2**20:
            return f"the Word file unpacks to {total // 2**20} MB (at most {max_total_mb} MB)"
    return None


def parse(path: str, suffix: str, year: int | None, limits_json: str) -> dict[str, Any]:
    from runtime.isolation import LIMIT_PAGES, LIMIT_ZIP, Limits

    limits = Limits.from_json(json.loads(limits_json))
    with open(path, "rb") as handle:  # noqa: PTH123 - pathlib is one import more
        data = handle.read()

    from core.assessment.importer import DocumentError, StructureError, load_document
    from runtime.isolation.transfer import encode

    try:
        if suffix == ".pdf" and b"%PDF-" in data[:1024]:
            pages = count_pdf_pages(data, limits.max_pdf_pages + 1)
            if pages > limits.max_pdf_pages:
                return {
                    "error": LIMIT_PAGES,
                    "message": f"the PDF has more than {limits.max_pdf_pages} pages",
                }
        if suffix == ".docx":
            refused = check_zip(data, limits.max_docx_total_mb, limits.max_docx_entries)
            if refused is not None:
                return {"error": LIMIT_ZIP, "message": refused}
        document = load_document(data, "upload" + suffix, year=year)
    except StructureError as error:
        # Headings that cannot be read: what was read, its problems first, for the preview.
        return {"structure": encode(error.document)}
    except DocumentError as error:
        return {"error": error.reason_code, "message": str(error)}
    return {"document": encode(document)}


def main() -> None:
    path, suffix, year_text, limits_json = sys.argv[1:5]
    limits = json.loads(limits_json)
    set_limits(int(limits["memory_mb"]), int(limits["cpu_seconds"]))
    try:
        payload = parse(path, suffix, int(year_text) if year_text else None, limits_json)
    except MemoryError:
        payload = OUT_OF_MEMORY
    except SystemError:
        # C code whose allocation failed under RLIMIT_AS may return an error without
        # setting MemoryError (seen importing a module near the limit). It is the limit
        # only if memory is indeed used up: a small allocation must fail too.
        if not _memory_left():
            payload = OUT_OF_MEMORY
        else:
            raise
    _answer(payload)


OUT_OF_MEMORY = {"error": "limit_memory", "message": "the parse ran out of memory"}


def _memory_left(probe_mb: int = 32) -> bool:
    try:
        bytearray(probe_mb << 20)
    except MemoryError:
        return False
    return True


if __name__ == "__main__":
    main()
