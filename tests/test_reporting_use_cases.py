"""The quick report's use case on a recording fake of its reader/writer Protocols
(core/reporting/interfaces.py): refusals write nothing; a report is written once, with
the caption's status, value (on the item's first target) and text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.reporting import use_cases
from core.reporting.interfaces import QuickReportStore
from core.reporting.quick import parse_caption
from core.reporting.reports import ItemView, NewEvidence, Recorded, ReportRefused, TargetView

NOW = dt.datetime(2020, 5, 20, 2, 0, tzinfo=dt.UTC)


def view(code: str, department_id: int, *, target: bool = True) -> ItemView:
    return ItemView(
        binding_id=100 + department_id,
        item_id=7,
        department_id=department_id,
        code=code,
        title="秸秆综合利用",
        text="",
        kind="department",
        deadline=None,
        status="not_started",
        review_state="none",
        last_reported_at=None,
        report_count=0,
        evidence_count=0,
        evidence_required=False,
        bound_at=NOW,
        campaign_year=2020,
        targets=(TargetView(55, "秸秆综合利用率", ">=", Decimal(90), "%", None),) if target else (),
    )


@dataclass
class RecordingStore:
    """The Protocols' recording fake: items by (department, code); every write noted."""

    items: dict[tuple[int, str], ItemView] = field(default_factory=dict)
    refuse_writes: bool = False
    written: list[dict[str, Any]] = field(default_factory=list)

    async def department_items(self, department_id: int) -> list[ItemView]:
        return [v for (d, _), v in self.items.items() if d == department_id]

    async def own_item(self, department_id: int, code: str) -> ItemView | None:
        return self.items.get((department_id, code))

    async def code_exists(self, code: str) -> bool:
        return any(c == code for _, c in self.items)

    async def record_report(
        self,
        *,
        reporter_tg_id: int,
        department_id: int,
        binding_id: int,
        status: str,
        values: dict[int, Decimal],
        text: str,
        evidence: Sequence[NewEvidence],
        source: str,
        now: dt.datetime,
        source_message: tuple[int, int] | None = None,
    ) -> Recorded:
        if self.refuse_writes:
            raise ReportRefused("not_yours")
        self.written.append(
            {
                "reporter": reporter_tg_id,
                "binding": binding_id,
                "status": status,
                "values": values,
                "text": text,
                "source": source,
                "source_message": source_message,
            }
        )
        return Recorded(1, "A5.1", "秸秆综合利用", status, (), text, len(evidence), 0, now)


LIAISON = use_cases.Reporter(tg_id=1, department_id=5, is_liaison=True)


async def test_a_quick_report_on_the_liaisons_own_item_is_written_once() -> None:
    store = RecordingStore(items={(5, "A5.1"): view("A5.1", 5)})
    checked: QuickReportStore = store  # the fake satisfies the Protocol (mypy checks this)
    caption = parse_caption("#A5.1 92% 已完成 秸秆全部利用")
    assert caption is not None
    found = await use_cases.find_own_item(checked, LIAISON, caption.code)
    assert found.view is not None and found.refusal is None
    outcome = await use_cases.quick_report(
        checked, LIAISON, found.view, caption, [], now=NOW, source_message=(1, 42)
    )
    assert outcome.recorded is not None and outcome.refusal is None
    [written] = store.written
    assert written["binding"] == 105
    assert written["values"] == {55: Decimal(92)}
    assert written["status"] == "done"
    assert written["source"] == "quick" and written["source_message"] == (1, 42)


async def test_refusals_write_nothing() -> None:
    store = RecordingStore(items={(6, "A6.1"): view("A6.1", 6)})
    other_departments = await use_cases.find_own_item(store, LIAISON, "A6.1")
    assert other_departments.refusal is use_cases.Refusal.NOT_YOURS
    unknown = await use_cases.find_own_item(store, LIAISON, "Z9")
    assert unknown.refusal is use_cases.Refusal.NO_SUCH_ITEM
    office = use_cases.Reporter(tg_id=2, department_id=None, is_liaison=False)
    assert (await use_cases.find_own_item(store, office, "A6.1")).refusal is (
        use_cases.Refusal.NOT_A_LIAISON
    )
    caption = parse_caption("#A6.1 推进中")
    assert caption is not None
    refused = RecordingStore(refuse_writes=True)
    outcome = await use_cases.quick_report(
        refused, LIAISON, view("A6.1", 5), caption, [], now=NOW, source_message=None
    )
    assert outcome.refusal is use_cases.Refusal.UNAVAILABLE
    assert store.written == [] and refused.written == []


async def test_no_value_without_a_target() -> None:
    store = RecordingStore()
    caption = parse_caption("#G2 88 推进中")
    assert caption is not None
    await use_cases.quick_report(
        store, LIAISON, view("G2", 5, target=False), caption, [], now=NOW, source_message=None
    )
    assert store.written[0]["values"] == {}
