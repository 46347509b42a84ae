"""The dashboard's /api/ over real HTTP, served by the running bot, on both databases.

Authorisation first: without valid initData every endpoint answers 401 and nothing
else; strangers get 403; a liaison sees their own department only, including evidence.
Then the figures: the overview counts are those of /status (core.oversight.overview).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import update

from core.oversight.overview import campaign_overview, colour_counts
from storage import repositories as repo
from storage.models import Item
from tests.dashboard_support import PDF, dashboard_rig, get, get_bytes, seed
from tests.office_support import ECO, FARM, STRANGER, department_id, report
from tests.support.botapi import FakeBotAPI
from tests.support.duban import ADMIN, LEADER, DubanRig, FakeClock
from tests.support.webapp import forged_init_data, signed_init_data

ENDPOINTS = [
    "/api/me",
    "/api/overview",
    "/api/weekly",
    "/api/departments/1",
    "/api/items/A5.1",
    "/api/overdue",
    "/api/bindings/1/reports",
    "/api/evidence/1/thumb",
    "/api/evidence/1/file",
    "/api/no-such-endpoint",
]


@pytest.fixture
async def rig(database_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    # Late in the campaign, so that items are of every colour.
    late = FakeClock(dt.datetime(2020, 12, 28, 2, 0, tzinfo=dt.UTC))
    async for duban in dashboard_rig(fake_api, database_url, tmp_path, clock=late):
        await seed(duban)
        async with duban.session() as session:  # one item due at mid-year: red by now
            await session.execute(
                update(Item).where(Item.code == "G8").values(deadline=dt.date(2020, 6, 30))
            )
            await session.commit()
        yield duban


def as_(rig: DubanRig, user: object, **kwargs: object) -> str:
    return signed_init_data(user, rig.api.token, auth_date=rig.clock(), **kwargs)  # type: ignore[arg-type]


async def test_without_valid_init_data_every_endpoint_is_401_and_says_nothing(
    rig: DubanRig,
) -> None:
    expired = signed_init_data(LEADER, rig.api.token, auth_date=rig.clock() - dt.timedelta(days=2))
    other_bot = signed_init_data(LEADER, "111:" + "y" * 35, auth_date=rig.clock())
    for path in ENDPOINTS:
        for init_data, scheme in [
            (None, "tma"),
            (as_(rig, LEADER), "Bearer"),
            ("", "tma"),
            (forged_init_data(LEADER, rig.api.token), "tma"),
            (expired, "tma"),
            (other_bot, "tma"),
        ]:
            status, _, body = await get(rig, path, init_data, scheme=scheme)
            assert status == 401, (path, scheme, init_data)
            assert json.loads(body) == {"error": "unauthorized"}


async def test_a_stranger_with_valid_init_data_gets_403_and_nothing_else(rig: DubanRig) -> None:
    for path in ENDPOINTS[:-1]:
        status, _, body = await get(rig, path, as_(rig, STRANGER))
        assert status == 403, path
        assert json.loads(body) == {"error": "forbidden"}


async def test_the_leaders_overview_is_the_status_screens_figures(rig: DubanRig) -> None:
    status, _, body = await get(rig, "/api/overview?limit=5", as_(rig, LEADER))
    assert status == 200
    data = json.loads(body)
    async with rig.session() as session:
        campaign = await repo.active_campaign(session)
        assert campaign is not None
        expected = await campaign_overview(session, campaign)
    totals = data["totals"]
    assert (totals["done"], totals["in_progress"], totals["total"]) == (
        expected.totals.done,
        expected.totals.in_progress,
        expected.totals.total,
    )
    assert totals["done"] == 1 and totals["in_progress"] == 2  # G1 accepted; A5.1 and G1
    assert [d["name"] for d in data["departments"]] == [d.name for d in expected.departments[:5]]
    assert data["page"] == {"offset": 0, "limit": 5, "total": 17}
    assert sum(data["colours"].values()) == totals["total"]
    # The colours are /status's (core.oversight.overview.colour_counts), per department
    # and in total, though the dashboard groups bindings before applying the rule.
    settings = rig.settings
    async with rig.session() as session:
        day = await settings.reading(rig.clock()).day(session, campaign)
        expected_colours = await colour_counts(session, campaign, day=day)
    for department in data["departments"]:
        want = expected_colours.get(department["id"], {"red": 0, "yellow": 0})
        got = department["colours"]
        assert (got["red"], got["yellow"]) == (want["red"], want["yellow"]), department["name"]
    assert data["colours"]["red"] == sum(c["red"] for c in expected_colours.values())
    assert data["colours"]["yellow"] == sum(c["yellow"] for c in expected_colours.values())
    assert min(data["colours"].values()) > 0, data["colours"]  # red, yellow and green
    page2 = json.loads((await get(rig, "/api/overview?offset=15&limit=5", as_(rig, LEADER)))[2])
    assert len(page2["departments"]) == 2
    assert (await get(rig, "/api/overview?limit=x", as_(rig, LEADER)))[0] == 400


async def test_department_item_overdue_and_weekly_for_a_leader(rig: DubanRig) -> None:
    farm = await department_id(rig, "农业")
    status, _, body = await get(rig, f"/api/departments/{farm}", as_(rig, LEADER))
    assert status == 200
    data = json.loads(body)
    assert data["name"] == "区农业农村局"
    rows = {row["code"]: row for row in data["items"]}
    assert rows["A5.1"]["status"] == "in_progress" and rows["A5.1"]["reports"] == 2
    assert rows["G1"]["status"] == "done" and rows["G1"]["colour"] == "green"
    assert data["counts"]["done"] == 1

    item = json.loads((await get(rig, "/api/items/g1", as_(rig, LEADER)))[2])
    assert item["code"] == "G1" and item["page"]["total"] == 17
    by_name = {row["department"]: row["status"] for row in item["departments"]}
    assert by_name["区农业农村局"] == "done"
    assert (await get(rig, "/api/items/Z9", as_(rig, LEADER)))[0] == 404

    two_weeks_ago = rig.clock() - dt.timedelta(days=14)
    await report(rig, "农业", "G2", "in_progress", at=two_weeks_ago)
    weekly = json.loads((await get(rig, "/api/weekly", as_(rig, LEADER)))[2])
    counts = {w["week"]: w["reports"] for w in weekly["weeks"]}
    assert sum(counts.values()) == 5
    assert all(dt.date.fromisoformat(week).weekday() == 0 for week in counts)
    local = two_weeks_ago.astimezone(rig.settings.tz).date()
    assert counts[(local - dt.timedelta(days=local.weekday())).isoformat()] == 1
    # This week's reports count at once (past weeks are kept per process: they are over).
    await report(rig, "农业", "G3", "in_progress")
    again = json.loads((await get(rig, "/api/weekly", as_(rig, LEADER)))[2])
    assert sum(w["reports"] for w in again["weeks"]) == 6
    farm_only = json.loads((await get(rig, "/api/weekly", as_(rig, FARM)))[2])
    assert sum(w["reports"] for w in farm_only["weeks"]) == 5  # 生态环境's G1 not counted

    overdue = json.loads((await get(rig, "/api/overdue?limit=3", as_(rig, LEADER)))[2])
    assert overdue["page"]["limit"] == 3 and len(overdue["items"]) <= 3


async def test_a_liaison_sees_only_their_own_department(rig: DubanRig) -> None:
    farm, eco = await department_id(rig, "农业"), await department_id(rig, "生态环境")
    me = json.loads((await get(rig, "/api/me", as_(rig, FARM)))[2])
    assert me["role"] == "liaison" and me["department_id"] == farm
    assert (await get(rig, f"/api/departments/{farm}", as_(rig, FARM)))[0] == 200
    status, _, body = await get(rig, f"/api/departments/{eco}", as_(rig, FARM))
    assert status == 403 and "生态" not in body
    assert (await get(rig, "/api/overview", as_(rig, FARM)))[0] == 403
    item = json.loads((await get(rig, "/api/items/G1", as_(rig, FARM)))[2])
    assert [row["department_id"] for row in item["departments"]] == [farm]
    overdue = json.loads((await get(rig, "/api/overdue?limit=100", as_(rig, FARM)))[2])
    assert {o["department_id"] for o in overdue["items"]} <= {farm}

    eco_binding = json.loads((await get(rig, f"/api/departments/{eco}", as_(rig, ECO)))[2])
    g1 = next(r for r in eco_binding["items"] if r["code"] == "G1")
    assert (await get(rig, f"/api/bindings/{g1['binding_id']}/reports", as_(rig, FARM)))[0] == 403


async def test_evidence_thumbnails_and_downloads_follow_the_same_authorisation(
    rig: DubanRig,
) -> None:
    farm = await department_id(rig, "农业")
    dept = json.loads((await get(rig, f"/api/departments/{farm}", as_(rig, LEADER)))[2])
    a51 = next(r for r in dept["items"] if r["code"] == "A5.1")
    history = json.loads(
        (await get(rig, f"/api/bindings/{a51['binding_id']}/reports", as_(rig, LEADER)))[2]
    )
    files = [f for r in history["reports"] for f in r["evidence"]]
    photo = next(f for f in files if f["icon"] == "image")
    pdf = next(f for f in files if f["icon"] == "pdf")
    assert pdf["thumb"] is None and pdf["name"] == "方案.pdf"

    status, kind, content = await get_bytes(rig, "/" + photo["thumb"])
    assert (status, kind) == (200, "image/jpeg")
    with Image.open(__import__("io").BytesIO(content)) as image:
        assert max(image.size) == 320  # scaled down from 1200 x 900
    status, _, content = await get_bytes(rig, "/" + pdf["file"])
    assert status == 200 and content == PDF

    # The link is the permission: tampered, or used for another file, it fails.
    tampered = photo["thumb"].replace("sig=", "sig=0")
    assert (await get_bytes(rig, "/" + tampered))[0] == 401
    other_id = pdf["id"]
    moved = photo["thumb"].replace(f"/{photo['id']}/", f"/{other_id}/")
    assert (await get_bytes(rig, "/" + moved))[0] == 401
    # Without a link, the header works for the owner's department and not for another.
    assert (await get(rig, f"/api/evidence/{pdf['id']}/file", as_(rig, FARM)))[0] == 200
    assert (await get(rig, f"/api/evidence/{pdf['id']}/file", as_(rig, ECO)))[0] == 403
    assert (await get(rig, f"/api/evidence/{pdf['id']}/file"))[0] == 401


async def test_a_revoked_leaders_still_valid_init_data_opens_nothing(rig: DubanRig) -> None:
    """Stale but validly signed: the role is read at every request, not from initData."""
    init_data = as_(rig, LEADER)
    assert (await get(rig, "/api/overview", init_data))[0] == 200
    reply = await rig.ask(ADMIN, f"/revoke {LEADER.id}")
    assert "不再" in (reply.plain_text or "") or str(LEADER.id) in (reply.plain_text or "")
    assert (await get(rig, "/api/overview", init_data))[0] == 403
    assert (await get(rig, "/api/me", init_data))[0] == 403


async def test_the_page_itself_holds_no_data(rig: DubanRig) -> None:
    status, kind, body = await get(rig, "/app/")
    assert (status, kind) == (200, "text/html")
    assert "区" not in body and "农业" not in body
    assert "https://" not in body  # no third-party script, style or font
    assert (await get(rig, "/"))[0] == 302
    assert (await get(rig, "/app/static/app.js"))[0] == 200
    strings = json.loads((await get(rig, "/app/strings.json?lang=en"))[2])
    assert strings["overview"] == "Overview"
