"""The evidence store: files kept on disk by content, so evidence outlives the chat.

A file is first *staged* (written under `.staging/` by its sha256) as soon as it
arrives, so a bad file is refused at once; when its report is saved it is *placed* at
`EVIDENCE_DIR/<campaign>/<department>/<item>/<sha256>.<ext>`. Content addressing makes
the same file sent twice one file on disk. Every path is built from ids, codes and
hashes we control, never from a user's file name, and checked to stay inside the root.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API refuses getFile above this

# What counts as evidence, by MIME type -> the extension we store it under.
DOCUMENT_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/wps-office.doc": "doc",
    "application/wps-office.docx": "docx",
    "application/wps-office.xls": "xls",
    "application/wps-office.xlsx": "xlsx",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
}
# When a client sends no or a generic MIME type, the file name's extension decides.
EXTENSION_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
}
_GENERIC = {"", "application/octet-stream", "application/zip", "binary/octet-stream"}
_SAFE_SEGMENT = re.compile(r"[^A-Za-z0-9._-]+")


class EvidenceRejected(Exception):
    """A file that cannot be evidence. `reason` is one of: too_big, type."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def accepted_document_type(mime_type: str | None, file_name: str | None) -> tuple[str, str]:
    """(mime type, extension) for an accepted document; EvidenceRejected('type') otherwise."""
    mime = (mime_type or "").lower().split(";")[0].strip()
    ext = ""
    if file_name and "." in file_name:
        ext = file_name.rsplit(".", 1)[1].lower()
    if mime in DOCUMENT_TYPES:
        stored_ext = DOCUMENT_TYPES[mime]
        # An executable renamed .pdf still says application/pdf; the content check is
        # the viewer's job. But a declared type that disagrees with a known, different
        # extension is suspicious enough to refuse.
        if (
            ext
            and ext in EXTENSION_TYPES
            and EXTENSION_TYPES[ext] != mime
            and ext != stored_ext
            and not (ext == "jpeg" and stored_ext == "jpg")
        ):
            raise EvidenceRejected("type")
        return mime, stored_ext
    if mime in _GENERIC and ext in EXTENSION_TYPES:
        return EXTENSION_TYPES[ext], "jpg" if ext == "jpeg" else ext
    raise EvidenceRejected("type")


def check_size(size: int | None) -> None:
    if size is not None and size > MAX_DOWNLOAD_BYTES:
        raise EvidenceRejected("too_big")


def safe_segment(text: str, fallback: str = "x") -> str:
    """A path segment made only of [A-Za-z0-9._-], never '.' or '..'."""
    cleaned = _SAFE_SEGMENT.sub("_", text).strip("._") or fallback
    return cleaned[:80]


@dataclass(frozen=True)
class StagedFile:
    sha256: str
    size: int
    extension: str

    @property
    def name(self) -> str:
        return f"{self.sha256}.{self.extension}"


class EvidenceStore:
    """Files under one root directory; see the module docstring for the layout."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.staging = self.root / ".staging"

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise ValueError("path escapes the evidence store")
        return resolved

    @staticmethod
    def _write_atomically(path: Path, content: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def stage(self, content: bytes, extension: str) -> StagedFile:
        check_size(len(content))
        staged = StagedFile(
            hashlib.sha256(content).hexdigest(), len(content), safe_segment(extension)
        )
        path = self._inside(self.staging / staged.name)
        if not path.exists():
            self._write_atomically(path, content)
        return staged

    def final_relative_path(
        self, staged: StagedFile, campaign_id: int, department_id: int, item_code: str
    ) -> str:
        return "/".join(
            (str(int(campaign_id)), str(int(department_id)), safe_segment(item_code), staged.name)
        )

    def place(self, staged: StagedFile, relative_path: str) -> Path:
        """Move a staged file to its final place (idempotent; content-addressed)."""
        final = self._inside(self.root / relative_path)
        source = self._inside(self.staging / staged.name)
        if final.exists():
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        if source.exists():
            source.replace(final)
        else:
            raise FileNotFoundError(f"staged file {staged.name} is gone")
        # Make the rename itself durable before the database says the file is there.
        dir_fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return final

    def discard(self, staged: StagedFile) -> None:
        self._inside(self.staging / staged.name).unlink(missing_ok=True)

    def path_of(self, relative_path: str) -> Path:
        return self._inside(self.root / relative_path)

    def sha256_of(self, relative_path: str) -> str:
        digest = hashlib.sha256()
        with self.path_of(relative_path).open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                digest.update(chunk)
        return digest.hexdigest()
