"""Helpers of the dashboard tests: the real bot with its dashboard served, people, data.

The rig runs the real Application (polling the project's fake Bot API server) with
WEBAPP_URL set, so post_init starts the dashboard's web server on a free port, exactly
as `python -m bot` does; requests go to it over real HTTP.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from PIL import Image

from bot.webapp.server import dashboard_port
from handlers.base import SERVICES_KEY
from tests.office_support import ECO, FARM, accept, report
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import LEADER, DubanRig, FakeClock

WEBAPP_URL = "https://duban.example.org/app/"


def jpeg(width: int = 1200, height: int = 900, colour: str = "#3a7d44") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def dashboard_rig(
    fake_api: FakeBotAPI,
    database_url: str,
    tmp_path: Path,
    *,
    clock: FakeClock | None = None,
    **overrides: object,
) -> AsyncIterator[DubanRig]:
    rig = DubanRig(
        fake_api,
        database_url,
        tmp_path / "evidence",
        clock=clock or FakeClock(),
        overrides={"webapp_url": WEBAPP_URL, "webapp_port": 0, **overrides},
    )
    await rig.import_bundled()
    await rig.start()
    try:
        yield rig
    finally:
        await rig.close()


def base_url(rig: DubanRig) -> str:
    assert rig.app is not None
    port = dashboard_port(rig.app.bot_data[SERVICES_KEY])
    assert port, "the dashboard is not running"
    return f"http://127.0.0.1:{port}"


async def seed(rig: DubanRig) -> None:
    """A liaison of 农业 and of 生态环境, a leader; 农业 reports A5.1 with a photo and a
    PDF, and G1 done (accepted); 生态环境 reports G1 in progress."""
    await rig.join(FARM, "农业")
    await rig.join(ECO, "生态环境")
    await rig.join(LEADER, None)
    photo = rig.api.add_file(jpeg(), mime_type="image/jpeg")
    await rig.send_and_wait(
        u.photo_message(FARM, photo, caption="#A5.1 推进中 秸秆已收储"), FARM.id
    )
    pdf = rig.api.add_file(PDF, mime_type="application/pdf", file_name="方案.pdf")
    await rig.send_and_wait(
        u.document_message(
            FARM,
            pdf,
            file_name="方案.pdf",
            mime_type="application/pdf",
            caption="#A5.1 推进中 实施方案",
        ),
        FARM.id,
    )
    done = await report(rig, "农业", "G1", "done", text="已完成")
    await accept(rig, done)
    await report(rig, "生态环境", "G1", "in_progress", text="推进中", by=ECO)


async def get(
    rig: DubanRig, path: str, init_data: str | None = None, *, scheme: str = "tma"
) -> tuple[int, str, str]:
    """(status, content type, body) of a GET on the dashboard."""
    headers = {"Authorization": f"{scheme} {init_data}"} if init_data is not None else {}
    async with (
        aiohttp.ClientSession() as client,
        client.get(base_url(rig) + path, headers=headers, allow_redirects=False) as response,
    ):
        body = await response.read()
        try:
            text = body.decode()
        except UnicodeDecodeError:
            text = ""
        return response.status, response.content_type, text


async def get_bytes(rig: DubanRig, path: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as client, client.get(base_url(rig) + path) as response:
        return response.status, response.content_type, await response.read()


# Mid-campaign: a realistic picture for the screenshots (some items done, some late).
MID_2020 = dt.datetime(2020, 6, 15, 2, 0, tzinfo=dt.UTC)
SPREAD = (
    ("发展改革", ("G1", "done"), ("G2", "done"), ("G3", "in_progress"), ("G4", "blocked")),
    ("工业和信息化", ("G1", "done"), ("G2", "in_progress"), ("G5", "done")),
    ("公安", ("G1", "in_progress"), ("G2", "in_progress")),
    ("住房", ("G1", "done"), ("G3", "done"), ("G4", "done"), ("G6", "in_progress")),
    ("交通运输", ("G1", "blocked"), ("G2", "done")),
    ("商务", ("G1", "done")),
    ("卫生健康", ("G1", "in_progress"), ("G2", "done"), ("G3", "done")),
    ("文旅", ("G1", "done"), ("G7", "in_progress")),
)


async def seed_mid_campaign(rig: DubanRig) -> None:
    """Reports spread over the weeks before MID_2020 across several departments; most of
    the done ones accepted, the rest awaiting review."""
    step = 0
    for department, *work in SPREAD:
        for code, status in work:
            step += 1
            at = rig.clock() - dt.timedelta(days=3 + (step * 5) % 90)
            report_id = await report(rig, department, code, status, text="按计划推进", at=at)
            if status == "done" and step % 3:
                await accept(rig, report_id)
