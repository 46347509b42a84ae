"""Numbers as assessment documents write them: ``16``, ``十六``, ``一百零一``, ``两百``.

The one numeral parser of the importer: department headings, section headings and
annex numbers all read their number through :func:`parse_numeral`, so a heading
the structure parser recognises is never one whose number another part reads
differently.

Chinese numerals are read strictly, as they are written in documents, from 1 to
9999: ``十`` (10), ``十七``, ``一十七``, ``二十``, ``一百``, ``一百零一``, ``一百一十``,
``一百二十一``, ``二百`` / ``两百``, ``一千零一十``, and the shortened ``一百一`` (110)
and ``两百五`` (250). Anything else (``十十``, ``百``, ``一百零``, ``零一``, ``二十两``)
is no number: a heading with such a number is one the importer cannot read, and
it says so instead of guessing.
"""

from __future__ import annotations

import re

_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZEROS = "零〇"
_UNITS = {"十": 10, "百": 100, "千": 1000}

#: Every character a Chinese numeral may contain, for building patterns.
CHINESE_NUMERAL_CHARS = "".join(_DIGITS) + _ZEROS + "".join(_UNITS)

_ARABIC = re.compile(r"^[0-9]{1,4}$")
_FULL_WIDTH_DIGITS = str.maketrans({chr(0xFF10 + d): str(d) for d in range(10)})


def parse_chinese_numeral(text: str) -> int | None:
    """The value of a Chinese numeral (1..9999), None when ``text`` is no well-formed one."""
    if not text:
        return None
    total = 0
    pending: int | None = None  # a digit waiting for its unit
    pending_char = ""
    last_unit = 10000  # units must fall: 千 > 百 > 十
    after_zero = False
    for position, char in enumerate(text):
        if char in _DIGITS:
            if pending is not None:
                return None  # two digits in a row: "一二"
            pending, pending_char = _DIGITS[char], char
        elif char in _ZEROS:
            # 零 stands for skipped units, so only after a unit and only once.
            if pending is not None or total == 0 or after_zero or last_unit < 100:
                return None
            after_zero = True
        elif char in _UNITS:
            unit = _UNITS[char]
            if unit >= last_unit:
                return None
            if pending is None:
                if char != "十" or position != 0:
                    return None  # "百", "一百十"
                pending, pending_char = 1, "一"  # "十七": the leading 一 is left out
            if pending_char == "两" and unit == 10:
                return None  # "两十" is not written
            if after_zero:
                if unit * 10 >= last_unit:
                    return None  # "一百零十": 零 must skip a unit
            elif total and unit * 10 != last_unit:
                return None  # "一千一十": a skipped unit needs 零
            total += pending * unit
            pending, last_unit, after_zero = None, unit, False
        else:
            return None
    if pending is not None:
        if pending_char == "两":
            return None  # "两" counts hundreds and thousands, never ones: "二十两", "两"
        if after_zero or last_unit in (10, 10000):
            total += pending  # "一百零一", "十七", "七"
        else:
            total += pending * last_unit // 10  # "一百一" = 110, "两百五" = 250
    elif after_zero:
        return None  # "一百零"
    return total or None


def parse_numeral(text: str) -> int | None:
    """A number written in Arabic (``16``, full-width ``１６``) or Chinese (``十六``) digits.

    Spaces inside are ignored ("十 六", "1 6" from a copy that spaced its letters).
    """
    token = "".join(text.translate(_FULL_WIDTH_DIGITS).split())
    if _ARABIC.match(token):
        return int(token) or None
    return parse_chinese_numeral(token)


def to_chinese_numeral(number: int) -> str:
    """The written form of 1..9999 (``16`` -> ``十六``, ``101`` -> ``一百零一``)."""
    if not 1 <= number <= 9999:
        raise ValueError(f"{number} is out of range 1..9999")
    digits = "零一二三四五六七八九"
    text = ""
    zero = False
    for unit, char in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // unit % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += digits[digit] + char
    if 10 <= number <= 19:
        text = text[1:]  # "十七", not "一十七"
    return text
