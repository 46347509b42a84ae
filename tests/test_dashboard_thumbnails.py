"""Evidence previews of the dashboard: photos scaled upright, other files as icons."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from core.dashboard.thumbnails import THUMB_SIZE, icon_of, is_previewable, thumbnail


def test_a_photo_is_scaled_down_and_turned_upright(tmp_path: Path) -> None:
    image = Image.new("RGB", (1200, 600), "#3a7d44")
    exif = image.getexif()
    exif[0x0112] = 6  # EXIF orientation: rotate 90° to show it upright
    path = tmp_path / "photo.jpg"
    image.save(path, format="JPEG", exif=exif)
    with Image.open(io.BytesIO(thumbnail(path))) as preview:
        assert preview.format == "JPEG"
        assert preview.size == (THUMB_SIZE // 2, THUMB_SIZE)  # portrait once upright


def test_a_png_with_transparency_becomes_a_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    Image.new("RGBA", (100, 50), (0, 0, 0, 0)).save(path)
    with Image.open(io.BytesIO(thumbnail(path))) as preview:
        assert preview.mode == "RGB" and preview.size == (100, 50)  # never scaled up


def test_documents_get_icons_and_no_preview() -> None:
    cases = [
        ("document", "application/pdf", "方案.pdf", "pdf", False),
        (
            "document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "总结.docx",
            "word",
            False,
        ),
        ("document", "application/msword", "旧.doc", "word", False),
        ("document", "application/vnd.ms-excel", "台账.xls", "excel", False),
        ("document", "image/heic", "IMG_0001.HEIC", "image", False),
        ("document", "image/png", "截图.png", "image", True),
        ("photo", "", "", "image", True),
        ("document", "application/zip", "a.zip", "file", False),
    ]
    for kind, mime, name, icon, previewable in cases:
        assert icon_of(kind, mime, name) == icon, name
        assert is_previewable(kind, mime) is previewable, name
