"""One item-code parser (issue 18.9), table-driven: every form a user types, and the
refused ones, through the parser and through every command that takes a code, end to
end over the project's Bot API server.

Grammar: letter and number; a separator from . ． 。 - － with spaces allowed around
it; number; lower case and full-width accepted; a colon or full-width colon may
follow. Never a comma, never a bare space.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.reporting.quick import parse_caption
from core.text.matching import code_from_args, normalize_code, read_code
from storage.models import Binding, Item, Report, ReportValue
from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig
from tests.test_e2e_liaison import FARM, photo_bytes

# (as typed, what it is)
ACCEPTED = [
    ("A5.1", "A5.1"),
    ("a5.1", "A5.1"),
    ("Ａ５．１", "A5.1"),
    ("ａ５．１", "A5.1"),
    ("#A5.1", "A5.1"),
    ("＃A5．1", "A5.1"),
    ("A5-1", "A5.1"),
    ("A5－1", "A5.1"),
    ("A5。1", "A5.1"),
    ("A5 . 1", "A5.1"),
    ("A5 - 1", "A5.1"),
    ("A5 －1", "A5.1"),
    ("A5.1:", "A5.1"),
    ("A5.1：", "A5.1"),
    ("a5-1：", "A5.1"),
    ("A05.01", "A5.1"),
    ("G3", "G3"),
    ("g3：", "G3"),
    ("B1", "B1"),
]
# Refused as a whole code (some start with A5, which is no item).
REFUSED = [
    "A5，1",
    "A5,1",
    "A5 1",
    "A5·1",
    "A5、1",
    "A5/1",
    "A5.1.2",
    "A5..1",
    "A5.-1",
    "A51234",
    "5.1",
    "A",
    "A.1",
    "AA5.1",
    "X5.1",
    "A5.1x",
    "",
]


@pytest.mark.parametrize(("typed", "code"), ACCEPTED)
def test_accepted(typed: str, code: str) -> None:
    assert normalize_code(typed) == code
    found = read_code(f"{typed} 81% 推进中")
    assert found is not None and found.code == code and found.rest == "81% 推进中"
    assert code_from_args([*typed.split(), "区农业农村局"]) == (code, ["区农业农村局"])


@pytest.mark.parametrize("typed", REFUSED)
def test_refused(typed: str) -> None:
    assert normalize_code(typed) is None
    assert code_from_args(typed.split())[0] in (None, "A5")


@pytest.mark.parametrize(
    ("caption", "code", "value"),
    [
        ("#A5-1 81% 秸秆", "A5.1", Decimal(81)),
        ("#A5.1：85%", "A5.1", Decimal(85)),
        ("＃A5．1 推进中", "A5.1", None),
        ("#a5 - 1 90%", "A5.1", Decimal(90)),
        ("#A5，85%", "A5", Decimal(85)),  # A5 and a value: there is no item A5
        ("#A5 1 81%", "A5", Decimal(1)),  # never A5.1
    ],
)
def test_captions(caption: str, code: str, value: Decimal | None) -> None:
    parsed = parse_caption(caption)
    assert parsed is not None and parsed.code == code and parsed.value == value


def _naive(text: str) -> str | None:
    """A reference written another way: normalise the width, then walk the characters."""
    chars = unicodedata.normalize("NFKC", text).replace("．", ".").strip()
    chars = chars.removeprefix("#").strip()
    if chars.endswith(":"):
        chars = chars[:-1].rstrip()
    if not chars or chars[0].upper() not in "GAB":
        return None
    letter, position = chars[0].upper(), 1
    major = ""
    while position < len(chars) and chars[position].isdigit():
        major += chars[position]
        position += 1
    if not 1 <= len(major) <= 3:
        return None
    tail = chars[position:].strip()
    if not tail:
        return f"{letter}{int(major)}"
    if tail[0] not in ".。-" or not tail[1:].strip().isdigit():
        return None
    minor = tail[1:].strip()
    if len(minor) > 3 or not minor.isascii():
        return None
    return f"{letter}{int(major)}.{int(minor)}"


@given(
    st.tuples(
        st.sampled_from(["", "#", "＃", " # "]),
        st.sampled_from(["A", "a", "Ａ", "ａ", "G", "B", "X"]),
        st.text(alphabet="0123456789０５", min_size=0, max_size=4),
        st.sampled_from(["", ".", "．", "。", "-", "－", " . ", " - ", ",", "，", " ", "·", "、"]),
        st.text(alphabet="0123456789１", min_size=0, max_size=4),
        st.sampled_from(["", ":", "：", " ：", ";"]),
    ).map("".join)
)
def test_parser_agrees_with_the_naive_reference(typed: str) -> None:
    assert normalize_code(typed) == _naive(typed), typed


# ---------------------------------------------------------------- every command, end to end

TYPED_IN_COMMANDS = [typed for typed, code in ACCEPTED if code == "A5.1"]
REFUSED_IN_COMMANDS = ["A5，1", "A5 1", "A5·1", "A5.1.2"]


async def _reports(rig: DubanRig) -> list[tuple[str, Decimal | None]]:
    async with rig.session() as session:
        rows = await session.execute(
            select(Item.code, ReportValue.value)
            .select_from(Report)
            .join(Binding, Binding.id == Report.binding_id)
            .join(Item, Item.id == Binding.item_id)
            .outerjoin(ReportValue, ReportValue.report_id == Report.id)
            .order_by(Report.id)
        )
        return [(code, value) for code, value in rows]


async def test_quick_captions(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/lang en")
    for number, typed in enumerate(TYPED_IN_COMMANDS):
        ref = rig.api.add_file(photo_bytes(100 + number), mime_type="image/jpeg")
        caption = f"#{typed.lstrip('#＃')} {60 + number}% 推进中"
        reply = await rig.send_and_wait(u.photo_message(FARM, ref, caption=caption), FARM.id)
        assert "Recorded" in reply.plain_text, (caption, reply.plain_text)
        rig.clock.advance(minutes=5)
    assert await _reports(rig) == [
        ("A5.1", Decimal(60 + number)) for number in range(len(TYPED_IN_COMMANDS))
    ]
    for caption in ("#A5，85% 推进中", "#A5 1 81% 推进中", "#A5·1 81%"):
        ref = rig.api.add_file(photo_bytes(len(caption)), mime_type="image/jpeg")
        reply = await rig.send_and_wait(u.photo_message(FARM, ref, caption=caption), FARM.id)
        assert "There is no item A5. Nothing was recorded" in reply.plain_text, caption
    assert len(await _reports(rig)) == len(TYPED_IN_COMMANDS)


async def test_the_issues_caption_records_a5_1_with_81(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    ref = rig.api.add_file(photo_bytes(7), mime_type="image/jpeg")
    reply = await rig.send_and_wait(
        u.photo_message(FARM, ref, caption="#A5-1 81% 秸秆综合利用推进中"), FARM.id
    )
    assert "已记录" in reply.plain_text
    assert await _reports(rig) == [("A5.1", Decimal(81))]


async def test_report_command(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/lang en")
    for typed in TYPED_IN_COMMANDS:
        reply = await rig.ask(FARM, f"/report {typed}")
        assert "A5.1" in reply.plain_text and "not one of" not in reply.plain_text, typed
        await rig.ask(FARM, "/cancel")
    for typed in REFUSED_IN_COMMANDS:
        reply = await rig.ask(FARM, f"/report {typed}")
        assert "is not one of your department's items" in reply.plain_text, typed
    assert await _reports(rig) == []


async def test_item_command(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await rig.ask(ADMIN, "/lang en")
    for typed in TYPED_IN_COMMANDS:
        reply = await rig.ask(ADMIN, f"/item {typed}")
        assert "A5.1" in reply.plain_text and "秸秆" in reply.plain_text, typed
    for typed in REFUSED_IN_COMMANDS:
        reply = await rig.ask(ADMIN, f"/item {typed}")
        assert reply.plain_text.startswith("There is no item"), typed


@pytest.mark.parametrize("command", ["history", "evidence"])
async def test_history_and_evidence(sqlite_rig: DubanRig, command: str) -> None:
    rig = sqlite_rig
    await rig.join(FARM, "农业")
    await rig.ask(FARM, "/lang en")
    ref = rig.api.add_file(photo_bytes(1), mime_type="image/jpeg")
    await rig.send_and_wait(u.photo_message(FARM, ref, caption="#A5.1 70% 推进中"), FARM.id)
    for typed in TYPED_IN_COMMANDS:
        since = rig.api.mark()
        reply = await rig.ask(FARM, f"/{command} {typed}")
        assert "A5.1" in reply.plain_text and "There is no item" not in reply.plain_text, typed
        if command == "evidence":  # the photo follows the text
            await rig.api.wait_for(
                lambda m: m.method in ("sendPhoto", "sendMediaGroup"),
                chat_id=FARM.id,
                since=since,
                timeout=10,
            )
    for typed in REFUSED_IN_COMMANDS:
        reply = await rig.ask(FARM, f"/{command} {typed}")
        assert reply.plain_text.startswith("There is no item"), (typed, reply.plain_text)
    async with rig.session() as session:
        assert await session.scalar(select(func.count(Report.id))) == 1
