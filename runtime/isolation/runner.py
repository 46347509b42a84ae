"""The parent's side: start the child, feed it the upload, enforce wall time, read JSON.

See the package docstring for why a child of its own per parse. The child gets the
upload as a file in a private temporary folder, a minimal environment (none of the bot's
secrets: no token, no webhook secret, no database URL) and `start_new_session=True`, so
`os.killpg` ends it and anything it started. A .doc / .wps file is first converted to
.docx by LibreOffice (its own contained process, `core.assessment.importer.convert`),
then that .docx is parsed in the child like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path, PurePath

from core.assessment.importer.convert import DEFAULT_SOFFICE, convert_to_docx
from core.assessment.importer.model import (
    REASON_EMPTY,
    DocumentError,
    ParsedDocument,
    StructureError,
)
from runtime.isolation import CHILD_FAILED, LIMIT_MEMORY, LIMIT_TIME, Limits
from runtime.isolation.transfer import decode_document

log = logging.getLogger(__name__)
CRASH_SIGNALS = frozenset({-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS})

# The code the child runs: this very checkout, whatever the working directory.
_PROJECT_ROOT = str(Path(__file__).resolve().parent.parent.parent)
_CHILD_CODE = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); "
    "from runtime.isolation.child import main; main()"
)
# The child's answer: a parsed document is well under this; more is refused unread.
MAX_ANSWER_BYTES = 32 * 2**20


def child_environment(home: str) -> dict[str, str]:
    """What the child (and so the parser) sees of the environment: nothing of the bot's."""
    return {
        "PATH": os.defpath,
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": home,
    }


async def _read_capped(stream: asyncio.StreamReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(65536):
        size += len(chunk)
        if size > limit:
            raise DocumentError(CHILD_FAILED, "the parser's answer is too long")
        chunks.append(chunk)
    return b"".join(chunks)


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def run_child(
    data: bytes, suffix: str, year: int | None, limits: Limits
) -> dict[str, object]:
    """Run the child on `data` (a file of type `suffix`); its JSON answer. DocumentError
    with LIMIT_TIME / LIMIT_MEMORY / CHILD_FAILED when it does not answer properly."""
    with tempfile.TemporaryDirectory(prefix="duban-parse-") as folder:
        source = Path(folder) / ("upload" + suffix)
        await asyncio.to_thread(source.write_bytes, data)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",  # no PYTHON* variables, no user site, no working directory on the path
            "-B",  # it writes no bytecode (its file-size limit is 0)
            "-c",
            _CHILD_CODE,
            _PROJECT_ROOT,
            str(source),
            suffix,
            "" if year is None else str(year),
            json.dumps(limits.to_json()),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=folder,
            env=child_environment(folder),
            start_new_session=True,  # its own process group, killed as a whole
        )
        assert process.stdout is not None and process.stderr is not None
        try:
            async with asyncio.timeout(limits.wall_seconds):
                answer, errors = await asyncio.gather(
                    _read_capped(process.stdout, MAX_ANSWER_BYTES),
                    _read_capped(process.stderr, MAX_ANSWER_BYTES),
                )
                returncode = await process.wait()
        except TimeoutError:
            log.warning("import parse over its wall time (%.0f s): killed", limits.wall_seconds)
            raise DocumentError(LIMIT_TIME, "the parse took too long") from None
        finally:
            if process.returncode is None:
                _kill_group(process)
                await process.wait()
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        log.warning("import parse used up its CPU time (exit %s)", returncode)
        raise DocumentError(LIMIT_TIME, "the parse used up its CPU time")
    tail = errors[-2000:].decode("utf-8", "replace")
    if returncode != 0 or not answer:
        if "MemoryError" in tail:
            raise DocumentError(LIMIT_MEMORY, "the parse ran out of memory")
        if returncode in CRASH_SIGNALS:
            # Under RLIMIT_AS a failed allocation inside C code (lxml, zlib, the
            # interpreter itself) aborts or segfaults instead of raising MemoryError; the
            # admin's remedy is the same as for the limit: a smaller or simpler file.
            log.warning("import parse crashed (exit %s), taken as its memory limit", returncode)
            raise DocumentError(LIMIT_MEMORY, "the parse ran out of memory")
        log.warning("import parse failed (exit %s): %s", returncode, tail.strip()[-500:])
        raise DocumentError(CHILD_FAILED, "the parser failed")
    try:
        payload = json.loads(answer)
    except ValueError:
        raise DocumentError(CHILD_FAILED, "the parser's answer is no JSON") from None
    if not isinstance(payload, dict):
        raise DocumentError(CHILD_FAILED, "the parser's answer is no object")
    return payload


async def parse_isolated(
    data: bytes,
    filename: str,
    *,
    year: int | None = None,
    soffice: str = DEFAULT_SOFFICE,
    limits: Limits | None = None,
) -> ParsedDocument:
    """What `load_document` would return for the upload, parsed in a limited child.

    Raises DocumentError: the importer's reasons, or one of the LIMIT_* reasons;
    StructureError (a DocumentError) with what was read when headings cannot be read.
    """
    limits = limits or Limits()
    if not data:
        raise DocumentError(REASON_EMPTY, "The file is empty.")
    suffix = PurePath(filename).suffix.lower()
    if suffix in {".doc", ".wps"}:
        data = await asyncio.to_thread(convert_to_docx, data, suffix, soffice=soffice)
        suffix = ".docx"
    payload = await run_child(data, suffix, year, limits)
    if "document" in payload:
        try:
            return decode_document(payload["document"])
        except (ValueError, TypeError, KeyError):
            log.warning("import parse answered a document of the wrong shape")
            raise DocumentError(CHILD_FAILED, "the parser's answer has the wrong shape") from None
    if "structure" in payload:
        try:
            read = decode_document(payload["structure"])
        except (ValueError, TypeError, KeyError):
            log.warning("import parse answered a refusal of the wrong shape")
            raise DocumentError(CHILD_FAILED, "the parser's answer has the wrong shape") from None
        raise StructureError(read)
    reason, message = payload.get("error"), payload.get("message")
    if not isinstance(reason, str) or not isinstance(message, str):
        raise DocumentError(CHILD_FAILED, "the parser's answer has the wrong shape")
    raise DocumentError(reason, message)
