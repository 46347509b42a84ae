"""The dry-run summary an admin reads before anything is saved."""

from __future__ import annotations

from core.assessment.importer import ParsedDocument, format_summary, parse_text

STRAY_PREAMBLE = "说明：本要点自印发之日起施行。"
STRAY_IN_DEPARTMENT = "备注：以上任务由区发改局牵头负责。"


def identity(msgid: str) -> str:
    """A gettext stand-in that returns the msgid unchanged."""
    return msgid


def _with_stray_lines(text: str) -> str:
    text = text.replace("\t一、通用考核内容", f"{STRAY_PREAMBLE}\n\t一、通用考核内容", 1)
    anchor = "对不符合产业政策、产业布局规划的项目不予核准。\n"
    assert anchor in text
    return text.replace(anchor, f"{anchor}{STRAY_IN_DEPARTMENT}\n", 1)


def test_summary_of_the_real_document(sample_doc: ParsedDocument) -> None:
    summary = format_summary(sample_doc, identity)
    assert "Year: 2020" in summary
    assert "区直单位及市垂直管理单位生态环境保护工作目标考核要点" in summary
    assert "Items found: 86 (8 general, 77 in 17 departments, 1 for B-class departments)" in summary
    for department in sample_doc.departments:
        assert department.name in summary
    lines = summary.splitlines()
    assert "5. 区农业农村局 (class A), 7 item(s): A5.1, A5.2, A5.3, A5.4, A5.5, A5.6, A5.7" in lines
    assert "11. 区两型社会建设服务中心 (class A), 1 item(s): A11.1" in lines
    lines = summary.splitlines()
    assert "A5.1  秸秆综合利用率 ≥ 90%" in lines
    assert "A3.3  城市污水处理率 ≈ 95%" in lines
    assert "A3.3  污泥无害化处置率 ≥ 90%" in lines
    assert "A17.7  污染地块安全利用率 ≥ 90%" in lines
    assert any(line.startswith("G1  ") and line.endswith("≥ 2次") for line in lines)
    assert "Every line was placed." in lines


def test_summary_lists_unplaced_lines(sample_text: str) -> None:
    doc = parse_text(_with_stray_lines(sample_text))
    assert doc.unplaced == (STRAY_PREAMBLE, STRAY_IN_DEPARTMENT)
    assert len(doc.items) == 86  # the stray lines change no item
    summary = format_summary(doc, identity)
    assert "Lines that could not be placed: 2" in summary
    assert f"  ? {STRAY_PREAMBLE}" in summary.splitlines()
    assert f"  ? {STRAY_IN_DEPARTMENT}" in summary.splitlines()


def test_every_literal_goes_through_gettext(sample_text: str) -> None:
    seen: list[str] = []

    def marking(msgid: str) -> str:
        seen.append(msgid)
        return "«" + msgid + "»"

    doc = parse_text(_with_stray_lines(sample_text))
    summary = format_summary(doc, marking)
    for line in summary.splitlines():
        assert not line or (line.startswith("«") and line.endswith("»")), line
    # msgids keep their placeholders: formatting happens after translation.
    assert "Year: {year}" in seen
    assert all("{" in msgid or "}" not in msgid for msgid in seen)


def test_summary_without_year_title_or_targets() -> None:
    doc = parse_text("一、通用考核内容\n1.做好工作。")
    summary = format_summary(doc, identity)
    assert "Year: unknown" in summary
    assert "Title: (none)" in summary
    assert "No numeric targets found." in summary
