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


_CODE = re.compile(r"^([GAB])(\d{1,3})(?:[.．。·,，](\d{1,3}))?$")


def normalize_code(text: str) -> str | None:
    """`a5.1`, `Ａ５．１`, `#A5.1` -> `A5.1`; None when it is no item code at all."""
    cleaned = normalize(text).lstrip("#").upper()
    match = _CODE.match(cleaned)
    if not match:
        return None
    letter, major, minor = match.groups()
    return f"{letter}{int(major)}" + (f".{int(minor)}" if minor else "")


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
