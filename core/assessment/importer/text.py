"""Line normalisation: make every copy of a document look the same.

Real copies of an assessment document differ in ways that carry no meaning:
Word bookmarks exported as ``[bookmark: _GoBack]``, tabs and full-width spaces
(U+3000) used for indentation, full-width digits (``９０％``), radicals standing for
ordinary characters (``⽣`` for 生, :mod:`.cjk_forms`), and half-width
punctuation typed on an English keyboard (``,`` ``;`` ``(`` ``)`` ``"``). This
module maps all of them to one canonical form -- ASCII digits/letters and
Chinese (full-width) punctuation in Chinese text -- so that the structure
parser needs to know only one spelling, and so that a half-width copy yields
exactly the same item texts (and fingerprint) as the original.
"""

from __future__ import annotations

import re

from core.assessment.importer.cjk_forms import FOLD

# Word bookmarks as exported by text converters, e.g. "[bookmark: _GoBack]".
_BOOKMARK = re.compile(r"\[\s*bookmark\s*:[^\]]*\]", re.IGNORECASE)

# Characters that are whitespace for our purposes (tabs, NBSP, ideographic space)
# and invisible ones that Word or editors leave behind.
_SPACE_CHARS = "\t\u00a0\u3000\u2002\u2003\u2009\u200a\u202f\u205f\x0b\x0c"
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"

_WIDTH_MAP: dict[int, str] = {}
# Full-width digits and Latin letters -> ASCII (９０ -> 90, Ａ类 -> A类).
for _code in range(0xFF10, 0xFF1A):
    _WIDTH_MAP[_code] = chr(_code - 0xFEE0)
for _code in list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B)):
    _WIDTH_MAP[_code] = chr(_code - 0xFEE0)
_WIDTH_MAP.update(
    {
        ord("％"): "%",
        ord("＞"): ">",
        ord("＜"): "<",
        ord("＝"): "=",
        ord("／"): "/",
        ord("＋"): "+",
        ord("－"): "-",
        ord("﹪"): "%",
    }
)
for _char in _SPACE_CHARS:
    _WIDTH_MAP[ord(_char)] = " "
for _char in _INVISIBLE_CHARS:
    _WIDTH_MAP[ord(_char)] = ""
# Kangxi radicals and compatibility ideographs of PDF text layers -> ordinary characters.
_WIDTH_MAP.update(FOLD)

# A CJK ideograph (basic block and extension A).
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_CJK_RE = re.compile(f"[{_CJK}]")
# Chinese punctuation and brackets (U+3000 block, full-width forms, curly quotes).
_CJK_PUNCT = "\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\u2018\u2019\u201c\u201d\u2026\u2014"

# Spaces between two Chinese characters/punctuation marks are layout artefacts
# ("区 发展改革局"); spaces between Latin words are real.
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}{_CJK_PUNCT}]) +(?=[{_CJK}{_CJK_PUNCT}])")
_SPACES = re.compile(r" {2,}")

_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
# "," or ":" between two digits is a thousands separator or a clock time.
_CONVERTIBLE = re.compile(r"[,;:?!()]")
# A full stop after Chinese text ("方案." -> "方案。"), never inside "1.5" or after "1".
_HALF_STOP = re.compile(f"(?<=[{_CJK}%\u201d\uff09\u300b]) ?\\.(?![0-9A-Za-z])")
_DECIMAL_FULL_STOP = re.compile(r"(?<=\d)．(?=\d)")


def strip_bookmarks(line: str) -> str:
    """Remove exported Word bookmarks wherever they are in the line."""
    return _BOOKMARK.sub("", line)


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


def _to_full_width_punctuation(line: str) -> str:
    """Half-width punctuation -> Chinese punctuation, but only in Chinese text.

    A line without any Chinese character is left alone (it may be English).
    """
    if not has_cjk(line):
        return line

    def convert(match: re.Match[str]) -> str:
        char = match.group(0)
        start, end = match.start(), match.end()
        between_digits = start > 0 and end < len(line) and line[start - 1].isdigit()
        if char in ",:" and between_digits and line[end].isdigit():
            return char
        return _HALF_TO_FULL[char]

    line = _CONVERTIBLE.sub(convert, line)
    line = _HALF_STOP.sub("。", line)
    # Straight double quotes alternate open/close; an odd count is ambiguous,
    # so such a line keeps them as they are.
    if line.count('"') % 2 == 0 and '"' in line:
        parts = line.split('"')
        line = parts[0]
        for index, part in enumerate(parts[1:]):
            line += ("“" if index % 2 == 0 else "”") + part
    return line


def normalise_line(raw: str) -> str:
    """Return the canonical form of one line (may be empty)."""
    line = strip_bookmarks(raw).replace("\r", "").replace("\n", " ")
    line = line.translate(_WIDTH_MAP)
    line = _DECIMAL_FULL_STOP.sub(".", line)
    line = line.strip()
    line = _SPACE_BETWEEN_CJK.sub("", line)
    line = _SPACES.sub(" ", line)
    line = _to_full_width_punctuation(line)
    # Conversion may have produced "（ 1 ）"-style spacing next to full-width marks.
    return _SPACE_BETWEEN_CJK.sub("", line).strip()


def split_lines(text: str) -> list[str]:
    """Split text on any line ending (LF, CRLF, CR, Unicode separators)."""
    return text.splitlines()
