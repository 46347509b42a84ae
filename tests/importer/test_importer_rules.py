"""The parser's rules one by one: targets, deadlines, normalisation, structure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.assessment.importer import parse_text
from core.assessment.importer.deadlines import detect_year, find_deadline
from core.assessment.importer.targets import find_targets
from core.assessment.importer.text import normalise_line

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _targets(text: str) -> list[tuple[str, str, Decimal, str]]:
    return [(t.metric, t.op, t.value, t.unit) for t in find_targets(normalise_line(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("确保辖区秸秆综合利用率达到90%以上", [("秸秆综合利用率", ">=", Decimal(90), "%")]),
        ("确保辖区秸秆综合利用率达到９０％以上", [("秸秆综合利用率", ">=", Decimal(90), "%")]),
        ("城市污水处理率达到95%左右", [("城市污水处理率", "~", Decimal(95), "%")]),
        ("空气优良天数比例约80%", [("空气优良天数比例", "~", Decimal(80), "%")]),
        (
            "全区PM2.5平均浓度不高于35微克/立方米",
            [("PM2.5平均浓度", "<=", Decimal(35), "微克/立方米")],
        ),
        ("重污染天数不超过5天", [("重污染天数", "<=", Decimal(5), "天")]),
        ("劣V类水体比例低于5%", [("劣V类水体比例", "<", Decimal(5), "%")]),
        ("检查次数少于3次的扣分", []),  # "3次的": a qualifier
        ("农药使用量控制在10%以内", [("农药使用量", "<=", Decimal(10), "%")]),
        ("森林覆盖率超过40%", [("森林覆盖率", ">", Decimal(40), "%")]),
        ("新增充电桩不少于200个", [("新增充电桩", ">=", Decimal(200), "个")]),
        (
            "在2020年底前使黑臭水体消除比例达到90.5%",
            [("黑臭水体消除比例", ">=", Decimal("90.5"), "%")],
        ),
        ("对年销售汽油量大于5000吨的加油站安装设备", []),
        ("对货运柴油车超过20辆的重点企业完善制度", []),
        ("VOCs年排放量大于10t以上的企业污染治理", []),
        ("重点区域周边2公里内洒水", []),
        ("道路机械化清扫率达到市级下达的目标要求", []),
        ("完成2020年度土壤项目，启动2021年度建设", []),
        ("完成市里下达2个任务", []),  # 下达 is a verb, not 达
    ],
)
def test_targets(text: str, expected: list[tuple[str, str, Decimal, str]]) -> None:
    assert _targets(text) == expected


@pytest.mark.parametrize(
    ("text", "year", "expected"),
    [
        ("确保相关任务在年底前全面完成", 2020, date(2020, 12, 31)),
        ("年内完成", 2020, date(2020, 12, 31)),
        ("年末前完成", 2021, date(2021, 12, 31)),
        ("12月底前完成", 2020, date(2020, 12, 31)),
        ("6月底前完成", 2020, date(2020, 6, 30)),
        ("2月底前完成", 2020, date(2020, 2, 29)),
        ("六月底前完成", 2020, date(2020, 6, 30)),
        ("9月30日前完成", 2020, date(2020, 9, 30)),
        ("6月底前完成摸底，年底前完成整治", 2020, date(2020, 12, 31)),
        ("2021年底前完成", 2020, date(2021, 12, 31)),
        ("上半年完成", 2020, date(2020, 6, 30)),
        ("年底前完成", None, None),
        ("2021年6月底前完成", None, date(2021, 6, 30)),
        ("三年内完成", 2020, None),
        ("完成年度任务", 2020, None),
        ("按期完成核发工作", 2020, None),
    ],
)
def test_deadlines(text: str, year: int | None, expected: date | None) -> None:
    assert find_deadline(text, year) == expected


def test_detect_year() -> None:
    assert detect_year("2021年度考核要点", ["2020年", "2020年"]) == 2021
    assert detect_year(None, ["2020年度", "启动2021年度", "2020年夏季"]) == 2020
    assert detect_year(None, ["2019年", "2022年"]) == 2019  # tie: first mention
    assert detect_year("考核要点", ["无年份"]) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[bookmark: _GoBack]区直单位[bookmark: _Toc1]考核要点", "区直单位考核要点"),
        ("\t\u3000 1.做好工作;\t", "1.做好工作；"),
        ('开展"散乱污"企业整治,建立台账.', "开展“散乱污”企业整治，建立台账。"),
        ("(一) 区发展改革局", "（一）区发展改革局"),
        ("１．达到９０％", "1．达到90%"),
        ("PM2.5浓度下降1,000吨", "PM2.5浓度下降1,000吨"),
        ("Plain English, left alone.", "Plain English, left alone."),
        ("\ufeff\u200b区 发展 改革局", "区发展改革局"),
    ],
)
def test_normalise_line(raw: str, expected: str) -> None:
    assert normalise_line(raw) == expected


def test_structure_rules_fixture() -> None:
    text = (FIXTURES / "structure-rules.txt").read_text(encoding="utf-8")
    doc = parse_text(text)
    assert doc.title == "2021年度某区生态环境保护工作目标考核细则"
    assert doc.year == 2021  # the title's year
    items = {item.code: item for item in doc.items}
    assert list(items) == ["G1", "G2", "A1.1", "A1.2", "A2.1", "B1"]
    # A line without a number that continues an unfinished item joins it.
    assert items["G1"].text == "第一条通用要求，内容很长被换行到下一行"
    # Sub-points in another numbering style after "：" stay in their item.
    assert items["G2"].text == "做好以下工作：（1）建立台账；（2）每季度报送一次"
    assert [(d.number, d.name, d.item_codes) for d in doc.departments] == [
        (1, "区测试局", ("A1.1", "A1.2")),
        (2, "区另一中心", ("A2.1",)),
    ]
    (target,) = items["A1.1"].targets
    assert (target.metric, target.op, target.value, target.unit) == (
        "空气质量优良天数比例",
        ">=",
        Decimal(85),
        "%",
    )
    assert items["A1.2"].deadline == date(2021, 12, 31)
    # After "；" an unnumbered line is not guessed into the item; an unknown
    # section and its lines are reported too.
    assert doc.unplaced == ("这是一条无法归属的说明。", "四、附则", "本细则由区环委办负责解释。")


def test_number_alone_on_its_line() -> None:
    doc = parse_text("一、通用考核内容\n1.\n做好工作；\n2.\n建立台账。")
    assert [(item.code, item.text) for item in doc.items] == [
        ("G1", "做好工作"),
        ("G2", "建立台账"),
    ]


def test_b_class_numbered_items_and_department_outside_a_section() -> None:
    doc = parse_text(
        "一、通用考核内容\n1.做好工作。\n（一）区某局\n三、B类部门考核内容\n1.配合工作；\n2.支持工作。"
    )
    assert [item.code for item in doc.items] == ["G1", "B1", "B2"]
    assert doc.departments == ()
    assert doc.unplaced == ("（一）区某局",)


def test_colons_and_annex_prefix() -> None:
    doc = parse_text(
        "附件3 2020年度考核要点\n一、通用考核内容：\n1.做好工作；\n"
        "二、A类部门考核内容：\n（一）\n区发展改革局：\n1.牵头组织做好燃煤整治工作。"
    )
    assert doc.title == "2020年度考核要点"
    assert doc.year == 2020
    assert [item.code for item in doc.items] == ["G1", "A1.1"]
    assert doc.departments[0].name == "区发展改革局"
    assert doc.unplaced == ()


def test_department_without_a_name_line() -> None:
    doc = parse_text("二、A类部门考核内容\n（一）\n1.牵头组织做好燃煤整治工作。")
    assert doc.departments[0].name == ""
    assert doc.departments[0].item_codes == ("A1.1",)


def test_named_b_class_departments_keep_running_b_codes() -> None:
    doc = parse_text(
        "三、B类部门考核内容\n（一）区某局\n1.配合工作；\n2.支持工作。\n（二）区另一局\n做好保障。"
    )
    assert [(item.code, item.kind, item.department_number) for item in doc.items] == [
        ("B1", "b_class", 1),
        ("B2", "b_class", 1),
        ("B3", "b_class", 2),
    ]
    assert [(d.name, d.dept_class, d.item_codes) for d in doc.departments] == [
        ("区某局", "B", ("B1", "B2")),
        ("区另一局", "B", ("B3",)),
    ]
