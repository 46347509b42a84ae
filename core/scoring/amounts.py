"""Points as decimals: parsing what people type, and the one way amounts are shown.

Every amount in scoring is a `Decimal` with at most two places (the database holds
Numeric(8, 2)); floats never enter. `parse_amount` accepts what an office types
("8", "8.5", "８．５", "-2" only where allowed) and refuses anything else.
"""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HALF = Decimal("0.5")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
MAX_AMOUNT = Decimal("999999.99")  # Numeric(8, 2)


class BadAmount(ValueError):
    """Not a number of points with at most two decimal places."""


def parse_amount(text: str) -> Decimal:
    """`"8.5"` -> Decimal("8.5"). Refuses negatives, NaN, exponents, more than 2 places."""
    cleaned = unicodedata.normalize("NFKC", text).strip().replace("。", ".")
    if not cleaned or any(ch not in "0123456789." for ch in cleaned) or cleaned.count(".") > 1:
        raise BadAmount(text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # "." alone
        raise BadAmount(text) from exc
    if value != value.quantize(CENT) or value > MAX_AMOUNT:
        raise BadAmount(text)
    return value.quantize(CENT)


def rounded(value: Decimal) -> Decimal:
    """Two places, half up: the one rounding of a computed amount (e.g. 折算分)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def show(value: Decimal) -> str:
    """`Decimal("8.50")` -> "8.5", `Decimal("10.00")` -> "10": how every screen and file
    writes an amount, so they agree to the last digit."""
    text = format(rounded(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
