"""The default points of a scheme (评分办法) without the document's 分值.

Plans score 100 per department in two blocks: the common items (通用, G1-G8, bound to
every department) share `common` points and the department's own items (its A-items,
or B1 for a B-class department) share `own`. Within a block the share is split equally
in steps of 0.5, the remainder on the block's last item, so each block adds up exactly
and every department totals common + own (100 by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from core.scoring.amounts import HALF, ZERO

BLOCK_COMMON, BLOCK_OWN, BLOCK_SUPPORTING = "common", "own", "supporting"


def split_block(share: Decimal, count: int) -> list[Decimal]:
    """`share` over `count` items: equal steps of 0.5, the remainder on the last.

    30 over 8 -> seven of 3.5 and 5.5; 70 over 5 -> 14 each; 70 over 1 -> 70.
    """
    if count <= 0:
        return []
    step = (share / count / HALF).to_integral_value(rounding=ROUND_FLOOR) * HALF
    each = max(step, ZERO)
    return [each] * (count - 1) + [share - each * (count - 1)]


@dataclass(frozen=True)
class PointSlot:
    """One binding as the default split sees it: whose, which block, in what order."""

    binding_id: int
    department_id: int
    block: str  # BLOCK_COMMON / BLOCK_OWN / BLOCK_SUPPORTING
    order: tuple[int, int, int]  # the item's place in the document (code_key)
    document_points: Decimal | None = None  # the table's 分值, where it gives one


def default_points(
    slots: Sequence[PointSlot], *, common: Decimal, own: Decimal, from_document: bool
) -> dict[int, Decimal]:
    """binding id -> points. From the document: its 分值 (0 where a row gave none).
    Otherwise the two blocks per department; a supporting binding gets the points of
    the same split as if it were the unit's own (shown, not counted by default)."""
    if from_document:
        return {slot.binding_id: slot.document_points or ZERO for slot in slots}
    points: dict[int, Decimal] = {}
    groups: dict[tuple[int, str], list[PointSlot]] = {}
    for slot in slots:
        block = BLOCK_COMMON if slot.block == BLOCK_COMMON else BLOCK_OWN
        if slot.block == BLOCK_SUPPORTING:
            continue
        groups.setdefault((slot.department_id, block), []).append(slot)
    for (_department, block), members in groups.items():
        members.sort(key=lambda s: (s.order, s.binding_id))
        share = common if block == BLOCK_COMMON else own
        for slot, value in zip(members, split_block(share, len(members)), strict=True):
            points[slot.binding_id] = value
    for slot in slots:
        if slot.block == BLOCK_SUPPORTING:
            points[slot.binding_id] = slot.document_points or ZERO
    return points
