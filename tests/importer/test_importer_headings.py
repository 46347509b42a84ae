"""Issue 23: department headings as people type them, and refusal where one cannot be read.

Never a department holding another's items: each typed form parses exactly as the
bundled annex; each broken heading is refused, naming its line and number.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.assessment.importer import (
    ParsedDocument,
    StructureError,
    format_refusal,
    format_summary,
    parse_text,
)
from core.assessment.importer.model import (
    PROBLEM_HEADING_NUMBER,
    PROBLEM_HEADING_WITHOUT_NUMBER,
    PROBLEM_NUMBERING_RESTART,
    PROBLEM_UNREADABLE_HEADING,
)
from core.assessment.importer.numerals import (
    parse_chinese_numeral,
    parse_numeral,
    to_chinese_numeral,
)
from tests.importer.heading_variants import (
    HEADING_FORMS,
    Rewrite,
    city_plan,
    department_name,
    items_numbered_in_brackets,
    named_number,
    rewrite_headings,
)

# ----------------------------------------------------------------- the numeral parser

# Written out by hand: the awkward ones, as documents write them.
HAND_TABLE = {
    "一": 1,
    "九": 9,
    "十": 10,
    "十一": 11,
    "一十一": 11,
    "十九": 19,
    "二十": 20,
    "二十一": 21,
    "九十九": 99,
    "一百": 100,
    "一百零一": 101,
    "一百〇一": 101,
    "一百零九": 109,
    "一百一十": 110,
    "一百一": 110,
    "一百一十一": 111,
    "一百二十": 120,
    "一百二十一": 121,
    "一百九十九": 199,
    "二百": 200,
    "两百": 200,
    "二百零一": 201,
    "两百零五": 205,
    "两百五": 250,
    "三百一十": 310,
    "九百九十九": 999,
    "一千": 1000,
    "一千零一": 1001,
    "一千零一十": 1010,
}
NOT_NUMERALS = [
    "",
    "零",
    "两",
    "十十",
    "百",
    "一百零",
    "零一",
    "二十两",
    "一百十",
    "一二",
    "百一",
    "一百零零一",
    "一千一十",
    "一百零十",
    "十百",
    "两十",
    "？",
    "十?",
]


def _naive(number: int) -> str:
    """A reference written differently from the parser: digit by digit, 零 for gaps."""
    digits = "零一二三四五六七八九"
    hundreds, tens, ones = number // 100, number // 10 % 10, number % 10
    text = ""
    if hundreds:
        text += digits[hundreds] + "百"
    if tens:
        text += ("" if not hundreds and tens == 1 else digits[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    if ones:
        text += digits[ones]
    return text


@pytest.mark.parametrize(("text", "value"), HAND_TABLE.items())
def test_hand_table(text: str, value: int) -> None:
    assert parse_chinese_numeral(text) == value
    assert parse_numeral(text) == value


@pytest.mark.parametrize("text", NOT_NUMERALS)
def test_not_numerals(text: str) -> None:
    assert parse_chinese_numeral(text) is None


def test_one_to_999_against_the_reference() -> None:
    for number in range(1, 1000):
        written = _naive(number)
        assert parse_chinese_numeral(written) == number, written
        assert to_chinese_numeral(number) == written
        assert parse_numeral(str(number)) == number
        if written.startswith("二百"):
            assert parse_chinese_numeral("两" + written[1:]) == number
        if 10 <= number <= 19:
            assert parse_chinese_numeral("一" + written) == number
    for text, value in HAND_TABLE.items():
        if value < 1000 and text == _naive(value):
            assert to_chinese_numeral(value) == text


@given(st.integers(min_value=1, max_value=9999))
def test_written_form_reads_back(number: int) -> None:
    assert parse_chinese_numeral(to_chinese_numeral(number)) == number


@given(st.text(alphabet="一二两三四五六七八九十百千零", min_size=1, max_size=6))
def test_any_accepted_string_is_a_written_form(text: str) -> None:
    """Whatever the parser accepts reads as some number's written form (or a known
    shorthand: 一十七, 两百, 一百一 = 110, 两百五 = 250)."""
    value = parse_chinese_numeral(text)
    if value is None:
        return
    canonical = to_chinese_numeral(value)
    shorthand = {canonical, "一" + canonical, canonical.replace("二", "两", 1)}
    trimmed = canonical.rstrip("十百千")
    if len(canonical) - len(trimmed) == 1 and len(canonical) >= 3:
        shorthand |= {trimmed, trimmed.replace("二", "两", 1)}
    inner = canonical.replace("零", "〇")
    shorthand.add(inner)
    assert text in shorthand or text.replace("两", "二") in shorthand, (text, value)


# ----------------------------------------------------------------- headings as typed


def _same_as_annex(doc: ParsedDocument, sample_doc: ParsedDocument) -> None:
    assert [(d.number, d.name, d.item_codes) for d in doc.departments] == [
        (d.number, d.name, d.item_codes) for d in sample_doc.departments
    ]
    assert doc.to_json_dict() == sample_doc.to_json_dict()
    assert doc.fingerprint() == sample_doc.fingerprint()


@pytest.mark.parametrize("form", HEADING_FORMS, ids=str)
def test_heading_form_parses_as_the_annex(
    form: str, sample_text: str, sample_doc: ParsedDocument
) -> None:
    _same_as_annex(parse_text(rewrite_headings(sample_text, HEADING_FORMS[form])), sample_doc)


@pytest.mark.parametrize(
    "form", ["half_width_brackets_digits", "full_width_brackets_digits", "mixed"], ids=str
)
def test_bracketed_digit_headings_with_bracketed_items(
    form: str, sample_text: str, sample_doc: ParsedDocument
) -> None:
    """Items "（1）" and headings "（16）" look alike: the name after tells them apart."""
    text = items_numbered_in_brackets(rewrite_headings(sample_text, HEADING_FORMS[form]))
    _same_as_annex(parse_text(text), sample_doc)


@pytest.mark.parametrize(
    ("number", "typed"),
    [(16, "(16)"), (16, "十六、"), (17, "十七、"), (16, "16、"), (16, "第十六"), (17, "（17）")],
)
def test_one_heading_typed_differently(
    number: int, typed: str, sample_text: str, sample_doc: ParsedDocument
) -> None:
    """The issue's cases: one heading typed otherwise, the rest as shipped."""
    text = rewrite_headings(sample_text, lambda n, c, name: f"{typed}\n{name}", only=number)
    _same_as_annex(parse_text(text), sample_doc)


# ----------------------------------------------------------------- refusals


def _line_of(text: str, needle: str) -> int:
    lines = text.split("\n")
    found = [index + 1 for index, line in enumerate(lines) if line.strip() == needle]
    assert len(found) == 1, (needle, found)
    return found[0]


def _refused(text: str) -> StructureError:
    with pytest.raises(StructureError) as raised:
        parse_text(text)
    assert raised.value.reason_code == "structure"
    return raised.value


def _no_department_holds_another(error: StructureError, sample_doc: ParsedDocument) -> None:
    """What was read: every department it names holds only its own items."""
    original = {d.name: d for d in sample_doc.departments}
    texts = {item.code: item.text for item in sample_doc.items}
    for department in error.document.departments:
        mine = original[department.name]
        got = [item.text for item in error.document.items if item.code in department.item_codes]
        assert got == [texts[code] for code in mine.item_codes], department.name


SMUDGED = [
    ("（？）", PROBLEM_UNREADABLE_HEADING),
    ("(?)", PROBLEM_UNREADABLE_HEADING),
    ("（十?）", PROBLEM_UNREADABLE_HEADING),
    ("(l6)", PROBLEM_UNREADABLE_HEADING),
    ("（十八）", PROBLEM_HEADING_NUMBER),
    ("（十五）", PROBLEM_HEADING_NUMBER),
    ("(18)", PROBLEM_HEADING_NUMBER),
]


@pytest.mark.parametrize(("typed", "kind"), SMUDGED, ids=[typed for typed, _k in SMUDGED])
def test_unreadable_heading_is_refused_naming_its_line(
    typed: str, kind: str, sample_text: str, sample_doc: ParsedDocument
) -> None:
    text = rewrite_headings(sample_text, lambda n, c, name: f"{typed}\n{name}", only=16)
    error = _refused(text)
    [problem] = error.document.problems
    assert problem.kind == kind
    assert problem.line == _line_of(text, "区交警大队") - 1
    assert problem.text == f"{typed} 区交警大队"
    assert f"line {problem.line}" in str(error) and typed in str(error)
    _no_department_holds_another(error, sample_doc)
    police = next(d for d in error.document.departments if d.name == "区公安分局")
    assert len(police.item_codes) == 4  # not the 8 of the issue
    assert "区交警大队" not in [d.name for d in error.document.departments]


def test_heading_number_missing_name_kept(sample_text: str, sample_doc: ParsedDocument) -> None:
    text = sample_text.replace("\t（十六）\n", "", 1)
    error = _refused(text)
    [problem] = error.document.problems
    assert problem.kind == PROBLEM_HEADING_WITHOUT_NUMBER
    assert (problem.line, problem.text) == (_line_of(text, "区交警大队"), "区交警大队")
    _no_department_holds_another(error, sample_doc)


def test_heading_and_name_missing(sample_text: str, sample_doc: ParsedDocument) -> None:
    text = sample_text.replace("\t（十六）\n\t区交警大队\n", "", 1)
    error = _refused(text)
    [problem] = error.document.problems
    assert problem.kind == PROBLEM_NUMBERING_RESTART
    assert problem.department == "区公安分局"
    assert problem.text.startswith("1.全面开展辖区混凝土搅拌车")
    assert problem.line == _line_of(text, problem.text)
    _no_department_holds_another(error, sample_doc)


def test_heading_typed_as_prose_is_refused(sample_text: str, sample_doc: ParsedDocument) -> None:
    """ "十七" with no mark at all reads as nothing: the restart of numbering says so."""
    text = rewrite_headings(sample_text, lambda n, c, name: f"十七{name}", only=17)
    error = _refused(text)
    assert [p.kind for p in error.document.problems] == [PROBLEM_HEADING_WITHOUT_NUMBER]
    _no_department_holds_another(error, sample_doc)


def test_refusal_text_leads_with_the_line(sample_text: str) -> None:
    text = rewrite_headings(sample_text, lambda n, c, name: f"（？）\n{name}", only=16)
    error = _refused(text)
    refusal = format_refusal(error.document, lambda msgid: msgid)
    first, second = refusal.splitlines()[:2]
    assert "cannot be imported" in first
    assert f"Line {_line_of(text, '（？）')}: （？） 区交警大队" in second
    assert refusal.endswith("Nothing was imported.")
    summary = format_summary(error.document, lambda msgid: msgid)
    assert summary.startswith("Department headings that cannot be read: 1.")
    assert summary.splitlines()[1].startswith("  ! Line ")


# ----------------------------------------------------------------- the city-scale plan


def _assert_plan(doc: ParsedDocument, departments: int) -> None:
    assert len(doc.departments) == departments
    assert doc.problems == ()
    by_code = {item.code: item for item in doc.items}
    for department in doc.departments:
        assert department.name == department_name(department.number)
        assert department.item_codes, department.number
        for code in department.item_codes:
            assert named_number(by_code[code].text) == department.number, code


def test_two_hundred_departments() -> None:
    doc = parse_text(city_plan(200))
    _assert_plan(doc, 200)
    assert sum(len(d.item_codes) for d in doc.departments) == sum(1 + n % 5 for n in range(1, 201))


PLAN_FORMS: dict[str, Rewrite] = {
    name: HEADING_FORMS[name]
    for name in (
        "half_width_brackets_digits",
        "chinese_enumeration_with_name",
        "digit_enumeration_alone",
        "ordinal_chinese",
        "mixed",
    )
}


@pytest.mark.parametrize("form", PLAN_FORMS, ids=str)
def test_two_hundred_departments_typed_otherwise(form: str) -> None:
    rewrite = PLAN_FORMS[form]

    def heading(number: int, name: str) -> str:
        return rewrite(number, to_chinese_numeral(number), name)

    _assert_plan(parse_text(city_plan(200, heading=heading)), 200)


def test_two_hundred_with_two_hundred_as_liang_bai() -> None:
    def heading(number: int, name: str) -> str:
        written = to_chinese_numeral(number)
        return f"（{'两' + written[1:] if written.startswith('二百') else written}）\n{name}"

    _assert_plan(parse_text(city_plan(200, heading=heading)), 200)


@pytest.mark.parametrize("broken", [101, 111, 150, 199, 200])
def test_plan_with_a_heading_that_cannot_be_read(broken: int) -> None:
    def heading(number: int, name: str) -> str:
        if number == broken:
            return f"（{to_chinese_numeral(number)[:-1]}?）\n{name}"
        return f"（{to_chinese_numeral(number)}）\n{name}"

    with pytest.raises(StructureError) as raised:
        parse_text(city_plan(200, heading=heading))
    document = raised.value.document
    [problem] = document.problems
    assert problem.kind == PROBLEM_UNREADABLE_HEADING
    assert problem.text.endswith(department_name(broken))
    by_code = {item.code: item for item in document.items}
    for department in document.departments:
        for code in department.item_codes:
            assert named_number(by_code[code].text) == named_number(department.name + "单位")


def test_unusual_item_count_leads_the_summary() -> None:
    """A department with far more items than the others is named before the lists."""
    doc = parse_text(city_plan(30, items_per_department=lambda n: 50 if n == 7 else 4))
    summary = format_summary(doc, lambda msgid: msgid)
    first = summary.splitlines()[0]
    assert first.startswith("Unusually many items: 7. 市第7号单位管理局 has 50")
    assert [d.number for d in doc.unusual_departments()] == [7]


def test_the_annex_has_no_unusual_count(sample_doc: ParsedDocument) -> None:
    """13 items against a median of 4 is the document as written, not a swallowed heading."""
    assert sample_doc.unusual_departments() == ()
    assert format_summary(sample_doc, lambda msgid: msgid).startswith("Year: 2020")


def test_unplaced_lines_lead_the_summary(sample_text: str) -> None:
    heading = "\t一、通用考核内容"
    doc = parse_text(sample_text.replace(heading, f"说明：另行通知。\n{heading}"))
    lines = format_summary(doc, lambda msgid: msgid).splitlines()
    assert lines[:2] == ["Lines that could not be placed: 1", "  ? 说明：另行通知。"]


def test_line_numbers_count_blank_lines(sample_text: str) -> None:
    text = re.sub(r"（十六）", "（？）", sample_text, count=1)
    error = _refused(text)
    assert error.document.problems[0].line == text.split("\n").index("\t（？）") + 1


def test_refusal_survives_a_process_boundary(sample_text: str) -> None:
    """The parse may run in a child process: the error comes back whole."""
    import pickle

    error = _refused(re.sub(r"（十六）", "（？）", sample_text, count=1))
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, StructureError)
    assert copy.reason_code == "structure" and str(copy) == str(error)
    assert copy.document == error.document
