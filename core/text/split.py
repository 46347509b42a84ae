"""Long screens as several Telegram messages, split at section boundaries.

Telegram refuses a message over 4096 characters (counted in UTF-16 code units, after
HTML parsing). Screens are built as sections (a header, one block per department);
`split_sections` packs whole sections into messages and only cuts a section that alone
is too long, between its lines. Measuring the HTML source over-counts, which is safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MESSAGE_LIMIT = 4000  # under Telegram's 4096, leaving room for a short note


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Chunk:
    text: str
    sections: tuple[int, ...]  # indices of the sections it holds (a cut one in each part)


def _cut(section: str, limit: int) -> list[str]:
    """A section longer than `limit`, cut between lines (and inside a too-long line)."""
    pieces: list[str] = []
    current = ""
    for line in section.split("\n"):
        while utf16_length(line) > limit:
            head = line[: limit // 2]  # a character is at most 2 UTF-16 units
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
            line = line[len(head) :]
        candidate = f"{current}\n{line}" if current else line
        if utf16_length(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def split_sections(
    sections: Sequence[str], limit: int = MESSAGE_LIMIT, separator: str = "\n\n"
) -> list[Chunk]:
    """Whole sections packed into messages of at most `limit` UTF-16 units each."""
    chunks: list[Chunk] = []
    text = ""
    held: list[int] = []
    for index, section in enumerate(sections):
        for piece in _cut(section, limit) if utf16_length(section) > limit else [section]:
            candidate = f"{text}{separator}{piece}" if text else piece
            if text and utf16_length(candidate) > limit:
                chunks.append(Chunk(text, tuple(held)))
                text, held = piece, []
            else:
                text = candidate
            if index not in held:
                held.append(index)
    if text or not chunks:
        chunks.append(Chunk(text, tuple(held)))
    return chunks
