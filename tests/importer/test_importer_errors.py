"""Files that are no assessment document are refused with a reason code."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.assessment.importer import DocumentError, load_document, parse_text

CHINESE_PROSE = (
    "今天天气很好，我们去公园散步。公园里有很多人，有的在跑步，有的在下棋。\n"
    "1.早上吃了包子；\n2.中午吃了面条。\n晚上回家看书，十点睡觉。\n"
)
ENGLISH_PROSE = (
    "The quick brown fox jumps over the lazy dog.\n"
    "1. First point of an unrelated list.\n2. Second point.\n"
)


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "a.txt", "empty"),
        (b"", "a.docx", "empty"),
        (b"  \n\t\r\n" + "\u3000".encode(), "a.txt", "empty"),
        (b"\x00\xff" * 500, "a.txt", "binary"),
        (bytes(range(256)) * 8, "a.txt", "binary"),
        (b"\x81\x30\xff\xfe\x80" * 50, "a.txt", "binary"),
        (CHINESE_PROSE.encode(), "a.txt", "no_items"),
        (CHINESE_PROSE.encode("gbk"), "a.txt", "no_items"),
        (ENGLISH_PROSE.encode(), "a.txt", "no_items"),
        (_zip_bytes(), "a.txt", "binary"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a.txt", "binary"),
        (b"%PDF-1.7\n", "report.pdf", "unreadable_pdf"),
        (b"<html>not a pdf</html>", "report.pdf", "unreadable_pdf"),
        ("一、通用考核内容\n1.做好工作。".encode(), "a.doc", "unreadable_doc"),
        (b"\x00\x01junk" * 40, "a.wps", "unreadable_doc"),
        ("一、通用考核内容\n1.做好工作。".encode(), "a.xls", "unsupported_type"),
        ("一、通用考核内容\n1.做好工作。".encode(), "noextension", "unsupported_type"),
    ],
    ids=[
        "empty-txt",
        "empty-docx",
        "whitespace",
        "nul-ff-junk",
        "all-bytes",
        "invalid-gbk",
        "chinese-prose",
        "chinese-prose-gbk",
        "english-prose",
        "zip-named-txt",
        "pdf-named-txt",
        "truncated-pdf",
        "html-named-pdf",
        "text-named-doc",
        "junk-named-wps",
        "xls",
        "no-extension",
    ],
)
def test_refused_with_reason(data: bytes, filename: str, reason: str) -> None:
    with pytest.raises(DocumentError) as raised:
        load_document(data, filename)
    assert raised.value.reason_code == reason
    message = str(raised.value)
    assert message and "\n" not in message
    assert message.isascii() or reason == "no_items"  # English (no_items quotes a heading)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" \n\u3000\t\n", "empty"),
        (CHINESE_PROSE, "no_items"),
        ("1.专题研究部署工作不少于2次；\n2.建立台账。", "no_items"),  # items but no section
        ("一、通用考核内容\n\n二、A类部门考核内容\n（一）\n区发展改革局\n", "no_items"),
        ("abc\x00def\x01\x02\x03", "binary"),
    ],
    ids=["empty", "whitespace", "prose", "no-section", "headings-only", "control-chars"],
)
def test_parse_text_refuses(text: str, reason: str) -> None:
    with pytest.raises(DocumentError) as raised:
        parse_text(text)
    assert raised.value.reason_code == reason


def test_minimal_document_is_accepted() -> None:
    doc = parse_text("一、通用考核内容\n1.做好工作。")
    assert [item.code for item in doc.items] == ["G1"]
    assert doc.title is None
    assert doc.year is None
