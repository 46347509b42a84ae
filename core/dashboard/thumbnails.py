"""Evidence previews for the dashboard: photos scaled down with Pillow, others as an icon.

A photo becomes a JPEG no larger than THUMB_SIZE on its longer side, turned upright by
its EXIF orientation. PDF, Word, Excel and HEIC (which Pillow cannot read without a
plug-in) are shown as an icon with a download link instead.

Images are untrusted input (issue 18). Pillow is told which formats to accept
(`Image.open(..., formats=IMAGE_FORMATS)`, matched by content, not by name: a TIFF named
`.png` is not decoded), and an image's width × height is checked against MAX_PIXELS
from its header, before anything is decoded — Pillow's own MAX_IMAGE_PIXELS only warns
up to twice its 89 M pixels. `image_dimensions` lets the evidence intake refuse such an
image when it arrives; `cached_thumbnail` makes each preview once and keeps it on disk
(the caller runs it in a thread, holding no database session).
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from pathlib import Path

THUMB_SIZE = 320
PREVIEWABLE = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp"})
#: The only formats Pillow may decode here (by content), those evidence may be.
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
#: Width × height above which an image is refused unread: 64 M pixels (8000 × 8000, more
#: than any phone camera's photo; a 13,000² PNG is 169 M).
MAX_PIXELS = 64_000_000


class NotPreviewable(Exception):
    """No preview: `reason` is "too_many_pixels" or "unreadable" (not an accepted format)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def image_dimensions(source: Path | bytes) -> tuple[int, int] | None:
    """(width, height) from the image's header, without decoding it; None when it is
    none of IMAGE_FORMATS (or its header is broken)."""
    from PIL import Image, UnidentifiedImageError

    stream: Path | io.BytesIO = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream, formats=IMAGE_FORMATS) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        return (2**31, 1)  # Pillow refused it already: far over any limit
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    return int(width), int(height)


def too_many_pixels(dimensions: tuple[int, int] | None, max_pixels: int = MAX_PIXELS) -> bool:
    return dimensions is not None and dimensions[0] * dimensions[1] > max_pixels


def thumbnail(path: Path, size: int = THUMB_SIZE, *, max_pixels: int = MAX_PIXELS) -> bytes:
    """A JPEG preview of the image at `path` (call it in a thread: it decodes the image).

    NotPreviewable before any decoding when the file is none of IMAGE_FORMATS or has
    more than `max_pixels` pixels."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=IMAGE_FORMATS)  # lazy: the header only
    except Image.DecompressionBombError as exc:
        raise NotPreviewable("too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotPreviewable("unreadable") from exc
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise NotPreviewable("too_many_pixels")
        try:
            image.draft("RGB", (size, size))  # a JPEG decodes at 1/2 to 1/8 scale
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((size, size))
            if upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            buffer = io.BytesIO()
            upright.save(buffer, format="JPEG", quality=82)
        except (OSError, SyntaxError, ValueError) as exc:  # a truncated or broken body
            raise NotPreviewable("unreadable") from exc
    return buffer.getvalue()


def cached_thumbnail(
    path: Path,
    cache_dir: Path,
    key: str,
    size: int = THUMB_SIZE,
    *,
    max_pixels: int = MAX_PIXELS,
) -> bytes:
    """The preview of `path`, made once and kept as `cache_dir/<key>-<size>.jpg` (`key`:
    the evidence's sha256, so the same file is one preview). Reading it again marks it
    used (its mtime), which is what the thumbnails' retention counts from."""
    cached = cache_dir / f"{key}-{size}.jpg"
    try:
        content = cached.read_bytes()
    except FileNotFoundError:
        pass
    else:
        os.utime(cached)
        return content
    content = thumbnail(path, size, max_pixels=max_pixels)
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=cache_dir, prefix=".thumb-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        Path(temporary).replace(cached)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return content
