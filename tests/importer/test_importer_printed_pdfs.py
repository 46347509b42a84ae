"""PDFs of the 2020 annex as offices print them (issue 18.8): Chromium's print of the
page and LibreOffice's print of the .docx, each at A4 and with a narrow margin
(fixtures/build_printed_pdfs.py makes them).

Each fixture is first shown to hold what the reader must undo -- radicals in its raw
text layer, items wrapped in the middle, running heads or page numbers -- so that the
import test proves something whatever fonts the machine that made them had.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

import pdfplumber
import pytest

from core.assessment.importer import (
    KIND_B_CLASS,
    KIND_DEPARTMENT,
    KIND_GENERAL,
    ParsedDocument,
    load_document,
    parse_text,
)
from core.assessment.importer.cjk_forms import FOLD, RADICALS_SUPPLEMENT, fold_cjk_forms
from core.assessment.importer.text import normalise_line

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PRINTED = {
    "annex-2020-chromium-a4.pdf": "file://",  # Chromium's running foot
    "annex-2020-chromium-narrow.pdf": None,  # too narrow for Chromium's head and foot
    "annex-2020-libreoffice-a4.pdf": "- 1 -",
    "annex-2020-libreoffice-narrow.pdf": "- 1 -",
}
_ITEM_LINE = re.compile(r"^(\d+)\.(.+)$")


def _raw_lines(name: str) -> list[str]:
    with pdfplumber.open(FIXTURES / name) as pdf:
        return [line for page in pdf.pages for line in (page.extract_text() or "").split("\n")]


@pytest.mark.parametrize("name", PRINTED)
def test_fixture_holds_what_the_reader_must_undo(name: str, sample_doc: ParsedDocument) -> None:
    lines = _raw_lines(name)
    text = "\n".join(lines)
    radicals = {char for char in text if 0x2F00 <= ord(char) <= 0x2FD5}
    assert len(radicals) >= 10, radicals
    assert "⼀" in text  # the issue's ⼀ (for 一)
    assert "⼀、通⽤考核内容" in text
    # An item wrapped in the middle: a numbered line that is only the start of its item.
    item_texts = [item.text for item in sample_doc.items]
    wrapped = [
        line
        for line in lines
        if (match := _ITEM_LINE.match(normalise_line(line))) is not None
        and not match.group(2).endswith(("；", "。"))
        and any(
            full.startswith(match.group(2)) and len(full) > len(match.group(2)) + 2
            for full in item_texts
        )
    ]
    assert len(wrapped) >= 5, wrapped
    furniture = PRINTED[name]
    if furniture is not None:
        assert any(line.strip().startswith(furniture) for line in lines)


@pytest.mark.parametrize("name", PRINTED)
def test_imports_as_the_txt(name: str, sample_doc: ParsedDocument) -> None:
    doc = load_document((FIXTURES / name).read_bytes(), name)
    assert sum(1 for item in doc.items if item.kind == KIND_GENERAL) == 8
    assert len(doc.departments) == 17
    assert sum(1 for item in doc.items if item.kind == KIND_DEPARTMENT) == 77
    assert sum(1 for item in doc.items if item.kind == KIND_B_CLASS) == 1
    assert [(i.code, i.text, i.targets) for i in doc.items] == [
        (i.code, i.text, i.targets) for i in sample_doc.items
    ]
    assert doc == sample_doc
    assert doc.unplaced == () and doc.problems == ()


# ---------------------------------------------------------------- the folding table


def test_every_kangxi_radical_folds_to_an_ordinary_character() -> None:
    for code in range(0x2F00, 0x2FD6):
        folded = chr(code).translate(FOLD)
        assert len(folded) == 1 and 0x4E00 <= ord(folded) <= 0x9FFF, hex(code)
    assert "⼾".translate(FOLD) == "户"  # the simplified character, not NFKC's 戶


def test_radicals_supplement_table() -> None:
    # NFKC maps only two of them; the table keeps both and adds the rest.
    by_nfkc = [
        radical
        for radical in map(chr, range(0x2E80, 0x2EFF))
        if unicodedata.normalize("NFKC", radical) != radical
    ]
    assert by_nfkc == ["⺟", "⻳"]
    for radical, ordinary in RADICALS_SUPPLEMENT.items():
        assert 0x2E80 <= ord(radical) <= 0x2EF3
        assert 0x3400 <= ord(ordinary) <= 0x9FFF
        assert radical.translate(FOLD) == ordinary
    assert fold_cjk_forms("⻓期 ⻔⼝ ⻅ ⻋ ⻢") == "长期 门口 见 车 马"


def test_compatibility_ideographs_fold() -> None:
    assert fold_cjk_forms("\uf900\ufa10") == unicodedata.normalize("NFKC", "\uf900\ufa10")
    assert fold_cjk_forms("\U0002f800") == unicodedata.normalize("NFKC", "\U0002f800")


def test_folding_is_not_nfkc() -> None:
    """Full-width punctuation and ㎡ stay as the document wrote them."""
    kept = "，；（）：“”㎡①％"
    assert fold_cjk_forms(kept) == kept
    doc = parse_text("⼀、通⽤考核内容\n1.新增绿化⾯积1000㎡（含屋顶绿化），⽣态优先；")
    assert doc.items[0].text == "新增绿化面积1000㎡（含屋顶绿化），生态优先"


def test_text_pasted_from_a_printed_pdf(sample_text: str, sample_doc: ParsedDocument) -> None:
    """A .txt (or Word) copy of such a PDF's text reads as the original."""
    spelled = {ordinary: radical for radical, ordinary in _radical_of().items()}
    pasted = sample_text.translate(str.maketrans(spelled))
    assert pasted != sample_text and "⽣态" in pasted
    assert parse_text(pasted) == sample_doc


def _radical_of() -> dict[str, str]:
    """radical -> ordinary, for the radicals the Chromium fixture's text layer uses."""
    text = "\n".join(_raw_lines("annex-2020-chromium-a4.pdf"))
    return {char: FOLD[ord(char)] for char in set(text) if ord(char) in FOLD}


def test_browser_fonts_do_not_flood_the_log(caplog: pytest.LogCaptureFixture) -> None:
    """Chromium's fonts have no FontBBox; pdfminer would warn about it a hundred times."""
    caplog.set_level(logging.WARNING)
    name = "annex-2020-chromium-narrow.pdf"
    load_document((FIXTURES / name).read_bytes(), name)
    assert not [record for record in caplog.records if "FontBBox" in record.getMessage()]
