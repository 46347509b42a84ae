"""Parsing untrusted uploads in a child process of their own, with hard limits.

An uploaded assessment document (.docx, PDF, .doc/.wps once LibreOffice converted it,
.txt) is parsed by `runner.parse_isolated` in a fresh Python child started with
`asyncio.create_subprocess_exec` in a session (process group) of its own. The child
(`child.py`) sets its own `resource.setrlimit` first — address space and CPU time —
before it imports any parser, counts a PDF's pages itself and reads a .docx's zip
central directory (declared total size, number of entries) before parsing; the parent
enforces a wall-time limit and kills the child's whole process group when it is over.
The child's answer comes back as JSON (`transfer.py`), never as pickle: a parser
compromised by a hostile file gets no way into the bot's process.

A `ProcessPoolExecutor` would not do: a running task cannot be cancelled, one killed
worker breaks the pool, and CPU limits add up in long-lived workers; `preexec_fn` is
unsafe with the aiosqlite threads. Every limit hit is a `DocumentError` with one of the
`LIMIT_*` reason codes below, which the upload handler turns into one line for the user.

This module itself imports nothing heavy: the child imports it before its limits are set.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: The document is larger (in memory) than the parse may use.
LIMIT_MEMORY = "limit_memory"
#: The parse used up its CPU time or wall time.
LIMIT_TIME = "limit_time"
#: A PDF with more pages than an assessment document has.
LIMIT_PAGES = "limit_pages"
#: A .docx whose zip declares too much content or too many parts (a zip bomb).
LIMIT_ZIP = "limit_zip"
#: The child failed in a way that says nothing about the document (logged).
CHILD_FAILED = "child_failed"


@dataclass(frozen=True)
class Limits:
    """What one parse may use. Defaults fit the bundled 2020 annex many times over."""

    memory_mb: int = 1024
    cpu_seconds: int = 60
    wall_seconds: float = 90.0
    max_pdf_pages: int = 200
    max_docx_total_mb: int = 200
    max_docx_entries: int = 2000

    def to_json(self) -> dict[str, float]:
        return dict(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, float]) -> Limits:
        return cls(
            memory_mb=int(data["memory_mb"]),
            cpu_seconds=int(data["cpu_seconds"]),
            wall_seconds=float(data["wall_seconds"]),
            max_pdf_pages=int(data["max_pdf_pages"]),
            max_docx_total_mb=int(data["max_docx_total_mb"]),
            max_docx_entries=int(data["max_docx_entries"]),
        )


__all__ = [
    "CHILD_FAILED",
    "LIMIT_MEMORY",
    "LIMIT_PAGES",
    "LIMIT_TIME",
    "LIMIT_ZIP",
    "Limits",
]
