"""Evidence previews for the dashboard: photos scaled down with Pillow, others as an icon.

A photo becomes a JPEG no larger than THUMB_SIZE on its longer side, turned upright by
its EXIF orientation. PDF, Word, Excel and HEIC (which Pillow cannot read without a
plug-in) are shown as an icon with a download link instead.
"""

from __future__ import annotations

import io
from pathlib import Path

THUMB_SIZE = 320
PREVIEWABLE = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp"})


def is_previewable(kind: str, mime_type: str) -> bool:
    """Telegram's photos are always JPEG; documents only when they are a common image."""
    return kind == "photo" or mime_type.lower() in PREVIEWABLE


def icon_of(kind: str, mime_type: str, file_name: str) -> str:
    """Which icon the page shows for a file it does not preview."""
    name = file_name.lower()
    mime = mime_type.lower()
    if mime == "application/pdf" or name.endswith(".pdf"):
        return "pdf"
    if "word" in mime or name.endswith((".doc", ".docx", ".wps")):
        return "word"
    if "sheet" in mime or "excel" in mime or name.endswith((".xls", ".xlsx", ".et")):
        return "excel"
    if "heic" in mime or "heif" in mime or name.endswith((".heic", ".heif")):
        return "image"
    return "image" if is_previewable(kind, mime_type) else "file"


def thumbnail(path: Path, size: int = THUMB_SIZE) -> bytes:
    """A JPEG preview of the image at `path` (call it in a thread: it decodes the image)."""
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((size, size))
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        buffer = io.BytesIO()
        upright.save(buffer, format="JPEG", quality=82)
    return buffer.getvalue()
