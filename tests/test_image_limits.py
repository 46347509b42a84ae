"""Issue 18, point 1: images are untrusted. Pillow decodes only the evidence formats (by
content), an image's pixels are counted from its header before any decoding, a huge one
is refused when it arrives, each preview is made once and kept, and no database
connection is held while an image is decoded."""

from __future__ import annotations

import io
import json
import struct
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.dashboard import thumbnails
from core.dashboard.thumbnails import (
    MAX_PIXELS,
    NotPreviewable,
    cached_thumbnail,
    image_dimensions,
    thumbnail,
)
from handlers.base import SERVICES_KEY
from storage.models import Report
from tests.dashboard_support import dashboard_rig, get, get_bytes, jpeg, seed
from tests.office_support import FARM
from tests.support import updates as u
from tests.support.botapi import FakeBotAPI
from tests.support.duban import LEADER, DubanRig
from tests.support.webapp import signed_init_data


def huge_png(side: int = 13_000, *, broken_body: bool = False) -> bytes:
    """A 1-bit greyscale PNG of side × side pixels, a few hundred KB: what a liaison sent
    (169 M pixels). With `broken_body` its pixel data is junk, so decoding it would fail
    with another error than the pixel limit."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    if broken_body:
        pixels = b"not zlib data at all"
    else:
        packer = zlib.compressobj(9)
        row = b"\0" * (1 + (side + 7) // 8)
        pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_the_13000_square_png_is_refused_from_its_header(tmp_path: Path) -> None:
    data = huge_png()
    assert len(data) < 600_000
    path = tmp_path / "huge.png"
    path.write_bytes(data)
    assert image_dimensions(data) == (13_000, 13_000)
    assert MAX_PIXELS < 13_000 * 13_000
    started = time.process_time()
    with pytest.raises(NotPreviewable) as refused:
        thumbnail(path)
    assert refused.value.reason == "too_many_pixels"
    assert time.process_time() - started < 0.5  # not 4.3 s of decoding
    # Refused before decoding: junk pixel data gives the same answer, not a decode error.
    path.write_bytes(huge_png(broken_body=True))
    with pytest.raises(NotPreviewable) as refused:
        thumbnail(path)
    assert refused.value.reason == "too_many_pixels"


def test_a_tiff_named_png_is_not_decoded(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), "red").save(path, format="TIFF")
    assert path.read_bytes()[:2] in (b"II", b"MM")
    assert image_dimensions(path) is None
    with pytest.raises(NotPreviewable) as refused:
        thumbnail(path)
    assert refused.value.reason == "unreadable"
    # A PNG named .jpg is still a PNG: matched by content, not by name.
    renamed = tmp_path / "scan.jpg"
    Image.new("RGB", (40, 30), "blue").save(renamed, format="PNG")
    with Image.open(io.BytesIO(thumbnail(renamed))) as preview:
        assert preview.size == (40, 30)


def test_each_thumbnail_is_made_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(jpeg(1600, 1200))
    made: list[Path] = []
    real = thumbnails.thumbnail

    def counting(source: Path, size: int = 320, *, max_pixels: int = MAX_PIXELS) -> bytes:
        made.append(source)
        return real(source, size, max_pixels=max_pixels)

    monkeypatch.setattr(thumbnails, "thumbnail", counting)
    cache = tmp_path / "thumbnails"
    first = cached_thumbnail(path, cache, "a" * 64)
    second = cached_thumbnail(path, cache, "a" * 64)
    assert first == second and len(made) == 1
    assert [p.name for p in cache.iterdir()] == ["a" * 64 + "-320.jpg"]


# ---------------------------------------------------------------- end to end


@pytest.fixture
async def rig(database_url: str, tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[DubanRig]:
    async for duban in dashboard_rig(fake_api, database_url, tmp_path):
        await seed(duban)
        yield duban


async def test_a_huge_image_is_refused_when_it_arrives(rig: DubanRig) -> None:
    async with rig.session() as session:
        before = await session.scalar(select(func.count(Report.id)))
    ref = rig.api.add_file(huge_png(), mime_type="image/png", file_name="航拍.png")
    reply = await rig.send_and_wait(
        u.document_message(
            FARM, ref, file_name="航拍.png", mime_type="image/png", caption="#A5.1 推进中"
        ),
        FARM.id,
    )
    assert "像素过多" in reply.plain_text and "未保存" in reply.plain_text
    async with rig.session() as session:
        assert await session.scalar(select(func.count(Report.id))) == before


async def test_the_dashboard_decodes_a_photo_once_and_holds_no_connection_meanwhile(
    rig: DubanRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert rig.app is not None
    engine = rig.app.bot_data[SERVICES_KEY].db.engine
    held: list[int] = []
    real = thumbnails.thumbnail

    def watching(source: Path, size: int = 320, *, max_pixels: int = MAX_PIXELS) -> bytes:
        held.append(engine.pool.checkedout())
        return real(source, size, max_pixels=max_pixels)

    monkeypatch.setattr(thumbnails, "thumbnail", watching)
    init = signed_init_data(LEADER, rig.api.token, auth_date=rig.clock())
    departments = json.loads((await get(rig, "/api/overview?limit=100", init))[2])
    farm = next(d["id"] for d in departments["departments"] if "农业" in d["name"])
    items = json.loads((await get(rig, f"/api/departments/{farm}", init))[2])["items"]
    a51 = next(r for r in items if r["code"] == "A5.1")
    history = json.loads((await get(rig, f"/api/bindings/{a51['binding_id']}/reports", init))[2])
    photo = next(f for r in history["reports"] for f in r["evidence"] if f["icon"] == "image")
    for _ in range(3):
        status, kind, _content = await get_bytes(rig, "/" + photo["thumb"])
        assert (status, kind) == (200, "image/jpeg")
    assert held == [0]  # decoded once, with no database connection checked out
