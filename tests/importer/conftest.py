"""Shared fixtures of the importer tests: the real document and its parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.assessment.importer import ParsedDocument, parse_text
from core.assessment.importer.samples import ANNEX3_2020

# The tests read the project's own copy, never the shared original.
SAMPLE_PATH = (
    Path(__file__).resolve().parents[2]
    / "core/assessment/importer/samples/assessment-2020-annex3.txt"
)


@pytest.fixture(scope="session")
def sample_text() -> str:
    """The real Annex 3 as shipped with the project (UTF-8)."""
    assert ANNEX3_2020 == SAMPLE_PATH
    return ANNEX3_2020.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample_doc(sample_text: str) -> ParsedDocument:
    return parse_text(sample_text)
