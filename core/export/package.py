"""The year-end package: the workbook plus every evidence file, in one .zip.

Files go under `<department name>/<item code>/` folders, named by report and original
file name. Names come from people (a department typed into /adddept, a file name sent
from a phone), so every path segment is sanitised: no separators, no `..`, no control
or Windows-forbidden characters; a path can never point outside the archive.

Each file is hashed while it is copied in and checked against the sha256 recorded when
it was received. A file missing from the evidence store, or whose content no longer
matches, is listed as such in the 索引 sheet (and counted in the result), never
silently skipped. The archive is written to a temporary file and renamed into place,
so a failed run leaves no half-written package. Files and index rows are streamed
together (`Packer`), so a year's evidence is packed in flat memory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from core.export.gather import EvidenceRow, ExportData
from core.export.sheets import (
    CHECK_MISMATCH,
    CHECK_MISSING,
    CHECK_OK,
    EXCEL_MAX_ROWS,
    IndexRow,
    write_workbook,
)
from core.reporting.evidence import EvidenceStore
from core.status.day import Reading

WORKBOOK_NAME = "考核汇总.xlsx"
# "#" too: the 索引 sheet's link would take what follows it for a place in the file.
_FORBIDDEN = re.compile(r'[\\/:*?"<>|#\x00-\x1f\x7f]+')
_CHUNK = 1 << 16


def zip_segment(text: str, fallback: str = "_", limit: int = 60) -> str:
    """One path segment safe on every unpacking system: never empty, '.' or '..'."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    text = _FORBIDDEN.sub("_", text).strip(" .")
    text = text[:limit].strip(" .")
    return text or fallback


def _file_name(row: EvidenceRow) -> str:
    """`<report id>-<evidence id>-<original name>.<stored extension>`: unique in a folder."""
    extension = PurePosixPath(row.stored_path).suffix.lower()
    original = zip_segment(row.file_name, fallback="") if row.file_name else ""
    stem = PurePosixPath(original).stem if original else ""
    stem = stem or ("照片" if row.kind == "photo" else "文件")
    return f"{row.report_id}-{row.id}-{zip_segment(stem)}{extension}"


@dataclass(frozen=True)
class Packed:
    files: int  # evidence files copied into the archive
    missing: int
    mismatched: int


def _copy_checked(archive: zipfile.ZipFile, source: Path, arcname: str) -> tuple[str, int]:
    """Copy `source` into the archive as `arcname`, hashing it on the way: (sha256, size)."""
    digest = hashlib.sha256()
    size = 0
    info = zipfile.ZipInfo(arcname, date_time=_mtime(source))
    # Evidence is photos, PDFs and Office files: already compressed, so stored as is.
    info.compress_type = zipfile.ZIP_STORED
    with source.open("rb") as handle, archive.open(info, "w", force_zip64=True) as out:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _mtime(path: Path) -> tuple[int, int, int, int, int, int]:
    stamp = dt.datetime.fromtimestamp(path.stat().st_mtime)
    return (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)


class Packer:
    """Copies each evidence file into its department/item folder, checking its hash:
    called once per evidence row while the workbook's 索引 sheet is written, so the
    files and the index are streamed together (nothing held per file but its path)."""

    def __init__(self, archive: zipfile.ZipFile, store: EvidenceStore) -> None:
        self.archive, self.store = archive, store
        # (folder, sha256) -> path: one copy per folder; paths used so far.
        self.written: dict[tuple[str, str], str] = {}
        self.used: set[str] = set()
        self.files = self.missing = self.mismatched = 0

    def __call__(self, row: EvidenceRow) -> IndexRow:
        folder = f"{zip_segment(row.department)}/{zip_segment(row.code)}"
        path_in_zip = self.written.get((folder, row.sha256), "")
        check, actual = CHECK_OK, ""
        if not path_in_zip:
            try:
                source = self.store.path_of(row.stored_path)
                exists = source.is_file()
            except (ValueError, OSError):  # a stored path that escapes the store
                exists = False
            if not exists:
                check = CHECK_MISSING
                self.missing += 1
            else:
                path_in_zip = f"{folder}/{_file_name(row)}"
                while path_in_zip in self.used:  # cannot happen with ids in the name; be sure
                    path_in_zip = f"{folder}/_{PurePosixPath(path_in_zip).name}"
                self.used.add(path_in_zip)
                actual, _ = _copy_checked(self.archive, source, path_in_zip)
                self.files += 1
                if actual == row.sha256:
                    self.written[(folder, row.sha256)] = path_in_zip
                else:
                    check = CHECK_MISMATCH
                    self.mismatched += 1
        return IndexRow(
            report_id=row.report_id,
            created_at=row.created_at,
            department=row.department,
            code=row.code,
            file_name=row.file_name,
            path_in_zip=path_in_zip,
            sha256=row.sha256,
            check=check,
            actual_sha256=actual if check == CHECK_MISMATCH else "",
        )


def write_package(
    data: ExportData,
    path: Path,
    store: EvidenceStore,
    reading: Reading,
    *,
    max_rows: int = EXCEL_MAX_ROWS,
    progress: Callable[[int], None] | None = None,
) -> Packed:
    """Write the .zip (workbook with its 索引 sheet, and the evidence) to `path`.

    Synchronous (files and CPU): run it in a thread. The evidence rows are iterated
    once: each file is copied in as its row is written to the workbook."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".zip")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as archive:
            packer = Packer(archive, store)
            with tempfile.TemporaryDirectory() as scratch:
                workbook = Path(scratch) / "workbook.xlsx"
                write_workbook(
                    data,
                    workbook,
                    reading,
                    pack=packer,
                    max_rows=max_rows,
                    progress=progress,
                )
                archive.write(workbook, WORKBOOK_NAME, compress_type=zipfile.ZIP_DEFLATED)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Packed(packer.files, packer.missing, packer.mismatched)
