"""Hostile and heavy uploads for the isolation tests, built in memory."""

from __future__ import annotations

import io
import zipfile


def many_page_pdf(pages: int, lines_per_page: int = 1, *, padding: int = 0) -> bytes:
    """A valid PDF of `pages` pages, each with a few lines of text (Helvetica), and
    `padding` bytes of an unused stream (as a scan or a font would fill a file)."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for index in range(pages):
        text = " ".join(
            f"BT /F1 10 Tf 72 {780 - 12 * line} Td (Page {index + 1} line {line} text) Tj ET"
            for line in range(lines_per_page)
        ).encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * index} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream")
    if padding:
        filler = b"0" * padding
        objects.append(b"<< /Length %d >>\nstream\n" % len(filler) + filler + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def zip_bomb_docx(unpacked_mb: int = 300) -> bytes:
    """A .docx-shaped zip whose one part unpacks to `unpacked_mb` MB of zeros (a few
    hundred KB packed): the central directory says so, which is what the check reads."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"\0" * 2**20
            for _ in range(unpacked_mb):
                part.write(chunk)
    return out.getvalue()


def many_parts_docx(parts: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in range(parts):
            archive.writestr(f"word/media/p{index}.xml", "")
    return out.getvalue()
