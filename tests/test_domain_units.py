"""Domain pieces that need neither Telegram nor a database: matching, values, captions,
the evidence store's paths and types, and the permission table's shape."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.people.permissions import COMMANDS, ChatKind, Decision, Role, check, commands_for
from core.reporting.evidence import (
    EvidenceRejected,
    EvidenceStore,
    accepted_document_type,
    safe_segment,
)
from core.reporting.quick import parse_caption
from core.reporting.values import meets, parse_value
from core.text.matching import Named, match_names, normalize_code

DEPARTMENTS = [
    Named(1, "区发展改革局", ("发展改革局",)),
    Named(5, "区农业农村局", ("农业农村局",)),
    Named(10, "区城管执法局", ()),
    Named(12, "区城市管理综合执法大队", ()),
    Named(17, "市生态环境局雨花分局", ()),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("农业", [5]),
        ("区农业农村局", [5]),
        ("发改", [1]),
        ("发改局", [1]),
        ("  农 业 ", [5]),
        ("城", [10, 12]),  # ambiguous: both offered
        ("执法", [10, 12]),
        ("生态", [17]),
        ("教育局", []),
        ("", []),
    ],
)
def test_department_matching_is_forgiving(query: str, expected: list[int]) -> None:
    assert [d.id for d in match_names(query, DEPARTMENTS)] == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("A5.1", "A5.1"),
        ("a5.1", "A5.1"),
        ("Ａ５．１", "A5.1"),
        ("#G1", "G1"),
        ("b1", "B1"),
        ("A05.01", "A5.1"),
        ("X1", None),
        ("A5.1'; DROP TABLE", None),
        ("", None),
    ],
)
def test_item_codes(text: str, code: str | None) -> None:
    assert normalize_code(text) == code


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("92", Decimal(92)),
        ("92%", Decimal(92)),
        ("９２％", Decimal(92)),
        ("92.5", Decimal("92.5")),
        (" 92 % ", Decimal(92)),
        ("2次", Decimal(2)),
        ("ninety", None),
        ("92%%", None),
        ("-5", None),
        ("1e9", None),
        ("", None),
        ("92.12345", None),
        ("9" * 12, None),
    ],
)
def test_values_people_type(text: str, value: Decimal | None) -> None:
    assert parse_value(text) == value


def test_meeting_targets() -> None:
    assert meets(Decimal(92), ">=", Decimal(90))
    assert not meets(Decimal(88), ">=", Decimal(90))
    assert meets(Decimal(94), "~", Decimal(95))
    assert not meets(Decimal(80), "~", Decimal(95))


def test_quick_caption() -> None:
    caption = parse_caption("#A5.1 92% 秸秆综合利用已完成")
    assert caption is not None
    assert (caption.code, caption.status, caption.value) == ("A5.1", "done", Decimal(92))
    assert parse_caption("#A5.1 未完成").status == "in_progress"  # type: ignore[union-attr]
    assert parse_caption("#A3.4 2020年推进中").value is None  # type: ignore[union-attr]
    assert parse_caption("A5.1 no hash") is None
    assert parse_caption(None) is None


def test_evidence_store_is_content_addressed_and_confined(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    staged = store.stage(b"photo-bytes", "jpg")
    again = store.stage(b"photo-bytes", "jpg")
    assert staged == again
    path = store.final_relative_path(staged, 1, 5, "../../etc/passwd")
    assert ".." not in path.split("/")
    placed = store.place(staged, path)
    assert placed.read_bytes() == b"photo-bytes"
    assert store.sha256_of(path) == staged.sha256
    with pytest.raises(ValueError, match="escapes"):
        store.path_of("../outside.txt")
    assert safe_segment("../..") == "x"


@pytest.mark.parametrize(
    ("mime", "name", "ok"),
    [
        ("application/pdf", "plan.pdf", True),
        (None, "表格.xlsx", True),
        ("application/octet-stream", "a.docx", True),
        ("application/x-msdownload", "a.exe", False),
        ("application/octet-stream", "a.exe", False),
        ("application/pdf", "a.exe", True),
        ("application/pdf", "a.docx", False),
        ("audio/ogg", "v.ogg", False),
    ],
)
def test_document_types(mime: str | None, name: str, ok: bool) -> None:
    if ok:
        accepted_document_type(mime, name)
    else:
        with pytest.raises(EvidenceRejected):
            accepted_document_type(mime, name)


def test_permission_table_shape() -> None:
    names = [rule.name for rule in COMMANDS]
    assert len(names) == len(set(names))
    assert {r.name for r in commands_for(Role.STRANGER, ChatKind.PRIVATE)} == {
        "start",
        "help",
        "join",
        "lang",
        "cancel",
    }
    assert check("report", Role.LIAISON, ChatKind.PRIVATE) is Decision.ALLOWED
    assert check("report", Role.LEADER, ChatKind.PRIVATE) is Decision.ROLE
    assert check("status", Role.LEADER, ChatKind.GROUP) is Decision.ALLOWED
    assert check("setgroup", Role.ADMIN, ChatKind.PRIVATE) is Decision.CHAT
    assert check("nope", Role.ADMIN, ChatKind.PRIVATE) is Decision.UNKNOWN_COMMAND


def test_domain_never_imports_telegram() -> None:
    root = Path(__file__).resolve().parent.parent
    offenders = [
        str(p.relative_to(root))
        for folder in ("core", "storage")
        for p in (root / folder).rglob("*.py")
        if any(
            line.strip().startswith(("import telegram", "from telegram"))
            for line in p.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []
