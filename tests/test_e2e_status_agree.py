"""/status, /dept, /overdue, /items and the digest agree, end to end over the fake Bot API
server, on SQLite and PostgreSQL.

The bundled 2020 campaign, bound on 2020-11-01. 区农业农村局 reports on 2020-11-10: A5.1
done and accepted, A5.3 done and returned, G2 done (not reviewed yet), A5.2 blocked, G1
in progress. Read on 2020-11-16, when everything unreported has been silent for 15 days,
and on 2021-01-05, when the campaign's year is over: the four items with a deadline of
their own and the rest (due at the year's end) are all past due, on every screen alike.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from core.reporting.sql import SqlReview
from core.reporting.use_cases import decide
from storage.models import Binding, Campaign
from tests.office_support import FARM, ask_all, overdue_text, report
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, DubanRig

GROUP = u.group_chat()
BOUND = dt.datetime(2020, 11, 1, tzinfo=dt.UTC)
REPORTED = dt.datetime(2020, 11, 10, 2, tzinfo=dt.UTC)
FIRST = dt.datetime(2020, 11, 16, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai, a Monday
SECOND = dt.datetime(2021, 1, 5, 0, 30, tzinfo=dt.UTC)  # a Tuesday
FARM_NAME = "区农业农村局"
TOTAL = 213


@pytest.fixture
async def office(
    database_url: str, tmp_path: Path, fake_api: FakeBotAPI
) -> AsyncIterator[DubanRig]:
    rig = DubanRig(
        fake_api, database_url, tmp_path / "evidence", overrides={"default_locale": "en"}
    )
    rig.clock.set(BOUND)
    await rig.import_bundled()
    async with rig.session() as session:
        await session.execute(update(Campaign).values(created_at=BOUND))
        await session.execute(update(Binding).values(created_at=BOUND))
        await session.commit()
    await rig.start()
    try:
        yield rig
    finally:
        await rig.close()


async def text_of(rig: DubanRig, user: u.TgUser, command: str) -> str:
    return "\n".join(m.plain_text or "" for m in await ask_all(rig, user, command))


def colours(text: str) -> dict[str, str]:
    """{code: colour emoji} from the item lines of /dept, /items or /overdue."""
    return {m[2]: m[1] for m in re.finditer(r"^(🔴|🟡|🟢) ([GAB]\d+(?:\.\d+)?) ", text, re.M)}


def status_line(text: str, name: str) -> tuple[int, int, int, int]:
    """(done, total, red, yellow) of a department on /status."""
    match = re.search(rf"^\d+\. {name} — \S+ \((\d+)/(\d+)\)\n(.*)$", text, re.M)
    assert match, text[:500]
    marks = re.search(r"🔴(\d+) 🟡(\d+)", match[3])
    red, yellow = (int(marks[1]), int(marks[2])) if marks else (0, 0)
    return int(match[1]), int(match[2]), red, yellow


def all_red(text: str) -> int:
    return sum(int(n) for n in re.findall(r"🔴(\d+) 🟡\d+", text))


async def digest_text(rig: DubanRig) -> str:
    """/digest: what the office group is sent (every text part of it)."""
    since = rig.api.mark()
    reply = await rig.ask(ADMIN, "/digest", timeout=30)
    assert "digest was sent to the office group" in (reply.plain_text or "")
    return "\n".join(
        m.plain_text or ""
        for m in rig.api.messages_to(GROUP.id)
        if m.index >= since and m.method == "sendMessage"
    )


def overdue_section(text: str, name: str) -> str:
    """The lines of one department's block on /overdue (continued on the next page when
    a page ends inside it)."""
    blocks = re.finditer(rf"^{name} \(\d+\)\n((?:[🔴🟡].*\n?)*)", text, re.M)
    return "".join(block[1] for block in blocks)


async def test_screens_and_digest_agree(office: DubanRig) -> None:
    rig = office
    await rig.join(FARM, "农业")
    await rig.ask(ADMIN, "/setgroup", chat=GROUP)
    accepted = await report(rig, "农业", "A5.1", "done", "92", at=REPORTED)
    returned = await report(rig, "农业", "A5.3", "done", "80", "96", at=REPORTED)
    await report(rig, "农业", "G2", "done", at=REPORTED)
    await report(rig, "农业", "A5.2", "blocked", at=REPORTED)
    await report(rig, "农业", "G1", "in_progress", "1", at=REPORTED)
    for report_id, decision in ((accepted, "accepted"), (returned, "returned")):
        async with rig.session() as session:
            await decide(
                SqlReview(session),
                report_id=report_id,
                decision=decision,
                comment="",
                reviewer_tg_id=ADMIN.id,
                now=REPORTED + dt.timedelta(hours=1),
            )
            await session.commit()

    # ---- 2020-11-16: the ten unreported items of 农业 are silent (yellow); nothing is red.
    rig.clock.set(FIRST)
    status = await text_of(rig, ADMIN, "/status")
    dept = await text_of(rig, ADMIN, "/dept 农业")
    items = await text_of(rig, FARM, "/items")
    overdue = await overdue_text(rig, ADMIN)
    digest = await digest_text(rig)

    # 10 silent, and G1 ("不少于2次", in progress with no count reported) behind pace.
    assert status_line(status, FARM_NAME) == (1, 15, 0, 11)
    assert "(1 of 15 items accepted)" in dept
    assert items.startswith("Your items: 1 of 15 done")
    assert f"(1 of {TOTAL} items accepted)" in status
    assert f"Overall completion: 0.5% (1/{TOTAL})" in digest
    farm = colours(dept)
    assert len(farm) == 15 and colours(items) == farm
    assert sorted(farm.values()).count("🟡") == 11
    # Done, awaiting review, returned (in progress again) and blocked: green; G1, in
    # progress, is behind its pace line (issue 22): yellow, but not overdue.
    assert {farm[c] for c in ("A5.1", "G2", "A5.3", "A5.2")} == {"🟢"}
    assert farm["G1"] == "🟡"
    # /overdue lists exactly the silent (yellow) ones; no screen has anything red.
    assert colours(overdue_section(overdue, FARM_NAME)) == {
        c: m for c, m in farm.items() if m == "🟡" and c != "G1"
    }
    assert f"past its deadline and not done: 0 · 🟡 no report for 14 days or more: {TOTAL - 5}" in (
        overdue
    )
    assert all_red(status) == 0 and "Items past deadline" not in digest

    # ---- 2021-01-05: the year is over; all but the accepted item are past due (red).
    rig.clock.set(SECOND)
    status = await text_of(rig, ADMIN, "/status")
    dept = await text_of(rig, ADMIN, "/dept 农业")
    items = await text_of(rig, FARM, "/items")
    overdue = await overdue_text(rig, ADMIN)
    digest = await digest_text(rig)

    assert status_line(status, FARM_NAME)[:3] == (1, 15, 14)
    farm = colours(dept)
    assert colours(items) == farm
    assert farm == {c: ("🟢" if c == "A5.1" else "🔴") for c in farm}
    assert colours(overdue_section(overdue, FARM_NAME)) == {
        c: m for c, m in farm.items() if c != "A5.1"
    }
    red = TOTAL - 1
    assert all_red(status) == red
    assert f"🔴 past its deadline and not done: {red} ·" in overdue
    assert len(re.findall(r"^🔴 [GAB]\d", overdue, re.M)) == red
    assert f"Items past deadline and not done: {red}" in digest
    # Every screen says which deadline: A5.2's own, or the year's end for the others.
    for text in (dept, items, overdue):
        assert "A5.2 " in text and "deadline 2020-12-31 (year end)" in text
    a52 = dept[dept.index("A5.2 ") :].split("\n")[1]
    assert "deadline 2020-12-31" in a52 and "year end" not in a52
