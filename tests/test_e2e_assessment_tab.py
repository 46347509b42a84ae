"""The dashboard's 考核 tab in headless Chromium and through its API.

A leader sees the ranking by class as a chart in grade colours, each department leading
to its items and deductions; a liaison sees nothing of it before feedback and only their
own department's result after it; another department's result is 403. The API's totals,
grades and ranks are the engine's. Screenshots (phone 390 px, desktop 1280 px) go to
tests/screenshots/assessment-*.png (the README shows copies kept in docs/).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.scheduling.workdays import is_chinese_working_day
from core.scoring.amounts import show
from core.scoring.engine import in_rank_order
from core.scoring.results import results_of
from core.scoring.sql import SqlScoring
from core.yearend import feedback
from core.yearend.sql import SqlYearEnd
from core.yearend.state import Acting, active_campaign
from tests.dashboard_support import dashboard_rig, get
from tests.office_support import FARM, department_id
from tests.support.botapi import FakeBotAPI
from tests.support.duban import LEADER, DubanRig, FakeClock
from tests.test_e2e_dashboard_browser import (
    DESKTOP,
    PHONE,
    browser,
    init_data_of,
    mini_app_url,
    open_page,
    wait_screen,
)
from tests.yearend_support import OFFICE_ID, confirm_with_vetoes, score_everything, veto

__all__ = ["browser"]  # the fixture, used by name below
SHOTS = Path(__file__).resolve().parent / "screenshots"
REVIEW_DAY = dt.datetime(2021, 1, 11, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
async def rig(sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    """After the year: the scheme confirmed, every item scored, two deductions, a veto."""
    async for duban in dashboard_rig(fake_api, sqlite_url, tmp_path, clock=FakeClock(REVIEW_DAY)):
        await duban.join(FARM, "农业")
        await duban.join(LEADER, None)
        async with duban.session() as session:
            await confirm_with_vetoes(session, REVIEW_DAY)
            await score_everything(
                session,
                REVIEW_DAY,
                {
                    ("区农业农村局", "A5.2"): (Decimal(2), "受污染耕地台账不完整"),
                    ("区商务局", "A6.1"): (Decimal(12), "散煤整治进度滞后"),
                    ("区住房城乡建设局", "A3.1"): (Decimal(14), "扬尘治理不达标"),
                },
            )
            await veto(session, REVIEW_DAY, "区交通运输局", "V1")
            await session.commit()
        yield duban


async def give_feedback(rig: DubanRig) -> None:
    async with rig.session() as session:
        store = SqlYearEnd(session)
        campaign = await active_campaign(store)
        await feedback.send_feedback(
            store,
            campaign.id,
            Acting(OFFICE_ID, REVIEW_DAY, dt.UTC),
            is_chinese_working_day,
        )
        await session.commit()


async def api_json(rig: DubanRig, path: str, user: Any) -> tuple[int, Any]:
    status, _type, body = await get(rig, path, init_data_of(rig, user))
    return status, json.loads(body) if status == 200 else None


async def test_api_agrees_with_the_engine_and_keeps_departments_apart(rig: DubanRig) -> None:
    status, data = await api_json(rig, "/api/assessment", LEADER)
    assert status == 200
    async with rig.session() as session:
        campaign = await active_campaign(SqlYearEnd(session))
        ranked = in_rank_order(results_of(await SqlScoring(session).book(campaign.id)))
    shown = [row for table in data["classes"] for row in table["rows"]]
    assert [(r["name"], r["rank"], r["score"], r["grade"]) for r in shown] == [
        (r.name, r.rank, show(r.score), r.grade) for r in ranked
    ]
    tones = {r["name"]: r["tone"] for r in shown}
    assert tones["区交通运输局"] == "fail" and tones["区农业农村局"] == "top"
    assert tones["区住房城乡建设局"] == "good"  # 86: 良好

    farm = await department_id(rig, "农业")
    commerce = await department_id(rig, "商务")
    # Before feedback a liaison sees nothing of any score.
    assert (await api_json(rig, "/api/assessment", FARM))[0] == 403
    assert (await api_json(rig, f"/api/assessment/{farm}", FARM))[0] == 403
    await give_feedback(rig)
    status, own = await api_json(rig, "/api/assessment", FARM)
    assert status == 200
    assert [r["name"] for t in own["classes"] for r in t["rows"]] == ["区农业农村局"]
    assert own["classes"][0]["rows"][0]["rank"] is None  # no standing among others yet
    status, detail = await api_json(rig, f"/api/assessment/{farm}", FARM)
    assert status == 200 and detail["score"] == "98"
    a52 = next(i for i in detail["items"] if i["code"] == "A5.2")
    assert a52["score"] == "8" and a52["deductions"][0]["reason"] == "受污染耕地台账不完整"
    assert (await api_json(rig, f"/api/assessment/{commerce}", FARM))[0] == 403
    assert (await get(rig, "/api/assessment"))[0] == 401


async def test_the_tab_in_chromium_for_a_leader_and_a_liaison(rig: DubanRig, browser: Any) -> None:
    SHOTS.mkdir(exist_ok=True)
    url = mini_app_url(rig, init_data_of(rig, LEADER))
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context, page, _requests = await open_page(browser, url, viewport)
        await wait_screen(page, "overview")
        await page.click("#nav-assess")
        await wait_screen(page, "assess")
        assert await page.locator("#ranking-A li").count() == 17
        assert await page.locator("#ranking-B li").count() == 1
        assert await page.locator("#chart-class-A canvas").count() == 1
        first = page.locator("#ranking-A li").first
        assert "1" in await first.locator(".rank").inner_text()
        transport = page.locator("#ranking-A li", has_text="区交通运输局")
        assert await transport.locator(".grade.fail").inner_text() == "不合格"
        assert "发生重大生态环境事件" in await transport.inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        await page.screenshot(path=str(SHOTS / f"assessment-{label}.png"), full_page=True)

        await page.click("#ranking-A li:has-text('区商务局') a.name")
        await wait_screen(page, "assess")
        await page.wait_for_selector("#assess-items")
        a61 = page.locator("#assess-items li[data-code='A6.1']")
        assert "散煤整治进度滞后" in await a61.inner_text()
        assert "不合格" not in await page.locator("#assess-summary").inner_text()
        await page.screenshot(
            path=str(SHOTS / f"assessment-department-{label}.png"), full_page=True
        )
        await context.close()

    # A liaison: nothing before feedback, their own department only after it.
    liaison_url = mini_app_url(rig, init_data_of(rig, FARM), "")
    context, page, _requests = await open_page(browser, liaison_url, PHONE)
    await page.click("#nav-assess")
    await wait_screen(page, "error")
    assert await page.locator("#notice").inner_text() == "您无权查看督办看板。"
    await context.close()
    await give_feedback(rig)
    context, page, _requests = await open_page(browser, liaison_url, PHONE)
    await page.click("#nav-assess")
    await wait_screen(page, "assess")
    rows = page.locator("#ranking-A li")
    assert await rows.count() == 1 and "区农业农村局" in await rows.inner_text()
    await page.screenshot(path=str(SHOTS / "assessment-liaison-phone.png"), full_page=True)
    await context.close()
