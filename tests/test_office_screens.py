"""/status, /dept, /item and /overdue end to end, on SQLite and PostgreSQL.

The leader and the admin read English here, so the assertions stay true once the
Chinese catalogue translates the new messages.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from storage.models import Item
from tests.office_support import (
    FARM,
    GROUP,
    accept,
    add_departments,
    ask_all,
    binding_id,
    department_id,
    overdue_pages,
    overdue_text,
    report,
    speak_english,
)
from tests.support.botapi import MAX_TEXT_LENGTH
from tests.support.duban import ADMIN, LEADER, DubanRig
from tests.support.tg_text import utf16_len

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def lines_of(text: str) -> list[str]:
    return text.splitlines()


async def test_status_counts_sorts_worst_first_and_drills_down(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await speak_english(rig, ADMIN)
    await rig.join(LEADER, None)
    await speak_english(rig, LEADER)
    # 农业: one done awaiting review, one in progress, one blocked.
    await report(rig, "农业", "A5.1", "done", "92")
    await report(rig, "农业", "A5.3", "in_progress", "70", "96")
    last = await report(rig, "农业", "A5.2", "blocked", text="缺资金")
    # 发改: two items done and accepted.
    await accept(rig, await report(rig, "发展改革", "A1.1", "done"))
    await accept(rig, await report(rig, "发展改革", "A1.2", "done"))
    assert last

    reply = await rig.ask(LEADER, "/status")
    text = reply.plain_text
    assert "Overall: 0.9% done (2 of 213 items accepted)" in text
    assert (
        "✅ done 2 · 🕓 awaiting review 1 · 🔵 in progress 1 · ⚪ not started 208 · ⚠️ blocked 1"
        in text
    )
    # The key to the 🔴/🟡 counts, with every yellow reason and the settings' numbers.
    legend = (
        "🔴 past its deadline · 🟡 due within 7 days, silent for 14 days or more than 10% "
        "behind pace · 🟢 on track"
    )
    assert legend in lines_of(text)
    ranked = [line for line in lines_of(text) if line[:1].isdigit()]
    assert len(ranked) == 17
    # Worst first: 0 % with a blocked item before 0 % without; 18 % last.
    assert ranked[0].startswith("1. 区农业农村局 — 0% (0/15)")
    assert ranked[-1].startswith("17. 区发展改革局 — 18% (2/11)")
    farm_block = text.split("1. 区农业农村局")[1].split("\n2. ")[0]
    assert "✅ 0 · 🕓 1 · 🔵 1 · ⚪ 12 · ⚠️ 1" in farm_block
    today = rig.clock().astimezone(SHANGHAI).date().isoformat()
    assert f"last report {today}" in farm_block
    # A department never reported shows no date.
    assert "last report —" in text

    farm = await department_id(rig, "农业")
    assert f"dept:{farm}" in reply.callback_data and len(reply.callback_data) == 17
    screen = await rig.press(LEADER, reply, f"dept:{farm}")
    assert screen.plain_text.startswith("区农业农村局")

    # The admin may ask too, and so may the leader in the office group.
    assert "Overall:" in (await rig.ask(ADMIN, "/status")).plain_text
    in_group = await rig.ask(LEADER, "/status", chat=GROUP)
    assert "区农业农村局" in in_group.plain_text and "农业联络员" not in in_group.plain_text


async def test_dept_shows_items_values_against_targets_and_buttons(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await speak_english(rig, ADMIN)
    await report(rig, "农业", "A5.1", "done", "88")
    await report(rig, "农业", "A5.3", "in_progress", "80", "96")
    await report(rig, "农业", "A5.2", "blocked")
    await accept(rig, await report(rig, "农业", "G2", "done"))

    reply = await rig.ask(ADMIN, "/dept 农业")
    text = reply.plain_text
    assert text.startswith("区农业农村局 (class A)")
    assert "6.7% done (1 of 15 items accepted)" in text
    # Values against targets, a miss marked.
    assert "秸秆综合利用率: 88% (target ≥ 90%) ✗ misses the target" in text
    assert "畜禽养殖粪便污水综合利用率: 80% (target ≥ 75%) ✓" in text
    assert "规模养殖场粪便污水处理设施配套率: 96% (target ≥ 95%) ✓" in text
    # Outstanding first: blocked, then not started, ..., awaiting review, done last.
    headings = [
        line.split()
        for line in lines_of(text)
        if line[:1] and line[0] in "🔴🟡🟢" and "past its deadline" not in line  # not the legend
    ]
    codes = [words[1] for words in headings]
    assert len(codes) == 15 and codes[0] == "A5.2" and codes[-2:] == ["A5.1", "G2"]
    # Three-colour warnings: the 2020 campaign's year is over, so all but done is red.
    assert [words[0] for words in headings] == ["🔴"] * 14 + ["🟢"]
    assert "⚠️ blocked" in text and "🕓 awaiting review" in text
    assert "deadline 2020-12-31" in text
    a51 = await binding_id(rig, "农业", "A5.1")
    assert f"item:{a51}" in reply.callback_data and len(reply.callback_data) == 15
    assert "🔴 past its deadline" in text and "more than 10% behind pace · 🟢 on track" in text
    card = await rig.press(ADMIN, reply, f"item:{a51}")
    assert "A5.1" in card.plain_text and "秸秆" in card.plain_text

    ambiguous = await rig.ask(ADMIN, "/dept 城")
    assert len(ambiguous.callback_data) == 3
    assert all(d.startswith("dept:") for d in ambiguous.callback_data)
    chosen = await rig.press(ADMIN, ambiguous, ambiguous.callback_data[0])
    assert "class A" in chosen.plain_text
    assert "No department matches" in (await rig.ask(ADMIN, "/dept 火星局")).plain_text
    assert "Usage: /dept" in (await rig.ask(ADMIN, "/dept")).plain_text


async def test_item_shows_every_department_side_by_side(rig: DubanRig) -> None:
    await speak_english(rig, ADMIN)
    await accept(rig, await report(rig, "农业", "G1", "done", "3"))
    await report(rig, "生态环境", "G1", "in_progress", "1")

    reply = await rig.ask(ADMIN, "/item g1")
    text = reply.plain_text
    assert text.startswith("G1 ")
    assert "🎯 专题研究部署职责范围内生态环境保护工作 ≥ 2次" in text
    assert "1 of 17 departments done (5.9%)" in text
    farm = text.split("区农业农村局: ")[1].splitlines()
    assert farm[0].startswith("✅ done")
    assert "3次 (target ≥ 2次) ✓" in farm[1]
    eco = text.split("市生态环境局雨花分局: ")[1].splitlines()
    assert eco[0].startswith("🔵 in progress")
    assert "1次 (target ≥ 2次) ✗ misses the target" in eco[1]
    assert "no value yet (target ≥ 2次)" in text
    assert len(reply.callback_data) == 17
    eco_id = await department_id(rig, "生态环境")
    screen = await rig.press(ADMIN, reply, f"dept:{eco_id}")
    assert screen.plain_text.startswith("市生态环境局雨花分局")

    single = await rig.ask(ADMIN, "/item A5.1")
    assert "区农业农村局" in single.plain_text and len(single.callback_data) == 1
    assert "There is no item A99" in (await rig.ask(ADMIN, "/item A99")).plain_text
    assert "Usage: /item" in (await rig.ask(ADMIN, "/item")).plain_text


async def set_deadline(rig: DubanRig, code: str, deadline: dt.date) -> None:
    async with rig.session() as session:
        item = await session.scalar(select(Item).where(Item.code == code))
        assert item is not None
        item.deadline = deadline
        await session.commit()


async def test_overdue_past_deadline_and_silent(rig: DubanRig) -> None:
    await rig.join(LEADER, None)
    await speak_english(rig, LEADER)
    # Before any deadline, and the campaign (created today) is not silent.
    rig.clock.set(dt.datetime(2020, 11, 1, 10, tzinfo=SHANGHAI))
    await report(rig, "农业", "A5.1", "in_progress", "50")
    reply = await rig.ask(LEADER, "/overdue")
    assert reply.plain_text.startswith("Nothing is overdue")

    # An item's own deadline passed: red; A5.1 silent for 30 days: yellow.
    await set_deadline(rig, "A5.2", dt.date(2020, 11, 30))
    rig.clock.set(dt.datetime(2020, 12, 1, 12, tzinfo=SHANGHAI))
    reply = await rig.ask(LEADER, "/overdue")
    text = reply.plain_text
    assert "Overdue and silent items, 2020-12-01" in text
    assert "past its deadline and not done: 1" in text and "or more: 1" in text
    farm = text.split("区农业农村局 (2)")[1]
    assert "🔴 A5.2" in farm and "deadline 2020-11-30" in farm and "not started" in farm
    assert "🟡 A5.1" in farm and "no report for 30 days" in farm and "in progress" in farm
    assert farm.index("A5.2") < farm.index("A5.1")  # past deadline before silent
    assert reply.callback_data == [f"dept:{await department_id(rig, '农业')}"]
    # On the deadline day itself an item is not yet past it.
    rig.clock.set(dt.datetime(2020, 11, 30, 23, tzinfo=SHANGHAI))
    reply = await rig.ask(LEADER, "/overdue")
    assert "past its deadline and not done: 0" in reply.plain_text

    # After the campaign's year every item not done is past its deadline (year end for
    # items without one); an accepted item is done, one awaiting review is not.
    await accept(rig, await report(rig, "商务", "A6.1", "done"))
    await report(rig, "住房城乡", "A3.3", "done", "96", "91")
    rig.clock.set(dt.datetime(2021, 1, 5, 12, tzinfo=SHANGHAI))
    text = await overdue_text(rig, LEADER)
    assert "past its deadline and not done: 212 · 🟡 no report for 14 days or more: 1" in text
    assert "🔴 A6.1 " not in text and "区商务局 (11)" in text
    a33 = next(line for line in lines_of(text) if "A3.3" in line)
    assert a33.startswith("🔴") and "awaiting review" in a33
    a51 = next(line for line in lines_of(text) if "A5.1" in line)
    assert "deadline 2020-12-31" in a51 and "no report for 65 days" in a51
    assert "deadline 2020-11-30" in next(line for line in lines_of(text) if "A5.2" in line)


async def test_long_screens_split_at_department_boundaries(sqlite_rig: DubanRig) -> None:
    rig = sqlite_rig
    await speak_english(rig, ADMIN)
    await add_departments(rig, 120)
    messages = await ask_all(rig, ADMIN, "/status")
    assert len(messages) >= 3
    seen: list[str] = []
    for message in messages:
        assert utf16_len(message.plain_text) <= MAX_TEXT_LENGTH
        blocks = message.plain_text.split("\n\n")
        for block in blocks:
            if block[:1].isdigit():
                name = block.split(". ", 1)[1].split(" — ")[0]
                # Each block whole: its counts line is in the same message.
                assert "\n" in block and "last report" in block
                seen.append(name)
        # A message's buttons are its own departments'.
        assert len(message.callback_data) == sum(1 for b in blocks if b[:1].isdigit())
    assert len(seen) == 137 and len(set(seen)) == 137

    # /overdue for a campaign silent for 15 days: 333 bindings, a page of 30 at a time,
    # each page whole in its messages, "next ▶" on every page but the last.
    rig.clock.advance(days=15)
    pages = await overdue_pages(rig, ADMIN)
    assert len(pages) == 12  # 11 pages of 30, one of 3
    for number, page in enumerate(pages, start=1):
        first = 30 * (number - 1) + 1
        assert f"Items {first}–{min(first + 29, 333)} of 333, in 137 departments" in (
            page[0].plain_text
        )
        entries = 0
        for message in page:
            assert utf16_len(message.plain_text) <= MAX_TEXT_LENGTH
            lines = lines_of(message.plain_text)
            found = [line for line in lines if line.startswith("🔴") and "never reported" in line]
            entries += len(found)
            # Every message starts with a header or a department's heading, never mid-list.
            assert not lines[0].startswith(("🟡", "🔴"))
        assert entries == (30 if number < 12 else 3)
        moves = [d for m in page for d in m.callback_data if d.startswith("od:")]
        assert ("od:" + str(30 * number) in moves) == (number < 12)
        assert ("od:" + str(30 * (number - 2)) in moves) == (number > 1)
    # The 2020 campaign's year is over: every item is red, and never reported.
    text = await overdue_text(rig, ADMIN)
    seen: list[tuple[str, str]] = []  # (department, code), every page read once
    department = ""
    for line in lines_of(text):
        if re.match(r"^\S+ \(\d+\)$", line):
            department = line
        elif line.startswith("🔴") and "never reported" in line:
            seen.append((department, line.split(" ")[1]))
    assert len(seen) == len(set(seen)) == 213 + 120
