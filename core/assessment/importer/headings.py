"""Department headings as offices type them, and lines that read like a department's name.

A department heading is one of these, alone on its line or before the department's
name (the line is already normalised by :mod:`core.assessment.importer.text`)::

    （十六）   (16)   （16）   （ 16 ）   十六、   16、   第十六   第16   （？）

:func:`read_heading` says what a line's heading looks like and which number it
shows, read by the importer's one numeral parser (:mod:`.numerals`). Whether
it *is* a heading is for the structure parser to decide, with the lines around
it: ``（16）`` and ``16、`` are also how items are numbered, so they are headings
only before a department's name; ``（？）`` is a heading whose number cannot be
read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.assessment.importer.numerals import CHINESE_NUMERAL_CHARS, parse_numeral

#: Forms of heading, by how the number is written.
FORM_BRACKET_CHINESE = "bracket_chinese"  # （十六）
FORM_BRACKET_DIGITS = "bracket_digits"  # （16） (16)
FORM_BRACKET_UNREADABLE = "bracket_unreadable"  # （？） (l6)
FORM_ENUMERATION_CHINESE = "enumeration_chinese"  # 十六、
FORM_ENUMERATION_DIGITS = "enumeration_digits"  # 16、
FORM_ORDINAL = "ordinal"  # 第十六 第16

_NUMERAL = f"[0-9{CHINESE_NUMERAL_CHARS}]"
_BRACKET = re.compile(r"^[（(]\s*([^（）()]{1,8}?)\s*[）)]\s*[、.．:：]?\s*(.*)$")
_ENUMERATION = re.compile(rf"^({_NUMERAL}(?:\s*{_NUMERAL}){{0,6}})\s*[、.．]\s*(.*)$")
_ORDINAL = re.compile(rf"^第\s*({_NUMERAL}(?:\s*{_NUMERAL}){{0,6}})\s*[、.．:：]?\s*(.*)$")
# What a smudged or mistyped number looks like: numerals mixed with marks and look-alike
# letters ("？", "十?", "l6", "1O"), never a word ("（注）", "（续）", "（a）" of a sub-point).
_SMUDGED = re.compile(rf"^[0-9{CHINESE_NUMERAL_CHARS}?？*＊×xX□■○●lIoO_\-—.·]{{1,6}}$")
_SUB_POINT_LETTER = re.compile(r"^[a-zA-Z]$")
_CJK = re.compile(r"[\u3400-\u9fff]")

# Organisation names end like this (the list and the usual others).
_ORG_SUFFIX = re.compile(
    r"(局|委|办|办公室|中心|大队|支队|分局|队|站|所|院|室|处|科|部|会|公司|集团|街道|镇|乡|园区|政府)$"
)
_CLAUSE_PUNCT = re.compile(r"[，；。：,;:！？!?、]")
_NAME_MAX = 40


@dataclass(frozen=True)
class Heading:
    """A line shaped like a department heading.

    ``number`` is None when the number cannot be read; ``name`` is what follows the
    number on the same line (may be empty: the name is on the next line).
    """

    form: str
    token: str
    number: int | None
    name: str

    @property
    def digits_only(self) -> bool:
        """Written like an item number (``（16）``, ``16、``): a heading only before a name."""
        return self.form in {FORM_BRACKET_DIGITS, FORM_ENUMERATION_DIGITS}


def read_heading(line: str) -> Heading | None:
    """The heading shape of a normalised line, None when it has none."""
    match = _BRACKET.match(line)
    if match is not None:
        token, name = match.group(1).strip(), match.group(2).strip()
        number = parse_numeral(token)
        if number is not None:
            chinese = not any(char.isdigit() for char in token)
            form = FORM_BRACKET_CHINESE if chinese else FORM_BRACKET_DIGITS
            return Heading(form, token, number, name)
        if _SMUDGED.match(token) and not _SUB_POINT_LETTER.match(token):
            return Heading(FORM_BRACKET_UNREADABLE, token, None, name)
        return None
    match = _ORDINAL.match(line)
    if match is not None:
        number = parse_numeral(match.group(1))
        if number is not None:
            return Heading(FORM_ORDINAL, match.group(1), number, match.group(2).strip())
        return None
    match = _ENUMERATION.match(line)
    if match is not None:
        token = match.group(1)
        number = parse_numeral(token)
        if number is None:
            return None
        chinese = not any(char.isdigit() for char in token)
        form = FORM_ENUMERATION_CHINESE if chinese else FORM_ENUMERATION_DIGITS
        return Heading(form, token, number, match.group(2).strip())
    return None


def strip_heading_number(text: str) -> str:
    """A unit cell or heading without its number: ``（十六）区交警大队`` -> ``区交警大队``."""
    heading = read_heading(text)
    if heading is not None and heading.number is not None and heading.name:
        return heading.name
    return text


def is_name_like(text: str) -> bool:
    """Short, without clause punctuation: could be a name (of anything)."""
    return 0 < len(text) <= _NAME_MAX and not _CLAUSE_PUNCT.search(text.rstrip("：:"))


def has_org_suffix(text: str) -> bool:
    return _ORG_SUFFIX.search(text.rstrip("：:")) is not None


def is_department_name(text: str, known: frozenset[str] = frozenset()) -> bool:
    """Reads like a department's name: a known one, or a short organisation name.

    ``区交警大队``, ``市生态环境局雨花分局`` -- not ``召开推进会，部署工作`` (a clause)
    and not ``1.做好……`` (numbered).
    """
    name = text.rstrip("：:").strip()
    if not is_name_like(name) or read_heading(name) is not None:
        return False
    if name in known:
        return True
    return has_org_suffix(name) and _CJK.search(name) is not None
