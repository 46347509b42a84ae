"""Old Word (.doc) and WPS (.wps) files to .docx, with LibreOffice.

The binary formats have no maintained pure-Python reader; LibreOffice reads
both (a WPS Writer .wps is the same compound-file format as .doc). Each
conversion runs ``soffice --headless --convert-to docx`` as a subprocess
with its own ``-env:UserInstallation`` profile in a fresh temporary folder,
so two conversions at once never share (and lock) a profile, and with a
timeout after which the whole process group is killed. Without LibreOffice
the caller gets :data:`REASON_NEEDS_DOCX`: the office can save the file as
.docx itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from core.assessment.importer.model import REASON_NEEDS_DOCX, REASON_UNREADABLE_DOC, DocumentError
from core.assessment.importer.office_sandbox import office_environment, prepare_profile

DEFAULT_SOFFICE = "soffice"
CONVERT_TIMEOUT_SECONDS = 120.0

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: .doc, .wps, .xls ...
_RTF = b"{\\rtf"
_ZIP = b"PK\x03\x04"


def needs_docx_message(suffix: str) -> str:
    return (
        f"A {suffix} file needs LibreOffice to be read, which is not installed here; open it "
        "in WPS or Word, use Save As with the .docx format and send that file."
    )


def soffice_program(soffice: str) -> str | None:
    """The LibreOffice executable to run, None if there is none."""
    if os.sep in soffice:
        path = Path(soffice)
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(soffice)


def convert_to_docx(
    data: bytes,
    suffix: str,
    *,
    soffice: str = DEFAULT_SOFFICE,
    timeout: float = CONVERT_TIMEOUT_SECONDS,
) -> bytes:
    """The .docx bytes of a .doc / .wps file; DocumentError if it cannot be converted."""
    if data.startswith(_ZIP):
        return data  # a .docx that was only renamed
    if not data.startswith((_OLE, _RTF)):
        raise DocumentError(
            REASON_UNREADABLE_DOC, f"The {suffix} file is not a Word or WPS document."
        )
    program = soffice_program(soffice)
    if program is None:
        raise DocumentError(REASON_NEEDS_DOCX, needs_docx_message(suffix))
    with tempfile.TemporaryDirectory(prefix="duban-convert-") as folder:
        work = Path(folder)
        # A compound file is opened as Word 97 whatever its name; RTF by its content.
        source = work / ("document.doc" if data.startswith(_OLE) else "document.rtf")
        source.write_bytes(data)
        out = work / "out"
        # Contained (issue 18): no secrets in its environment, no macros, no links updated.
        prepare_profile(work / "profile")
        (work / "home").mkdir()
        command = [
            program,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(out),
            str(source),
        ]
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=office_environment(work / "home"),
                cwd=work,
                start_new_session=True,  # its own group: a timeout kills soffice.bin too
            )
        except OSError as error:
            raise DocumentError(REASON_NEEDS_DOCX, needs_docx_message(suffix)) from error
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise DocumentError(
                REASON_UNREADABLE_DOC,
                f"Converting the {suffix} file took too long; save it as .docx and send that.",
            ) from error
        result = out / "document.docx"
        if process.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
            raise DocumentError(
                REASON_UNREADABLE_DOC,
                f"The {suffix} file could not be converted (damaged?); save it as .docx.",
            )
        return result.read_bytes()
