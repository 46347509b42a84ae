"""The office's /score DEPT beside the department's self-assessment, over the project's
Bot API server on the bundled 2020 document (issue 21, point 2).

区农业农村局 self-assesses every item (A5.1 at 9 with its own statement) and submits;
区商务局 proposes G1 but does not submit. The office's /score 农业 shows, on each item's
card, that item's self-score and statement and no other item's; /score 商务 shows that
the self-assessment is not submitted and none of its draft; /score 发改 (never begun)
shows no self-assessment line; neither department's statements appear on the other's
cards. Once the office returns 区农业农村局's self-assessment, its cards say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.dashboard_support import dashboard_rig
from tests.office_support import ask_all, press_all
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, DubanRig, FakeClock

FARM = u.TgUser(id=750_001, first_name="农业联络员")
COMMERCE = u.TgUser(id=750_006, first_name="商务联络员")
OPEN_DAY = dt.datetime(2021, 1, 4, 2, 0, tzinfo=dt.UTC)  # Monday, 10:00 in Shanghai

# 区农业农村局's items in /score order (G1-G8, then A5.1-A5.7) with default points.
FARM_ITEMS = [(f"G{n}", "3.5") for n in range(1, 8)] + [("G8", "5.5")]
FARM_ITEMS += [(f"A5.{n}", "10") for n in range(1, 8)]
A51_STATEMENT = "农户台账已补充完整并报送"
COMMERCE_DRAFT = "商务局散煤整治草稿说明"


def statement_of(code: str) -> str:
    return A51_STATEMENT if code == "A5.1" else f"{code}农业自评说明"


@pytest.fixture
async def rig(database_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    async for duban in dashboard_rig(fake_api, database_url, tmp_path, clock=FakeClock(OPEN_DAY)):
        yield duban


async def say(rig: DubanRig, user: u.TgUser, text: str) -> str:
    return (await rig.ask(user, text)).plain_text or ""


async def farm_cards(rig: DubanRig) -> dict[str, str]:
    """Every card of /score 农业, by item code, going through with ⏭ next."""
    card = await rig.ask(ADMIN, "/score 农业")
    cards: dict[str, str] = {}
    for position, (code, _points) in enumerate(FARM_ITEMS):
        text = card.plain_text or ""
        assert f"\n{code} " in text, (code, text)
        assert len(text) <= 4096
        cards[code] = text
        if position < len(FARM_ITEMS) - 1:
            card = (await press_all(rig, ADMIN, card, "sc:n"))[-1]
    await say(rig, ADMIN, "/cancel")
    return cards


async def test_score_shows_the_submitted_self_assessment(rig: DubanRig) -> None:
    await rig.join(FARM, "农业")
    await rig.join(COMMERCE, "商务")
    await say(rig, ADMIN, "/scheme confirm")
    since = rig.api.mark()
    assert (await say(rig, ADMIN, "/assess open 2021-01-08")).startswith("年度自评已开启")
    for liaison in (FARM, COMMERCE):  # told privately; wait so that replies come after
        await rig.api.wait_for(chat_id=liaison.id, since=since)

    for code, points in FARM_ITEMS:
        score = "9" if code == "A5.1" else points
        reply = await say(rig, FARM, f"/selfassess {code} {score} {statement_of(code)}")
        assert reply.startswith(f"已记录：{code} 自评"), reply
    assert (await say(rig, COMMERCE, f"/selfassess G1 3 {COMMERCE_DRAFT}")).startswith(
        "已记录：G1 自评"
    )
    # Before submitting, the office sees none of the farm department's draft.
    card = await rig.ask(ADMIN, "/score 农业")
    assert "自评：尚未提交" in (card.plain_text or ""), card.plain_text
    assert "农业自评说明" not in (card.plain_text or "")
    await say(rig, ADMIN, "/cancel")

    form = await ask_all(rig, FARM, "/selfassess")
    with_button = next(m for m in form if "ya:sub" in m.callback_data)
    pressed = await press_all(rig, FARM, with_button, "ya:sub")
    assert any("已锁定" in (m.plain_text or "") for m in pressed)

    cards = await farm_cards(rig)
    assert "自评 9 / 10（已提交）：" + A51_STATEMENT in cards["A5.1"], cards["A5.1"]
    assert "自评 3.5 / 3.5（已提交）：G1农业自评说明" in cards["G1"], cards["G1"]
    assert "自评 5.5 / 5.5（已提交）：G8农业自评说明" in cards["G8"], cards["G8"]
    for code, text in cards.items():
        others = [statement_of(c) for c, _p in FARM_ITEMS if c != code]
        assert not any(other in text for other in others), (code, text)
        assert COMMERCE_DRAFT not in text

    # 区商务局 has not submitted: its G1 card carries no self-score and no draft.
    commerce = (await rig.ask(ADMIN, "/score 商务")).plain_text or ""
    assert "\nG1 " in commerce and "自评：尚未提交" in commerce, commerce
    assert "自评 3" not in commerce and COMMERCE_DRAFT not in commerce
    assert "农业自评说明" not in commerce and A51_STATEMENT not in commerce
    await say(rig, ADMIN, "/cancel")
    # 区发展改革局 never began: no self-assessment line at all.
    reform = (await rig.ask(ADMIN, "/score 发改")).plain_text or ""
    assert "\nG1 " in reform and "自评" not in reform, reform
    await say(rig, ADMIN, "/cancel")

    # Returned to the department: the office still sees it, marked returned.
    assert (await say(rig, ADMIN, "/assess return 农业 请补充台账")).startswith("已退回")
    card = await rig.ask(ADMIN, "/score 农业")
    assert "自评 3.5 / 3.5（已退回）：G1农业自评说明" in (card.plain_text or ""), card.plain_text
