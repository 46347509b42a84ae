"""The real Annex 3 (2020): what an admin would check in the dry run."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from core.assessment.importer import ParsedDocument, Target, parse_text

DEPARTMENT_NAMES = [
    "区发展改革局",
    "区工业和信息化局",
    "区住房城乡建设局",
    "区交通运输局",
    "区农业农村局",
    "区商务局",
    "区文旅体局",
    "区卫生健康局",
    "区市场监管局",
    "区城管执法局",
    "区两型社会建设服务中心",
    "区城市管理综合执法大队",
    "区市容环境卫生维护中心",
    "区市政设施维护中心",
    "区公安分局",
    "区交警大队",
    "市生态环境局雨花分局",
]
ITEMS_PER_DEPARTMENT = [3, 6, 5, 5, 7, 4, 3, 4, 5, 4, 1, 2, 6, 1, 4, 4, 13]


def _targets(doc: ParsedDocument, code: str) -> list[tuple[str, str, Decimal, str]]:
    return [(t.metric, t.op, t.value, t.unit) for t in doc.item(code).targets]


def test_title_year_and_nothing_unplaced(sample_doc: ParsedDocument) -> None:
    assert sample_doc.title == "区直单位及市垂直管理单位生态环境保护工作目标考核要点"
    assert sample_doc.year == 2020
    assert sample_doc.unplaced == ()


def test_general_items(sample_doc: ParsedDocument) -> None:
    general = [item for item in sample_doc.items if item.kind == "general"]
    assert [item.code for item in general] == [f"G{n}" for n in range(1, 9)]
    assert all(item.department_number is None for item in general)
    assert general[0].text == "专题研究部署职责范围内生态环境保护工作不少于2次"


def test_departments_in_document_order(sample_doc: ParsedDocument) -> None:
    assert [d.number for d in sample_doc.departments] == list(range(1, 18))
    assert [d.name for d in sample_doc.departments] == DEPARTMENT_NAMES
    assert {d.dept_class for d in sample_doc.departments} == {"A"}
    assert [len(d.item_codes) for d in sample_doc.departments] == ITEMS_PER_DEPARTMENT
    for department in sample_doc.departments:
        expected = tuple(
            f"A{department.number}.{n}" for n in range(1, len(department.item_codes) + 1)
        )
        assert department.item_codes == expected


def test_department_items(sample_doc: ParsedDocument) -> None:
    items = [item for item in sample_doc.items if item.kind == "department"]
    assert len(items) == 77
    assert items[0].code == "A1.1"
    assert items[-1].code == "A17.13"
    assert sample_doc.item("A5.1").department_number == 5
    # Departments with one unnumbered item get ".1".
    assert sample_doc.item("A11.1").text == "按要求牵头完成老旧小区居民家庭餐厨油烟污染治理项目"
    assert sample_doc.item("A14.1").text == "加强辖区市政排口日常维护，避免出现旱季溢流问题"


def test_b_class_item(sample_doc: ParsedDocument) -> None:
    b_items = [item for item in sample_doc.items if item.kind == "b_class"]
    assert [item.code for item in b_items] == ["B1"]
    assert b_items[0].text == "根据各自职责，支持、配合好全区生态环境保护相关工作"
    assert b_items[0].department_number is None
    assert len(sample_doc.items) == 8 + 77 + 1


def test_item_text_and_title_are_clean(sample_doc: ParsedDocument) -> None:
    for item in sample_doc.items:
        assert item.text and not item.text.endswith(("；", "。", ";", "."))
        assert "bookmark" not in item.text
        assert len(item.title) <= 24
        assert item.title.removesuffix("…") in item.text
    assert sample_doc.item("A5.1").title == "全面禁止露天焚烧秸秆"
    # A leading "按照…部署" clause names nothing; the title is what is to be done.
    assert sample_doc.item("A3.3").title == "推进城市污水处理及污泥无害化处理工作"
    assert sample_doc.item("A1.3").title == "配合工信部门开展“散乱污”企业综合整治工作"
    assert sample_doc.item("G2").title == "对污染防治攻坚战有关建设项目底数、进展情况等建…"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("A5.1", [("秸秆综合利用率", ">=", Decimal(90), "%")]),
        (
            "A3.3",
            [
                ("城市污水处理率", "~", Decimal(95), "%"),
                ("污泥无害化处置率", ">=", Decimal(90), "%"),
            ],
        ),
        ("A3.4", [("黑臭水体消除比例", ">=", Decimal(90), "%")]),
        (
            "A5.3",
            [
                ("畜禽养殖粪便污水综合利用率", ">=", Decimal(75), "%"),
                ("规模养殖场粪便污水处理设施配套率", ">=", Decimal(95), "%"),
            ],
        ),
        ("A17.7", [("污染地块安全利用率", ">=", Decimal(90), "%")]),
    ],
)
def test_required_targets(
    sample_doc: ParsedDocument, code: str, expected: list[tuple[str, str, Decimal, str]]
) -> None:
    assert _targets(sample_doc, code) == expected


def test_g1_count_target(sample_doc: ParsedDocument) -> None:
    (target,) = sample_doc.item("G1").targets
    assert (target.op, target.value, target.unit) == (">=", Decimal(2), "次")
    assert target.metric.startswith("专题研究部署")


@pytest.mark.parametrize("code", ["A6.1", "A4.4", "A17.1", "A13.1", "A13.3", "A17.8", "G5", "G6"])
def test_scope_conditions_and_years_are_no_targets(sample_doc: ParsedDocument, code: str) -> None:
    assert sample_doc.item(code).targets == ()


def test_only_the_expected_items_have_targets(sample_doc: ParsedDocument) -> None:
    with_targets = [item.code for item in sample_doc.items if item.targets]
    assert with_targets == ["G1", "A3.3", "A3.4", "A5.1", "A5.3", "A17.7"]


def test_deadlines(sample_doc: ParsedDocument) -> None:
    year_end = date(2020, 12, 31)
    for code in ("A3.3", "A17.10", "A5.2", "A6.1"):
        assert sample_doc.item(code).deadline == year_end, code
    assert sample_doc.item("G2").deadline is None
    with_deadline = [item.code for item in sample_doc.items if item.deadline is not None]
    assert with_deadline == ["A3.3", "A5.2", "A6.1", "A17.10"]


def test_year_argument_overrides_the_text(sample_text: str) -> None:
    doc = parse_text(sample_text, year=2021)
    assert doc.year == 2021
    assert doc.item("A3.3").deadline == date(2021, 12, 31)


def test_no_year_anywhere_gives_none(sample_text: str) -> None:
    text = sample_text.replace("2020年", "本年").replace("2021年", "下年")
    doc = parse_text(text)
    assert doc.year is None
    assert doc.item("A3.3").deadline is None


def test_json_shape(sample_doc: ParsedDocument) -> None:
    data = sample_doc.to_json_dict()
    assert list(data) == [
        "year",
        "title",
        "departments",
        "items",
        "unplaced",
        "unplaced_cells",
        "problems",
    ]
    assert data["departments"][4] == {
        "number": 5,
        "name": "区农业农村局",
        "class": "A",
        "items": [f"A5.{n}" for n in range(1, 8)],
    }
    a51 = next(item for item in data["items"] if item["code"] == "A5.1")
    assert list(a51) == ["code", "kind", "title", "text", "deadline", "targets"]
    assert a51["kind"] == "department"
    assert a51["deadline"] is None
    assert a51["targets"] == [{"metric": "秸秆综合利用率", "op": ">=", "value": 90, "unit": "%"}]
    assert isinstance(a51["targets"][0]["value"], int)
    a33 = next(item for item in data["items"] if item["code"] == "A3.3")
    assert a33["deadline"] == "2020-12-31"
    assert data["unplaced"] == []
    encoded = json.dumps(data, ensure_ascii=False)
    assert json.loads(encoded) == data


def test_json_value_non_integral_is_float() -> None:
    target = Target("排放浓度", "<=", Decimal("0.5"), "mg/m³")
    assert target.to_json_dict()["value"] == 0.5
    assert isinstance(target.to_json_dict()["value"], float)


def test_fingerprint_is_stable_and_content_sensitive(
    sample_text: str, sample_doc: ParsedDocument
) -> None:
    fingerprint = sample_doc.fingerprint()
    assert len(fingerprint) == 64
    assert int(fingerprint, 16) >= 0
    assert parse_text(sample_text).fingerprint() == fingerprint
    assert parse_text(sample_text, year=2021).fingerprint() != fingerprint
    changed = sample_text.replace("达到90%以上", "达到80%以上", 1)
    assert parse_text(changed).fingerprint() != fingerprint
