"""Every message the code shows is in both catalogues, translated, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from core.text.i18n import catalogue_path, ngettext, translator

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("bot", "core", "handlers", "storage")


def _messages_in_code() -> set[str]:
    """The msgids the code uses (a plural message by its singular msgid)."""
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: set[str] = set()
    for folder in SOURCE_DIRS:
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=keywords
        ):
            if isinstance(message, tuple):
                if message[0]:
                    found.add(message[0])
            elif message:
                found.add(message)
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


CODE_MESSAGES = _messages_in_code()


def test_code_has_messages() -> None:
    assert len(CODE_MESSAGES) > 30


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_every_message_in_code_is_translated(locale: str) -> None:
    with catalogue_path(locale).open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    missing, empty, fuzzy, mismatched = [], [], [], []
    for msgid in sorted(CODE_MESSAGES):
        entry = catalogue.get(msgid)
        if entry is None:
            missing.append(msgid)
            continue
        # A plural message has several msgids and translations; each must be there.
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            empty.append(msgid)
        if entry.fuzzy:
            fuzzy.append(msgid)
        if any(
            _placeholders(string) != _placeholders(ids[0]) for string in strings if string
        ) or any(_placeholders(other) != _placeholders(ids[0]) for other in ids):
            mismatched.append(msgid)
    assert not missing, f"run `make i18n` and translate: {missing}"
    assert not empty, f"untranslated in {locale}: {empty}"
    assert not fuzzy, f"fuzzy in {locale}: {fuzzy}"
    assert not mismatched, f"placeholders differ in {locale}: {mismatched}"


def test_chinese_is_really_chinese() -> None:
    _ = translator("zh")
    assert re.search(r"[\u4e00-\u9fff]", _("Commands you can use:"))
    assert translator("en")("Commands you can use:") == "Commands you can use:"


def test_english_plurals_follow_the_count() -> None:
    n_ = ngettext("en")
    one = n_("Received {count} file. Send more, or /done to save.", "", 1).format(count=1)
    assert one == "Received 1 file. Send more, or /done to save."
    many = n_(
        "Received {count} file. Send more, or /done to save.",
        "Received {count} files. Send more, or /done to save.",
        3,
    ).format(count=3)
    assert many == "Received 3 files. Send more, or /done to save."
    zh = ngettext("zh")("{count} file", "{count} files", 1).format(count=1)
    assert zh == "1 个文件"


def test_code_uses_no_fstring_inside_gettext() -> None:
    pattern = re.compile(r"""\b_\(\s*f["']""")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in SOURCE_DIRS
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
