"""Item tables (考核细则) in Word files saved by LibreOffice, and table rules on small grids.

The fixtures under fixtures/ were built by fixtures/build_fixtures.py and round-tripped
through LibreOffice, so their XML is a word processor's, not python-docx's.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.assessment.importer import (
    ROLE_SUPPORTING,
    BoundUnit,
    DocumentError,
    ParsedDocument,
    UnplacedCell,
    format_summary,
    load_document,
)
from core.assessment.importer.structure import SourceLine, parse_lines
from core.assessment.importer.tables import Cell, TableGrid
from core.text.i18n import translator

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EN = translator("en")


def load(name: str) -> ParsedDocument:
    path = FIXTURES / name
    return load_document(path.read_bytes(), path.name)


def grid(rows: list[list[str]], number: int = 1) -> TableGrid:
    """A table without merged cells."""
    return TableGrid(
        number,
        [[Cell(text, (r, c)) for c, text in enumerate(row)] for r, row in enumerate(rows)],
    )


def test_fixtures_are_written_by_libreoffice_with_real_merges() -> None:
    for name in ("table-2021.docx", "table-features.docx", "mixed-list-table.docx"):
        with zipfile.ZipFile(FIXTURES / name) as archive:
            assert "LibreOffice" in archive.read("docProps/app.xml").decode()
    with zipfile.ZipFile(FIXTURES / "table-features.docx") as archive:
        xml = archive.read("word/document.xml").decode()
    assert '<w:vMerge w:val="continue"/>' in xml and '<w:gridSpan w:val="3"/>' in xml
    assert "<w:tblHeader" in xml


def test_2021_table_imports_all_items_in_document_order() -> None:
    doc = load("table-2021.docx")
    assert doc.year == 2021
    assert doc.title == "2021年度区直单位生态环境保护工作目标考核细则"
    assert [i.code for i in doc.items if i.kind == "general"] == ["G1", "G2", "G3"]
    assert [(d.name, len(d.item_codes)) for d in doc.departments] == [
        ("区发展改革局", 2),
        ("区工业和信息化局", 3),
        ("区生态环境分局", 3),
        ("区住房和城乡建设局", 1),
        ("区城市管理和综合执法局", 3),
    ]
    assert [d.dept_class for d in doc.departments] == ["A"] * 5
    assert [i.code for i in doc.items if i.kind == "b_class"] == ["B1"]
    assert doc.unplaced == () and doc.unplaced_cells == ()

    deadlines = {item.code: item.deadline for item in doc.items}
    assert deadlines["G1"] == dt.date(2021, 12, 31)  # 年底前
    assert deadlines["G2"] == dt.date(2021, 6, 30)  # 6月底前
    assert deadlines["G3"] == dt.date(2021, 12, 31)  # 全年
    assert deadlines["A1.1"] == dt.date(2021, 9, 30)  # 2021年9月30日前
    assert deadlines["A2.2"] == dt.date(2021, 10, 31)
    assert deadlines["A5.3"] == dt.date(2021, 11, 30)
    assert all(deadlines.values())

    a11 = doc.item("A1.1")
    assert a11.text == "牵头组织做好燃煤整治工作，淘汰燃煤锅炉不少于5台"
    assert (a11.targets[0].op, a11.targets[0].value, a11.targets[0].unit) == (">=", 5, "台")
    assert a11.standard == "每少1台扣1分" and a11.score == Decimal(4)
    a31 = doc.item("A3.1").targets[0]
    assert (a31.metric, a31.op, a31.value, a31.unit) == ("空气质量优良天数比例", ">=", 85, "%")
    assert doc.item("G3").score == Decimal(2)
    assert sum(item.score or 0 for item in doc.items) == 56  # every 分值 cell


def test_features_two_row_header_merges_same_as_above_and_units() -> None:
    doc = load("table-features.docx")
    # 通用 merged across 类别 | 牵头单位 | 配合单位 and down two rows: general, no unit.
    assert [i.code for i in doc.items if i.kind == "general"] == ["G1", "G2"]
    assert doc.item("G2").units == ()
    assert [(d.number, d.name) for d in doc.departments] == [
        (1, "区发展改革局"),
        (2, "区财政局"),
        (3, "区水利局"),
    ]
    # Row 2 of 区发展改革局 leaves unit cells blank: same as above, supporting unit too.
    assert doc.item("A1.1").units == (BoundUnit(2, ROLE_SUPPORTING),)
    assert doc.item("A1.2").units == (BoundUnit(2, ROLE_SUPPORTING),)
    # The header repeated mid-table is no item; the second table continues the first,
    # and its "发改局" is 区发展改革局.
    assert doc.item("A3.1").units == (BoundUnit(1, ROLE_SUPPORTING), BoundUnit(2, ROLE_SUPPORTING))
    # One item whose text cell is merged over two rows: both standards, the score it has.
    a21 = doc.item("A2.1")
    assert a21.standard == "按时拨付；资金到位率达到100%"
    assert a21.score == Decimal(2)
    assert [i.code for i in doc.items if i.kind == "b_class"] == ["B1"]  # 各B类单位
    assert all(d.dept_class == "A" for d in doc.departments)
    assert doc.unplaced == ()
    assert doc.unplaced_cells == (
        UnplacedCell(table=1, row=6, column=9, text="新增"),  # 备注
        UnplacedCell(table=1, row=9, column=7, text="优秀"),  # a score that is no number
    )


def test_mixed_list_and_table() -> None:
    doc = load("mixed-list-table.docx")
    assert [i.code for i in doc.items] == ["G1", "G2", "A1.1", "A2.1", "B1"]
    assert [d.name for d in doc.departments] == ["区发展改革局", "区工业和信息化局"]
    # "区发展改革局（牵头）、区工业和信息化局": the lead owns it, the other supports.
    assert doc.item("A1.1").units == (BoundUnit(2, ROLE_SUPPORTING),)
    assert doc.item("A1.1").deadline == dt.date(2021, 9, 30)
    assert doc.unplaced == () and doc.unplaced_cells == ()


def test_preview_shows_scores_deadlines_units_and_unplaced_cells() -> None:
    summary = format_summary(load("table-features.docx"), EN)
    assert "Scores and deadlines:" in summary
    assert "A1.1  score 4 · due 2021-06-30 · supporting: 区财政局" in summary
    assert "A3.1  score 5 · due 2021-12-31 · supporting: 区发展改革局、区财政局" in summary
    assert "Table cells that could not be placed: 2" in summary
    assert "  ? table 1, row 6, column 9: 新增" in summary
    assert "  ? table 1, row 9, column 7: 优秀" in summary
    assert "Every line was placed." not in summary
    zh = format_summary(load("table-2021.docx"), translator("zh"))
    assert "分值与完成时限：" in zh and "A1.1  分值 4 · 时限 2021-09-30" in zh


def test_list_documents_keep_their_summary_and_json(sample_doc: ParsedDocument) -> None:
    assert "Scores and deadlines:" not in format_summary(sample_doc, EN)
    for item in sample_doc.to_json_dict()["items"]:
        assert not {"score", "standard", "units"} & set(item)


@pytest.mark.parametrize(
    ("header", "unit", "kind"),
    [
        (["类别", "责任单位", "考核内容"], "各单位", "general"),
        (["类别", "责任单位", "考核内容"], "所有单位", "general"),
        (["类别", "责任单位", "考核内容"], "", "general"),
        (["分类", "牵头部门", "工作任务"], "区财政局", "department"),
        (["考核类别", "被考核单位", "考核要点"], "区财政局", "department"),
    ],
)
def test_header_variants_and_general_units(header: list[str], unit: str, kind: str) -> None:
    doc = parse_lines(
        [
            SourceLine("2021年考核细则"),
            grid([header, ["通用考核内容" if kind == "general" else "A类", unit, "做好工作"]]),
        ]
    )
    assert [item.kind for item in doc.items] == [kind]


def test_deadline_and_score_columns() -> None:
    doc = parse_lines(
        [
            SourceLine("2021年度考核细则"),
            grid(
                [
                    ["责任单位", "考核内容", "权重", "时间节点"],
                    ["区财政局", "甲工作", "5分", "全年"],
                    ["", "乙工作", "2.5", "2021年9月30日前"],
                    ["", "丙工作", "", "待定"],
                ]
            ),
        ]
    )
    assert [i.code for i in doc.items] == ["A1.1", "A1.2", "A1.3"]
    assert [i.score for i in doc.items] == [Decimal(5), Decimal("2.5"), None]
    assert [i.deadline for i in doc.items] == [dt.date(2021, 12, 31), dt.date(2021, 9, 30), None]
    assert doc.unplaced_cells == (UnplacedCell(1, 4, 4, "待定"),)


def test_department_rows_without_a_unit_are_reported_not_guessed() -> None:
    doc = parse_lines(
        [
            SourceLine("2021年度考核细则"),
            grid(
                [
                    ["类别", "责任单位", "考核内容"],
                    ["通用", "", "通用工作"],
                    ["A类", "", "谁的工作"],
                ]
            ),
        ]
    )
    assert [i.code for i in doc.items] == ["G1"]
    assert doc.unplaced_cells == (UnplacedCell(1, 3, 3, "谁的工作"),)


def test_a_table_without_item_header_reads_as_lines() -> None:
    lines = [SourceLine("一、通用考核内容"), SourceLine("1.做好工作。")]
    doc = parse_lines([TableGrid(1, [[Cell("无关", (0, 0))]], list(lines))])
    assert [i.code for i in doc.items] == ["G1"]


_WORDS = ["", "类别", "责任单位", "配合单位", "考核内容", "分值", "完成时限", "备注", "通用", "A类"]
_WORDS += [
    "B类",
    "各单位",
    "区财政局",
    "发改局",
    "做好工作",
    "5",
    "优秀",
    "年底前",
    "全年",
    "（续表）",
]


@settings(max_examples=150, deadline=None)
@given(
    tables=st.lists(
        st.lists(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=6), min_size=1, max_size=6),
        min_size=1,
        max_size=3,
    ),
    merge_down=st.booleans(),
)
def test_any_grid_parses_or_is_refused_cleanly(
    tables: list[list[list[str]]], merge_down: bool
) -> None:
    """Ragged rows, cells merged down anywhere, headers anywhere: never a crash."""
    blocks: list[SourceLine | TableGrid] = [SourceLine("2021年度考核细则")]
    for number, rows in enumerate(tables, 1):
        table = grid(rows, number)
        if merge_down:
            for r in range(1, len(table.rows)):
                above = table.rows[r - 1]
                if above and len(table.rows[r]) > 0:
                    table.rows[r][0] = above[0]
        blocks.append(table)
    try:
        doc = parse_lines(blocks)
    except DocumentError as error:
        assert error.reason_code in {"no_items", "empty"}
        return
    codes = [item.code for item in doc.items]
    assert len(codes) == len(set(codes))
    assert all(item.text for item in doc.items)
