"""Forgiving matching of what people type against department names and item codes.

`农业` finds 区农业农村局 (a unique substring); `发改` finds 区发展改革局 (its characters
in order); an ambiguous query returns every candidate so the user can choose.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Named:
    id: int
    name: str
    aliases: Sequence[str] = field(default_factory=tuple)


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), no white space or zero-width characters, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Zs", "Cc"))
    return re.sub(r"\s+", "", text).lower()


def _is_subsequence(needle: str, haystack: str) -> bool:
    position = 0
    for ch in needle:
        position = haystack.find(ch, position)
        if position < 0:
            return False
        position += 1
    return True


def match_names(query: str, candidates: Sequence[Named]) -> list[Named]:
    """Candidates matching `query`, best tier only: exact, then substring, then abbreviation."""
    wanted = normalize(query)
    if not wanted:
        return []
    forms = [(c, [normalize(c.name), *(normalize(a) for a in c.aliases)]) for c in candidates]
    for test in (
        lambda f: wanted == f,
        lambda f: wanted in f,
        lambda f: len(wanted) >= 2 and _is_subsequence(wanted, f),
    ):
        found = [c for c, names in forms if any(test(name) for name in names)]
        if found:
            return found
    return []


# The one grammar of an item code as people type it (issue 18.9): an optional # or ＃;
# the letter (G, A or B, any case, half- or full-width); a number; optionally a
# separator from . ． 。 - － with spaces allowed around it and a second number; then
# optionally a colon or full-width colon. Never a comma, never a bare space: "A5，85%"
# and "A5 1 81%" are A5 followed by text, not A5.1. Zero-width characters that copying
# leaves behind count as spaces.
_SPACE = r"[\s\u200b\u200c\u200d\u2060\ufeff]*"
_DIGIT = "[0-9０-９]"
_SEPARATOR = "[.．。\\-－]"
_CODE = re.compile(
    rf"{_SPACE}[#＃]?{_SPACE}"
    r"([GgＧｇAaＡａBbＢｂ])"
    rf"({_DIGIT}{{1,3}})"
    rf"(?:{_SPACE}{_SEPARATOR}{_SPACE}({_DIGIT}{{1,3}}))?"
    # Not the start of a longer number, word, or a third part ("A5.1.2", "A51234", "A5x").
    rf"(?!{_DIGIT}|[A-Za-zＡ-Ｚａ-ｚ]|{_SPACE}{_SEPARATOR}{_SPACE}{_DIGIT})"
    rf"(?:{_SPACE}[:：])?"
)


@dataclass(frozen=True)
class CodeRead:
    """An item code read from the start of what a user typed, and what follows it."""

    code: str  # canonical: "A5.1", "G3"
    rest: str  # the text after the code (and its colon), stripped


def read_code(text: str) -> CodeRead | None:
    """The item code at the start of ``text``: ``#A5-1 81%`` -> A5.1 and "81%".

    None when ``text`` does not start with one (after spaces and an optional #).
    """
    match = _CODE.match(text)
    if match is None:
        return None
    letter, major, minor = match.groups()
    letter = unicodedata.normalize("NFKC", letter).upper()
    code = f"{letter}{int(unicodedata.normalize('NFKC', major))}"
    if minor is not None:
        code += f".{int(unicodedata.normalize('NFKC', minor))}"
    return CodeRead(code, text[match.end() :].strip())


def normalize_code(text: str) -> str | None:
    """`a5.1`, `Ａ５．１`, `#A5-1`, `A5 . 1：` -> `A5.1`; None when the whole text is no
    item code (`A5，1`, `A5 1`, `A5.1 81%`). See :func:`read_code` for the grammar."""
    found = read_code(text)
    if found is None or found.rest:
        return None
    return found.code


def code_from_args(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """A command's code and the arguments after it: `/item A5 - 1` arrives as three.

    (None, the arguments after the first) when they do not start with a code.
    """
    found = read_code(" ".join(args))
    if found is None:
        return None, list(args[1:])
    return found.code, found.rest.split()


@functools.lru_cache(maxsize=4096)
def code_key(code: str) -> tuple[int, int, int]:
    """Item codes in the document's order: G before A before B, numbers numerically
    (A10 after A9); anything else last. Cached: a campaign has a few hundred codes,
    sorted again for every department on the long screens."""
    letter = {"G": 0, "A": 1, "B": 2}.get(code[:1], 3)
    parts = code[1:].split(".")
    try:
        return letter, int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return letter, 999, 999
