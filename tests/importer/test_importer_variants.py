"""Copies of the real document that differ only in layout parse identically.

Each variant is generated from the shipped text and applies one kind of
variation, so a failure names the variation the parser does not tolerate.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from core.assessment.importer import ParsedDocument, load_document, parse_text

_HALF_WIDTH = str.maketrans("，；：（）“”。", ',;:()"".')
_FULL_WIDTH_DIGITS = str.maketrans({**{str(d): chr(0xFF10 + d) for d in range(10)}, "%": "％"})


def numbering_dunhao(text: str) -> str:
    return re.sub(r"(?m)^(\s*)(\d+)\.", r"\1\2、", text)


def numbering_paren(text: str) -> str:
    return re.sub(r"(?m)^(\s*)(\d+)\.", r"\1（\2）", text)


def numbering_half_paren(text: str) -> str:
    return re.sub(r"(?m)^(\s*)(\d+)\.", r"\1(\2) ", text)


def numbering_full_width_stop(text: str) -> str:
    return re.sub(r"(?m)^(\s*)(\d+)\.", r"\1\2．", text)


def name_on_heading_line(text: str) -> str:
    joined = re.sub(r"(（[一二三四五六七八九十]+）)\n\t*", r"\1", text)
    assert joined.count("（一）区发展改革局") == 1
    return joined


def half_width_punctuation(text: str) -> str:
    return text.translate(_HALF_WIDTH)


def full_width_digits(text: str) -> str:
    return text.translate(_FULL_WIDTH_DIGITS)


def messy_whitespace(text: str) -> str:
    prefixes = ["", "\t", "\u3000\u3000", "  ", "\t \u3000"]
    lines = []
    for index, line in enumerate(text.split("\n")):
        lines.append(prefixes[index % len(prefixes)] + line + ("\t " if index % 2 else ""))
        if index % 3 == 0:
            lines.append(" \u3000\t")
            lines.append("")
    return "\n".join(lines)


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def bookmarks(text: str) -> str:
    lines = []
    for index, line in enumerate(text.split("\n")):
        if index % 3 == 0:
            line = "[bookmark: _GoBack]" + line
        elif index % 3 == 1 and len(line) > 6:
            middle = len(line) // 2
            line = f"{line[:middle]}[bookmark: _Toc{index}]{line[middle:]}"
        lines.append(line)
    return "\n".join(lines)


def wrapped_lines(text: str) -> str:
    """Break every long item line in two, not right after ；or 。."""
    lines = []
    for line in text.split("\n"):
        if re.match(r"\s*\d+\.", line) and len(line) > 30:
            cut = len(line) // 2
            while line[cut - 1] in "；。":
                cut += 1
            lines.extend([line[:cut], line[cut:]])
        else:
            lines.append(line)
    return "\n".join(lines)


VARIANTS: list[Callable[[str], str]] = [
    numbering_dunhao,
    numbering_paren,
    numbering_half_paren,
    numbering_full_width_stop,
    name_on_heading_line,
    half_width_punctuation,
    full_width_digits,
    messy_whitespace,
    crlf,
    bookmarks,
    wrapped_lines,
]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda variant: variant.__name__)
def test_variant_parses_like_the_original(
    variant: Callable[[str], str], sample_text: str, sample_doc: ParsedDocument
) -> None:
    varied = variant(sample_text)
    assert varied != sample_text
    doc = parse_text(varied)
    assert [item.code for item in doc.items] == [item.code for item in sample_doc.items]
    assert [item.targets for item in doc.items] == [item.targets for item in sample_doc.items]
    assert doc.to_json_dict() == sample_doc.to_json_dict()
    assert doc.fingerprint() == sample_doc.fingerprint()


def test_all_variations_at_once(sample_text: str, sample_doc: ParsedDocument) -> None:
    varied = sample_text
    for variant in (
        numbering_paren,
        name_on_heading_line,
        half_width_punctuation,
        bookmarks,
        messy_whitespace,
        crlf,
    ):
        varied = variant(varied)
    assert parse_text(varied).to_json_dict() == sample_doc.to_json_dict()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"])
def test_encodings_via_load_document(
    encoding: str, sample_text: str, sample_doc: ParsedDocument
) -> None:
    doc = load_document(sample_text.encode(encoding), "考核要点.txt")
    assert doc.to_json_dict() == sample_doc.to_json_dict()
    assert doc.fingerprint() == sample_doc.fingerprint()


def test_gbk_crlf_copy_from_windows(sample_text: str, sample_doc: ParsedDocument) -> None:
    data = crlf(sample_text).encode("gbk")
    assert load_document(data, "附件3.TXT").fingerprint() == sample_doc.fingerprint()
