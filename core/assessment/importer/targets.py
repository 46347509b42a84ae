"""Numeric targets of an item: "秸秆综合利用率达到90%以上" -> 秸秆综合利用率 >= 90 %.

A target is a number with a comparison: a wording in front of it (达到,
不少于, 超过 ...) and/or after it (以上, 以下, 左右). The metric is the noun
phrase right before the comparison, within the same clause, with leading
verbs, time phrases and scope words stripped (确保, 在年底前, 使, 2020年,
辖区 ...).

Not every number with a comparison is a goal. A number that qualifies a noun
-- "年销售汽油量大于5000吨的加油站", "超过20辆的重点企业" -- is a scope
condition: the number (and its unit and suffix) is followed by 的. Numbers
without any comparison ("周边2公里内", "附件4") and years ("2020年",
"2021年度") are never targets either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from core.assessment.importer.model import Target

# Comparison words in front of the number, longest first so that 不少于 is not
# read as 少于. Each maps to an operator.
_PREFIX_OPS: dict[str, str] = {
    "不低于": ">=",
    "不少于": ">=",
    "不小于": ">=",
    "不超过": "<=",
    "不高于": "<=",
    "不大于": "<=",
    "不多于": "<=",
    "提高到": ">=",
    "提高至": ">=",
    "提升到": ">=",
    "提升至": ">=",
    "控制在": "<=",
    "降低到": "<=",
    "降低至": "<=",
    "下降到": "<=",
    "下降至": "<=",
    "达到": ">=",
    "达": ">=",
    "超过": ">",
    "高于": ">",
    "大于": ">",
    "多于": ">",
    "低于": "<",
    "少于": "<",
    "小于": "<",
    "约": "~",
    ">=": ">=",
    "<=": "<=",
    "≥": ">=",
    "≤": "<=",
    ">": ">",
    "<": "<",
}
# Wording after the number and unit; it decides the operator when present
# ("达到95%左右" is about 95 %, not at least 95 %).
_SUFFIX_OPS: dict[str, str] = {
    "及以上": ">=",
    "以上": ">=",
    "及以下": "<=",
    "以下": "<=",
    "以内": "<=",
    "左右": "~",
}
# Units seen in assessment documents; longest first for the regex.
_UNITS = (
    "个百分点", "百分点", "%", "‰", "万吨", "吨", "t", "万元", "元",
    "平方公里", "平方米", "公里", "千米", "公顷", "万亩", "亩", "米",
    "次", "个", "年", "家", "座", "辆", "台", "套", "处", "条", "项", "人", "户", "所", "天", "日",
    "小时", "分钟", "微克/立方米", "毫克/立方米", "μg/m³", "mg/m³",
)  # fmt: skip


def _alternation(words: Iterable[str]) -> str:
    """Regex alternation, longest first so that 不少于 wins over 少于."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_TARGET = re.compile(
    rf"(?P<prefix>{_alternation(_PREFIX_OPS)})?\s*"
    r"(?P<value>(?<![\d.])\d+(?:\.\d+)?)\s*"
    rf"(?P<unit>{_alternation(_UNITS)})?"
    rf"(?P<suffix>{_alternation(_SUFFIX_OPS)})?"
)
# Characters that end a clause: the metric never reaches across them.
_CLAUSE_BREAK = re.compile(r"[，；。：！？,;:!?（）()《》“”\"]")

# Leading words that are not part of the metric, stripped repeatedly.
_LEADING_NOISE = re.compile(
    r"^(?:"
    # time phrases: 在年底前, 2020年, 在2020年底前, 12月底前 ...
    r"(?:在|到|至|截至|于)?"
    r"(?:20\d{2}年(?:度|底|末|内)?|年底|年末|年内|\d{1,2}月(?:底|末|\d{1,2}日)?)+"
    r"(?:(?:之|以)?前)?"
    # verbs and fillers in front of the measured quantity
    r"|确保|保证|力争|争取|努力|要求|务必|使得|使|让|实现|推动|促进|进一步|全面|同时|并|且"
    # scope words
    r"|全区|全市|全省|辖区内|辖区|区域内|本区|本地区|本辖区"
    r")"
)
# Trailing words between the metric and the comparison ("利用率要达到").
_TRAILING_NOISE = re.compile(r"(?:要|应当|应|须|必须|需要|需|均|都|力争|稳定|保持|持续|逐步)$")

# One-character comparison words that also end common verbs: the verb's
# first characters, if they come right before, make it no comparison.
_NOT_A_COMPARISON: dict[str, tuple[str, ...]] = {
    "达": ("下", "传", "送", "转", "抵", "表", "发", "到", "通", "直"),
    "约": ("节", "制", "签", "合", "预", "公", "契", "相", "邀", "履"),
}


def _metric_before(text: str, end: int) -> str:
    """The noun phrase in the clause ending at ``end``, without fillers."""
    clause = _CLAUSE_BREAK.split(text[:end])[-1].strip()
    while True:
        stripped = _LEADING_NOISE.sub("", clause, count=1).strip()
        stripped = _TRAILING_NOISE.sub("", stripped).strip()
        if stripped == clause:
            return clause
        clause = stripped


def find_targets(text: str) -> tuple[Target, ...]:
    """All numeric goals stated in an item's text, in order."""
    targets: list[Target] = []
    for match in _TARGET.finditer(text):
        prefix = match.group("prefix")
        before = text[: match.start()]
        if prefix in _NOT_A_COMPARISON and before.endswith(_NOT_A_COMPARISON[prefix]):
            prefix = None  # "下达2个任务", "节约2吨" are verbs, not comparisons
        suffix = match.group("suffix")
        if not prefix and not suffix:
            continue  # a bare number ("2公里内", "附件4") states no goal
        unit = match.group("unit") or ""
        value_text = match.group("value")
        after = text[match.end() :]
        # "2020年" / "2021年度" are years, not quantities.
        if unit == "年" and re.fullmatch(r"(19|20)\d{2}", value_text):
            continue
        # "大于5000吨的加油站": the number qualifies a noun, it is a scope.
        if after.lstrip().startswith("的"):
            continue
        # The suffix decides when present: "达到95%左右" is about 95 %.
        op = _SUFFIX_OPS[suffix] if suffix else _PREFIX_OPS[prefix]
        metric_end = match.start("prefix") if prefix else match.start("value")
        targets.append(
            Target(
                metric=_metric_before(text, metric_end),
                op=op,
                value=Decimal(value_text),
                unit=unit,
            )
        )
    return tuple(targets)
