"""Word documents, built in the test with python-docx from the real text."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from itertools import count

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.text.paragraph import Paragraph

from core.assessment.importer import DocumentError, ParsedDocument, load_document, parse_docx

_ITEM = re.compile(r"^(\d+)\.(.*)$")
_DEPARTMENT = re.compile(r"^（[一二三四五六七八九十]+）$")
_ABSTRACT_ID = "90"


def _save(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _lines(text: str) -> Iterator[str]:
    """Non-empty lines of the real text, indentation removed."""
    for line in text.split("\n"):
        if line.strip():
            yield line.strip()


def _add_numbering_definition(document: DocxDocument) -> None:
    """A two-level list: "（一）" (Chinese counting) over "1." (decimal)."""
    numbering = document.part.numbering_part.element
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{_ABSTRACT_ID}">'
        '<w:multiLevelType w:val="hybridMultilevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:lvlText w:val="（%1）"/><w:lvlJc w:val="left"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        '<w:lvlText w:val="%2."/><w:lvlJc w:val="left"/></w:lvl>'
        "</w:abstractNum>"
    )
    # Schema order: every w:abstractNum before the first w:num.
    first_num = numbering.find(qn("w:num"))
    if first_num is None:
        numbering.append(abstract)
    else:
        first_num.addprevious(abstract)


def _new_num(document: DocxDocument, num_id: int) -> int:
    """A list instance restarting at 1 (Word makes one per restarted list)."""
    document.part.numbering_part.element.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{num_id}">'
            f'<w:abstractNumId w:val="{_ABSTRACT_ID}"/>'
            '<w:lvlOverride w:ilvl="1"><w:startOverride w:val="1"/></w:lvlOverride>'
            "</w:num>"
        )
    )
    return num_id


def _set_num_pr(paragraph: Paragraph, num_id: int, level: int) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.insert(
        0,
        parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/>'
            f'<w:numId w:val="{num_id}"/></w:numPr>'
        ),
    )


def _assert_same(doc: ParsedDocument, sample_doc: ParsedDocument) -> None:
    assert [item.code for item in doc.items] == [item.code for item in sample_doc.items]
    assert [item.targets for item in doc.items] == [item.targets for item in sample_doc.items]
    assert doc.to_json_dict() == sample_doc.to_json_dict()
    assert doc.fingerprint() == sample_doc.fingerprint()


def test_plain_paragraphs(sample_text: str, sample_doc: ParsedDocument) -> None:
    document = Document()
    for line in sample_text.split("\n"):
        document.add_paragraph(line)  # tabs become w:tab, bookmarks stay literal
    _assert_same(load_document(_save(document), "附件3.docx"), sample_doc)


def test_real_bookmarks_and_breaks(sample_text: str, sample_doc: ParsedDocument) -> None:
    document = Document()
    for line in _lines(sample_text):
        paragraph = document.add_paragraph()
        # A real Word bookmark is markup, not text.
        paragraph._p.append(
            parse_xml(f'<w:bookmarkStart {nsdecls("w")} w:id="0" w:name="_GoBack"/>')
        )
        paragraph.add_run(line)
    data = _save(document)
    _assert_same(parse_docx(data), sample_doc)


def test_explicit_numpr_list_items(sample_text: str, sample_doc: ParsedDocument) -> None:
    document = Document()
    _add_numbering_definition(document)
    num_ids = count(100)
    num_id = _new_num(document, next(num_ids))
    for line in _lines(sample_text):
        match = _ITEM.match(line)
        if match:
            paragraph = document.add_paragraph(match.group(2))  # number drawn by Word
            _set_num_pr(paragraph, num_id, level=1)
            continue
        if _DEPARTMENT.match(line) or line.startswith(("一、", "二、", "三、")):
            num_id = _new_num(document, next(num_ids))  # numbering restarts
        document.add_paragraph(line)
    data = _save(document)
    texts = [paragraph.text for paragraph in Document(io.BytesIO(data)).paragraphs]
    assert not any(_ITEM.match(text) for text in texts)  # every number is drawn by Word
    _assert_same(parse_docx(data), sample_doc)


def test_list_number_style_items(sample_text: str, sample_doc: ParsedDocument) -> None:
    document = Document()
    for line in _lines(sample_text):
        match = _ITEM.match(line)
        if match:
            document.add_paragraph(match.group(2), style="List Number")
        else:
            document.add_paragraph(line)
    _assert_same(parse_docx(_save(document)), sample_doc)


def test_department_headings_as_list_paragraphs(
    sample_text: str, sample_doc: ParsedDocument
) -> None:
    """Both the "（一）" of departments and the "1." of items drawn by Word."""
    document = Document()
    _add_numbering_definition(document)
    num_ids = count(200)
    department_list = _new_num(document, next(num_ids))
    item_list = department_list
    pending_heading = False
    for line in _lines(sample_text):
        if _DEPARTMENT.match(line):
            pending_heading = True  # the name on the next line becomes the list paragraph
            continue
        if pending_heading:
            pending_heading = False
            _set_num_pr(document.add_paragraph(line), department_list, level=0)
            item_list = _new_num(document, next(num_ids))
            continue
        match = _ITEM.match(line)
        if match:
            _set_num_pr(document.add_paragraph(match.group(2)), item_list, level=1)
        else:
            document.add_paragraph(line)
    doc = parse_docx(_save(document))
    _assert_same(doc, sample_doc)


def test_items_in_tables(sample_text: str, sample_doc: ParsedDocument) -> None:
    """Each department's items in a table: number cell | text cell."""
    document = Document()
    table = None
    for line in _lines(sample_text):
        match = _ITEM.match(line)
        if match:
            if table is None:
                table = document.add_table(rows=0, cols=2)
            cells = table.add_row().cells
            cells[0].text = match.group(1)
            cells[1].text = match.group(2)
        else:
            table = None
            document.add_paragraph(line)
    _assert_same(parse_docx(_save(document)), sample_doc)


def test_year_argument(sample_text: str) -> None:
    document = Document()
    for line in _lines(sample_text):
        document.add_paragraph(line)
    assert parse_docx(_save(document), year=2022).year == 2022


def test_prose_only_docx_has_no_items() -> None:
    document = Document()
    document.add_paragraph("关于做好2020年度生态环境保护工作的通知")
    document.add_paragraph("各单位：现将有关事项通知如下，请认真贯彻落实。")
    document.add_paragraph("This paragraph is ordinary English prose without any structure.")
    with pytest.raises(DocumentError) as raised:
        load_document(_save(document), "notice.docx")
    assert raised.value.reason_code == "no_items"


def test_empty_docx_has_no_items() -> None:
    with pytest.raises(DocumentError) as raised:
        parse_docx(_save(Document()))
    assert raised.value.reason_code == "no_items"


@pytest.mark.parametrize(
    "data",
    [b"\x00\xff" * 500, "一、通用考核内容\n1.做好工作。".encode(), b"PK\x03\x04broken"],
    ids=["binary", "text", "truncated-zip"],
)
def test_not_a_word_file(data: bytes) -> None:
    with pytest.raises(DocumentError) as raised:
        load_document(data, "附件3.docx")
    assert raised.value.reason_code == "unreadable_docx"
    assert "\n" not in str(raised.value)


def test_zip_that_is_not_word() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(DocumentError) as raised:
        load_document(buffer.getvalue(), "附件3.docx")
    assert raised.value.reason_code == "unreadable_docx"
