"""The dashboard in a real browser: headless Chromium (Debian's package) driven by Playwright.

The real bot runs with its dashboard; Chromium opens /app/ the way Telegram opens a Mini
App, with initData in the URL fragment (tgWebAppData), or with window.Telegram.WebApp
injected as Telegram's own script would. The tests assert what a person sees: a leader
the overview, a department, an item and a report's evidence, in Chinese or English; a
liaison only their department; strangers, forged, expired and stale initData nothing.
Screenshots go to tests/screenshots/ (phone 390 px and desktop 1280 px wide); an item's
trend chart (issue 22) is checked in the ECharts instance's own option: every
department's values, the target and the pace line.

In CI (CI=true) a missing Chromium fails these tests; elsewhere they are skipped with
the reason shown. Playwright never downloads a browser here: it drives /usr/bin/chromium.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from core.oversight.overview import campaign_overview
from core.status.model import format_rate
from storage import repositories as repo
from storage.models import Department, Item, Target
from tests.dashboard_support import MID_2020, base_url, dashboard_rig, seed, seed_mid_campaign
from tests.office_support import (
    ECO,
    FARM,
    STRANGER,
    add_departments,
    department_id,
    report,
    speak_english,
)
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, LEADER, DubanRig, FakeClock
from tests.support.updates import TgUser
from tests.support.webapp import forged_init_data, signed_init_data

CHROMIUM = os.environ.get("DUBAN_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
DARK_THEME = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}


def chromium_or_fail() -> str:
    if Path(CHROMIUM).exists() and shutil.which(CHROMIUM):
        return CHROMIUM
    message = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    if IN_CI:
        pytest.fail(message + "; CI requires it")
    pytest.skip(message)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    executable = chromium_or_fail()
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        if IN_CI:
            pytest.fail("playwright is not installed; CI requires it")
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def rig(sqlite_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    """Mid-2020, in the middle of the bundled campaign, with reports spread over weeks."""
    async for duban in dashboard_rig(fake_api, sqlite_url, tmp_path, clock=FakeClock(MID_2020)):
        await seed(duban)
        await seed_mid_campaign(duban)
        yield duban


def mini_app_url(rig: DubanRig, init_data: str, route: str = "") -> str:
    """/app/ as Telegram opens it: initData, version and theme in the fragment."""
    fragment = (
        f"tgWebAppData={quote(init_data, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=web"
        f"&tgWebAppThemeParams={quote(json.dumps({'bg_color': '#ffffff'}), safe='')}"
    )
    return f"{base_url(rig)}/app/{route}#{fragment}"


def init_data_of(rig: DubanRig, user: TgUser, **kwargs: Any) -> str:
    return signed_init_data(user, rig.api.token, auth_date=rig.clock(), **kwargs)


async def open_page(
    browser: Any, url: str, viewport: dict[str, int], *, init_script: str | None = None
) -> tuple[Any, Any, list[str]]:
    """A fresh context (no stored initData) with the page loaded and rendered."""
    context = await browser.new_context(viewport=viewport, device_scale_factor=1)
    if init_script:
        await context.add_init_script(init_script)
    page = await context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    await page.goto(url)
    await page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    return context, page, requests


async def load_times(page: Any) -> tuple[float, float]:
    """(navigation load event, first screen rendered) in ms from navigation start."""
    timing = await page.evaluate(
        """() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const ready = performance.getEntriesByName('duban-ready')[0];
            return [nav.loadEventEnd - nav.startTime, ready ? ready.startTime : -1];
        }"""
    )
    return float(timing[0]), float(timing[1])


async def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def wait_screen(page: Any, screen: str) -> None:
    await page.wait_for_selector(f"body[data-screen='{screen}']", timeout=10_000)


async def test_a_leader_sees_overview_department_item_and_evidence(
    rig: DubanRig, browser: Any
) -> None:
    farm = await department_id(rig, "农业")
    async with rig.session() as session:
        campaign = await repo.active_campaign(session)
        assert campaign is not None
        totals = (await campaign_overview(session, campaign)).totals
    url = mini_app_url(rig, init_data_of(rig, LEADER))
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context, page, requests = await open_page(browser, url, viewport)
        await wait_screen(page, "overview")
        loaded, ready = await load_times(page)
        print(
            f"\ndashboard overview ({label}): load event {loaded:.0f} ms, rendered {ready:.0f} ms"
        )
        # The navigation timing's load event is the target (issue 12: under a second);
        # the first screen needs two more API round trips, bounded loosely on a busy machine.
        assert 0 < loaded < 1000
        assert 0 < ready < 3000

        assert await page.locator("#overall h2").inner_text() == "总体完成率"
        # The figures of /status (core.oversight.overview), as the page shows them.
        assert await page.locator("#overall .big").inner_text() == format_rate(totals)
        assert (
            f"{totals.total} 项中 {totals.done} 项已通过审核"
            in await page.locator("#overall").inner_text()
        )
        assert totals.done > 5 and totals.pending_review > 0
        assert await page.locator("#departments li").count() == 17
        assert await page.locator("#chart-departments canvas").count() == 1
        assert await page.locator("#colours .chip").count() == 3
        # Readable: nothing wider than the screen.
        assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        await shot(page, f"overview-{label}")

        await page.click(f"#departments li[data-department='{farm}'] a")
        await wait_screen(page, "dept")
        assert await page.locator("#department-name").inner_text() == "区农业农村局 （A类）"
        a51 = page.locator("#items li[data-code='A5.1']")
        assert "推进中" in await a51.inner_text()
        assert await page.locator("#items li[data-code='G1'] .dot.green").count() == 1
        assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        await shot(page, f"department-{label}")

        await page.click("#items li[data-code='G1'] a.name")
        await wait_screen(page, "item")
        assert await page.locator("#bindings li").count() == 17

        await page.goto(f"{base_url(rig)}/app/#/dept/{farm}")  # initData kept for the session
        await wait_screen(page, "dept")
        await a51.locator("a.right").click()
        await wait_screen(page, "binding")
        image = page.locator(".thumb img").first
        await image.wait_for()
        await page.wait_for_function(
            "() => [...document.querySelectorAll('.thumb img')].every(i => i.complete)"
        )
        assert await image.evaluate("i => i.naturalWidth") == 320
        assert await page.locator(".thumb .icon").inner_text() == "PDF"
        await shot(page, f"evidence-{label}")

        await page.click("#nav-overdue")
        await wait_screen(page, "overdue")
        assert await page.locator("h1").inner_text() == "逾期"
        third_party = [r for r in requests if not r.startswith(base_url(rig))]
        assert not third_party, third_party
        await context.close()


async def test_telegrams_script_and_theme_are_used_when_telegram_provides_them(
    rig: DubanRig, browser: Any
) -> None:
    """English for a leader who chose it; initData and theme from window.Telegram.WebApp."""
    await speak_english(rig, LEADER)
    web_app = {"initData": init_data_of(rig, LEADER), "themeParams": DARK_THEME}
    script = (
        "window.Telegram = {WebApp: Object.assign("
        + json.dumps(web_app)
        + ", {ready() { window.__ready = true; }, expand() {}})};"
    )
    context, page, _ = await open_page(
        browser, f"{base_url(rig)}/app/", DESKTOP, init_script=script
    )
    await wait_screen(page, "overview")
    assert await page.locator("#overall h2").inner_text() == "Overall completion"
    assert await page.locator("#nav-overdue").inner_text() == "Overdue"
    assert await page.evaluate("window.__ready") is True
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(23, 33, 43)"  # the theme's bg_color
    await shot(page, "overview-desktop-en-dark")
    await context.close()


async def test_a_liaison_sees_only_their_own_department(rig: DubanRig, browser: Any) -> None:
    farm, eco = await department_id(rig, "农业"), await department_id(rig, "生态环境")
    context, page, _ = await open_page(browser, mini_app_url(rig, init_data_of(rig, FARM)), PHONE)
    await wait_screen(page, "dept")
    assert (await page.locator("#department-name").inner_text()).startswith("区农业农村局")
    assert await page.locator("#items li").count() > 0
    await shot(page, "department-phone-liaison")

    await page.goto(f"{base_url(rig)}/app/#/dept/{eco}")
    await wait_screen(page, "error")
    text = await page.locator("main").inner_text()
    assert text == "您无权查看督办看板。"
    # The overview is not theirs: the page takes them back to their department.
    await page.goto(f"{base_url(rig)}/app/#/overview")
    await wait_screen(page, "dept")
    assert (await page.locator("#department-name").inner_text()).startswith("区农业农村局")
    async with rig.session() as session:
        eco_name = (await session.get(Department, eco)).name  # type: ignore[union-attr]
    assert eco_name not in await page.content()
    await page.goto(f"{base_url(rig)}/app/#/item/G1")
    await wait_screen(page, "item")
    assert [
        await li.get_attribute("data-department") for li in await page.locator("#bindings li").all()
    ] == [str(farm)]
    await context.close()
    assert ECO  # the other department's liaison exists: the refusal is not for want of data


@pytest.mark.parametrize("who", ["stranger", "forged", "expired", "stale", "none"])
async def test_nobody_else_sees_anything(rig: DubanRig, browser: Any, who: str) -> None:
    token = rig.api.token
    if who == "stale":
        # Validly signed and fresh, but the leader was revoked since it was signed.
        init_data = init_data_of(rig, LEADER)
        await rig.ask(ADMIN, f"/revoke {LEADER.id}")
    else:
        init_data = {
            "stranger": init_data_of(rig, STRANGER),
            "forged": forged_init_data(LEADER, token),
            "expired": signed_init_data(
                LEADER, token, auth_date=rig.clock() - dt.timedelta(days=1, minutes=1)
            ),
            "none": "",
        }[who]
    url = mini_app_url(rig, init_data) if init_data else f"{base_url(rig)}/app/"
    context, page, _ = await open_page(browser, url, PHONE)
    await wait_screen(page, "refused")
    expected = (
        "您无权查看督办看板。"
        if who in ("stranger", "stale")
        else "请在 Telegram 中通过机器人的菜单按钮打开督办看板。"
    )
    assert await page.locator("main").inner_text() == expected
    html = await page.content()
    for secret in ("区农业农村局", "A5.1", "完成率"):
        assert secret not in html
    assert await page.locator("#nav").is_hidden()
    if who == "forged":
        await shot(page, "refused-phone")
    await context.close()


async def test_the_overview_pages_through_many_departments(rig: DubanRig, browser: Any) -> None:
    await add_departments(rig, 20)  # 37 departments: two pages of 30
    context, page, _ = await open_page(browser, mini_app_url(rig, init_data_of(rig, LEADER)), PHONE)
    await wait_screen(page, "overview")
    assert await page.locator("#departments li").count() == 30
    assert await page.locator(".pager .hint").inner_text() == "第 1–30 条，共 37 条"
    await page.locator(".pager button").nth(1).click()
    await page.wait_for_function("() => location.hash === '#/overview/30'")
    await page.wait_for_function("() => document.querySelectorAll('#departments li').length === 7")
    assert await page.locator(".pager .hint").inner_text() == "第 31–37 条，共 37 条"
    assert await page.locator(".pager button").nth(1).is_disabled()
    await context.close()


async def test_an_items_trend_chart_draws_values_target_and_pace_line(
    rig: DubanRig, browser: Any
) -> None:
    """G1 ("不少于2次", paced, target 2): two departments' reported counts over time, the
    target and the pace line from 0 on 1 January to 2 on 31 December, in the chart."""
    eco_reports = ((dt.date(2020, 2, 3), "0"), (dt.date(2020, 5, 4), "1"))
    for day, value in eco_reports:
        at = dt.datetime.combine(day, dt.time(2), tzinfo=dt.UTC)  # 10:00 in Shanghai
        await report(rig, "生态环境", "G1", "in_progress", value, by=ECO, at=at)
    police_at = dt.datetime(2020, 4, 1, 2, 0, tzinfo=dt.UTC)
    await report(rig, "公安", "G1", "in_progress", "1", at=police_at)
    # The chart's lines in the API's order: departments by id, then pace, then target.
    eco, police = await department_id(rig, "生态环境"), await department_id(rig, "公安")
    async with rig.session() as session:
        names: dict[int, str] = {}
        for key in (eco, police):
            department = await session.get(Department, key)
            assert department is not None
            names[key] = department.name
        metric = await session.scalar(
            select(Target.metric)
            .join(Item, Item.id == Target.item_id)
            .where(Item.code == "G1")
            .order_by(Target.position)
            .limit(1)
        )
    context, page, _ = await open_page(
        browser, mini_app_url(rig, init_data_of(rig, LEADER)), DESKTOP
    )
    await wait_screen(page, "overview")
    await page.goto(f"{base_url(rig)}/app/#/item/G1")  # initData kept for the session
    await wait_screen(page, "item")
    # Drawn after the screen (a timer), on a canvas of the card's size.
    canvas = page.locator("#trend canvas")
    await canvas.wait_for()
    assert await canvas.count() == 1
    box = await canvas.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    card = page.locator("section.card", has=page.locator("#trend"))
    assert await card.locator("h2").inner_text() == f"历次填报数值 · {metric}"
    # Something is painted: more than a handful of colours (lines, axes, legend).
    colours = await canvas.evaluate(
        """c => {
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const seen = new Set();
            for (let i = 0; i < data.length; i += 4) seen.add(data.slice(i, i + 4).join());
            return seen.size;
        }"""
    )
    assert colours > 10, colours

    option = await page.evaluate(
        """() => {
            const o = echarts.getInstanceByDom(document.getElementById('trend')).getOption();
            return o.series.map(s => ({
                name: s.name, type: s.type, data: s.data,
                dashed: (s.lineStyle || {}).type || null,
                marks: ((s.markLine || {}).data || []).map(m => m.yAxis),
            }));
        }"""
    )
    by_name = {s["name"]: s for s in option}
    lines = [names[d] for d in sorted((eco, police))]
    assert [s["name"] for s in option] == [*lines, "序时进度线", "目标值"]
    assert {s["type"] for s in option} == {"line"}
    # The values: one point per report, on its local date.
    assert by_name[names[eco]]["data"] == [["2020-02-03", 0], ["2020-05-04", 1]]
    assert by_name[names[police]]["data"] == [["2020-04-01", 1]]
    # The pace line: straight from 0 at the campaign's start to the target at year end.
    pace = by_name["序时进度线"]
    assert pace["data"] == [["2020-01-01", 0], ["2020-12-31", 2]] and pace["dashed"] == "dashed"
    # The target: a horizontal line at 2.
    assert by_name["目标值"]["marks"] == [2]
    # The item's head and its chart (docs/dashboard-trend.png is a copy).
    bottom = await card.evaluate("c => c.getBoundingClientRect().bottom + window.scrollY")
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(
        path=str(SCREENSHOTS / "trend-desktop.png"),
        clip={"x": 0, "y": 0, "width": DESKTOP["width"], "height": bottom + 12},
    )
    await context.close()
