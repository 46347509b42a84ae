"""Builders of the documents of issue 23: the bundled annex with its department headings
typed as offices type them, and a city-scale plan of many departments.

Each heading variant rewrites every department heading of the annex (``（十六）`` on
its line, the name on the next) into one typed form; the parse must be the
original's. The plan names each department's number in every item's text, so a test
can see that no department holds another's items.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.assessment.importer.numerals import parse_chinese_numeral, to_chinese_numeral

# "\t（十六）\n\t区交警大队" in the shipped text.
HEADING = re.compile(r"^(\s*)（([一二三四五六七八九十]+)）\n\s*(\S+)$", re.MULTILINE)

Rewrite = Callable[[int, str, str], str]  # (number, chinese, name) -> the heading's lines


def rewrite_headings(text: str, rewrite: Rewrite, only: int | None = None) -> str:
    """Every heading (or only department ``only``) as ``rewrite`` types it."""

    def replace(match: re.Match[str]) -> str:
        indent, chinese, name = match.group(1), match.group(2), match.group(3)
        number = parse_chinese_numeral(chinese)
        assert number is not None
        if only is not None and number != only:
            return match.group(0)
        return indent + rewrite(number, chinese, name)

    rewritten, count = HEADING.subn(replace, text)
    assert count == 17, count
    assert rewritten != text
    return rewritten


#: name -> how the heading is typed; every one must parse as the original.
HEADING_FORMS: dict[str, Rewrite] = {
    "half_width_brackets_digits": lambda n, c, name: f"({n})\n{name}",
    "full_width_brackets_digits": lambda n, c, name: f"（{n}）\n{name}",
    "half_width_brackets_digits_with_name": lambda n, c, name: f"({n}){name}",
    "half_width_brackets_chinese": lambda n, c, name: f"({c})\n{name}",
    "chinese_enumeration_alone": lambda n, c, name: f"{c}、\n{name}",
    "chinese_enumeration_with_name": lambda n, c, name: f"{c}、{name}",
    "digit_enumeration_alone": lambda n, c, name: f"{n}、\n{name}",
    "digit_enumeration_with_name": lambda n, c, name: f"{n}、{name}",
    "digit_full_stop_with_name": lambda n, c, name: f"{n}.{name}",
    "ordinal_chinese": lambda n, c, name: f"第{c}\n{name}",
    "ordinal_digits_with_name": lambda n, c, name: f"第{n} {name}",
    "spaces_inside_chinese": lambda n, c, name: "（ " + " ".join(c) + f" ）\n{name}",
    "spaces_inside_digits": lambda n, c, name: f"( {n} ) {name}",
    "full_width_digits": lambda n, c, name: (
        "（" + "".join(chr(0xFF10 + int(d)) for d in str(n)) + f"）\n{name}"
    ),
    "chinese_with_leading_one": lambda n, c, name: (
        f"（一{c}）\n{name}" if c.startswith("十") else f"（{c}）\n{name}"
    ),
    # Mixed, as a document edited by several people is.
    "mixed": lambda n, c, name: [
        f"({n})\n{name}",
        f"{c}、{name}",
        f"（{n}）{name}",
        f"{n}、\n{name}",
        f"第{c}\n{name}",
    ][n % 5],
}


def items_numbered_in_brackets(text: str) -> str:
    """Items as "（1）" -- the same shape as a department heading "（16）"."""
    return re.sub(r"(?m)^(\s*)(\d+)\.", r"\1（\2）", text)


def city_plan(
    departments: int = 200,
    items_per_department: Callable[[int], int] = lambda n: 1 + n % 5,
    heading: Callable[[int, str], str] | None = None,
) -> str:
    """A plan of ``departments`` departments numbered （一）…（二百）; each item names its
    department's number ("第137号单位") so that a wrong binding shows."""
    if heading is None:

        def heading(number: int, name: str) -> str:
            return f"（{to_chinese_numeral(number)}）\n{name}"

    lines = [
        "附件2",
        "市直单位生态环境保护工作目标考核要点",
        "一、通用考核内容",
        "1.专题研究部署生态环境保护工作不少于2次；",
        "2.按时报送工作进展。",
        "二、A类部门考核内容",
    ]
    for number in range(1, departments + 1):
        lines.append(heading(number, department_name(number)))
        for item in range(1, items_per_department(number) + 1):
            lines.append(f"{item}.第{number}号单位事项{item}：完成职责范围内的整治任务；")
    lines += ["三、B类部门考核内容", "根据各自职责，做好生态环境保护相关工作。"]
    return "\n".join(lines)


def department_name(number: int) -> str:
    return f"市第{number}号单位管理局"


def named_number(text: str) -> int:
    """The department number an item of :func:`city_plan` names."""
    match = re.search(r"第(\d+)号单位", text)
    assert match is not None, text
    return int(match.group(1))
