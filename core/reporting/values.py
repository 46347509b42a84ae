"""Reading values people type (92, 92%, ９２％, 92.5) and judging them against targets."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"^([+-]?\d{1,9}(?:\.\d{1,4})?)\s*(%|％|percent|次|个|项|家|座|辆|吨|公里)?$")


def parse_value(text: str) -> Decimal | None:
    """A number, optionally followed by % or a counting unit; None for anything else."""
    cleaned = unicodedata.normalize("NFKC", text).strip().replace(",", "").replace("，", "")
    cleaned = "".join(ch for ch in cleaned if unicodedata.category(ch) != "Cf")
    match = _NUMBER.match(cleaned)
    if not match:
        return None
    try:
        value = Decimal(match.group(1))
    except InvalidOperation:
        return None
    if value < 0:
        return None
    return value


def meets(value: Decimal, op: str, target: Decimal) -> bool:
    """Whether `value` satisfies `op target`; `~` (about) allows 5 % of the target."""
    if op == ">=":
        return value >= target
    if op == "<=":
        return value <= target
    if op == ">":
        return value > target
    if op == "<":
        return value < target
    if op == "~":
        return abs(value - target) <= abs(target) * Decimal("0.05")
    return True


OP_SYMBOL = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "~": "≈"}


def format_number(value: Decimal) -> str:
    normalized = value.normalize()
    text = format(normalized, "f")
    return text


def format_target(metric: str, op: str, value: Decimal, unit: str) -> str:
    return f"{metric} {OP_SYMBOL.get(op, op)} {format_number(value)}{unit}"
