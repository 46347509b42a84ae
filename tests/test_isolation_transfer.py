"""The child's answer (runtime.isolation.transfer) carries a ParsedDocument exactly: a
property test against equality of the dataclasses, and strict refusal of wrong shapes
(the text comes from a process that read a hostile file)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.assessment.importer.model import (
    BoundUnit,
    ParsedDepartment,
    ParsedDocument,
    ParsedItem,
    Target,
    UnplacedCell,
)
from runtime.isolation.transfer import decode_document, encode

text = st.text(max_size=20)
decimals = st.decimals(
    allow_nan=False, allow_infinity=False, places=3, min_value=-1e6, max_value=1e6
)
targets = st.builds(
    Target, metric=text, op=st.sampled_from([">=", "<=", "~"]), value=decimals, unit=text
)
items = st.builds(
    ParsedItem,
    code=text,
    kind=st.sampled_from(["general", "department", "b_class"]),
    text=text,
    title=text,
    deadline=st.none() | st.dates(),
    targets=st.lists(targets, max_size=3).map(tuple),
    department_number=st.none() | st.integers(0, 50),
    standard=text,
    score=st.none() | decimals,
    units=st.lists(
        st.builds(BoundUnit, department_number=st.integers(0, 50), role=text), max_size=2
    ).map(tuple),
)
documents = st.builds(
    ParsedDocument,
    year=st.none() | st.integers(2000, 2100),
    title=st.none() | text,
    departments=st.lists(
        st.builds(
            ParsedDepartment,
            number=st.integers(0, 50),
            name=text,
            dept_class=st.sampled_from(["A", "B"]),
            item_codes=st.lists(text, max_size=3).map(tuple),
        ),
        max_size=3,
    ).map(tuple),
    items=st.lists(items, max_size=4).map(tuple),
    unplaced=st.lists(text, max_size=3).map(tuple),
    unplaced_cells=st.lists(
        st.builds(
            UnplacedCell,
            table=st.integers(1, 9),
            row=st.integers(1, 99),
            column=st.integers(1, 9),
            text=text,
        ),
        max_size=2,
    ).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(documents)
def test_a_document_crosses_as_json_unchanged(document: ParsedDocument) -> None:
    wire = json.dumps(encode(document), ensure_ascii=False)
    back = decode_document(json.loads(wire))
    assert back == document
    assert back.fingerprint() == document.fingerprint()
    # Decimals stay decimals with their digits: 0.1 never becomes 0.1000000000000000055.
    for mine, theirs in zip(back.items, document.items, strict=True):
        assert [t.value for t in mine.targets] == [t.value for t in theirs.targets]
        assert all(isinstance(t.value, Decimal) for t in mine.targets)


@pytest.mark.parametrize(
    "spoiled",
    [
        {"year": "2020"},
        {"items": [{"code": 1}]},
        {"items": "not a list"},
        {"departments": [{"number": True, "name": "x", "dept_class": "A", "item_codes": []}]},
        {"title": ["x"]},
    ],
)
def test_a_wrong_shape_is_refused(spoiled: dict[str, Any]) -> None:
    good = encode(ParsedDocument(2020, "t", (), (), ()))
    with pytest.raises(ValueError):
        decode_document({**good, **spoiled})


def test_a_missing_field_is_refused() -> None:
    good = encode(ParsedDocument(2020, "t", (), (), ()))
    del good["items"]
    with pytest.raises(ValueError):
        decode_document(good)
