"""Reading a quick report's caption: `#A5.1 92% 秸秆综合利用已完成`.

The code comes first after `#`; a status word anywhere sets the status (default: in
progress); the first number (with or without %) is the value for the item's first
target; the caption after the code is the report's text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from core.reporting.values import parse_value
from core.text.matching import read_code
from storage.models import STATUS_BLOCKED, STATUS_DONE, STATUS_IN_PROGRESS, STATUS_NOT_STARTED

# Longer words first, so 未完成 is not read as 完成.
STATUS_WORDS: tuple[tuple[str, str], ...] = (
    ("未开始", STATUS_NOT_STARTED),
    ("not started", STATUS_NOT_STARTED),
    ("未完成", STATUS_IN_PROGRESS),
    ("有困难", STATUS_BLOCKED),
    ("困难", STATUS_BLOCKED),
    ("blocked", STATUS_BLOCKED),
    ("推进中", STATUS_IN_PROGRESS),
    ("进行中", STATUS_IN_PROGRESS),
    ("in progress", STATUS_IN_PROGRESS),
    ("已完成", STATUS_DONE),
    ("完成", STATUS_DONE),
    ("done", STATUS_DONE),
)
# A number that is not part of a date (2020年, 6月, 3日).
_NUMBER_TOKEN = re.compile(r"(?<![\w.])(\d{1,9}(?:\.\d{1,4})?)(?![\d.])(?!\s*[年月日号])\s*(%|％)?")


@dataclass(frozen=True)
class QuickCaption:
    code: str
    status: str | None
    value: Decimal | None
    text: str


def parse_caption(caption: str | None) -> QuickCaption | None:
    """None when the caption does not start with #CODE."""
    if not caption or not caption.lstrip().startswith(("#", "＃")):
        return None
    found = read_code(caption)  # the one code parser: "#A5-1：81%" is A5.1
    if found is None:
        return None
    code, rest = found.code, found.rest
    lowered = unicodedata.normalize("NFKC", rest).lower()
    status = next((value for word, value in STATUS_WORDS if word in lowered), None)
    value = None
    number = _NUMBER_TOKEN.search(unicodedata.normalize("NFKC", rest))
    if number:
        value = parse_value(number.group(0))
    return QuickCaption(code, status, value, rest)
