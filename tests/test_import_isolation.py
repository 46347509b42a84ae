"""Issue 18, point 2: every parse of an uploaded document runs in a child process of its
own with limits; a hit limit is one committed line to the admin; the import runs in the
background, so other chats are answered meanwhile."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.assessment.campaigns import BUNDLED_DOCUMENT
from core.assessment.importer import DocumentError, load_document
from runtime.isolation import LIMIT_MEMORY, LIMIT_PAGES, LIMIT_TIME, LIMIT_ZIP, Limits, runner
from runtime.isolation.runner import parse_isolated
from storage.models import InboxUpdate
from tests.isolation_support import many_page_pdf, many_parts_docx, zip_bomb_docx
from tests.support import updates as u
from tests.support.duban import ADMIN, DubanRig
from tests.test_import_upload import counts, next_year_docx, upload

FIXTURES = Path(__file__).resolve().parent / "importer" / "fixtures"
ECO = u.TgUser(id=630_001, first_name="生态联络员")


def _children_alive() -> list[str]:
    """Command lines of running parse children (their upload lies in duban-parse-*)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "duban-parse-" in cmdline and "runtime.isolation.child" in cmdline:
            alive.append(cmdline)
    return alive


async def _refusal(data: bytes, name: str, limits: Limits | None = None) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        await parse_isolated(data, name, limits=limits)
    return caught.value


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("annex.txt", lambda: BUNDLED_DOCUMENT.read_bytes()),
        ("annex.docx", next_year_docx),
        ("annex.pdf", lambda: (FIXTURES / "annex-2020.pdf").read_bytes()),
        ("table.pdf", lambda: (FIXTURES / "table-2021.pdf").read_bytes()),
        ("table.docx", lambda: (FIXTURES / "table-2021.docx").read_bytes()),
    ],
)
async def test_the_child_reads_exactly_what_the_importer_reads(name: str, content: Any) -> None:
    data = content()
    isolated = await parse_isolated(data, name)
    assert isolated == load_document(data, name)
    assert isolated.fingerprint() == load_document(data, name).fingerprint()


async def test_a_pdf_of_many_pages_is_refused_by_the_childs_own_count() -> None:
    # 300 one-line pages: the page tree is counted, no page is read.
    error = await _refusal(many_page_pdf(300), "many.pdf")
    assert error.reason_code == LIMIT_PAGES


async def test_a_zip_bomb_docx_is_refused_from_its_central_directory() -> None:
    bomb = zip_bomb_docx(300)
    assert len(bomb) < 1_000_000  # 300 MB unpacked, well under 1 MB sent
    started = time.monotonic()
    error = await _refusal(bomb, "bomb.docx")
    assert error.reason_code == LIMIT_ZIP
    assert "300 MB" in str(error)
    # Not unpacked: refused long before 300 MB of XML could be read.
    assert time.monotonic() - started < 10
    error = await _refusal(many_parts_docx(2500), "parts.docx")
    assert error.reason_code == LIMIT_ZIP


async def test_wall_time_kills_the_childs_process_group() -> None:
    error = await _refusal(many_page_pdf(150, 60), "slow.pdf", Limits(wall_seconds=0.5))
    assert error.reason_code == LIMIT_TIME
    assert _children_alive() == []


async def test_the_cpu_limit_set_by_the_child_itself_ends_a_long_parse() -> None:
    # Wall time generous: the kernel's RLIMIT_CPU (SIGXCPU) ends it, not the parent.
    error = await _refusal(
        many_page_pdf(150, 60), "slow.pdf", Limits(cpu_seconds=1, wall_seconds=120)
    )
    assert error.reason_code == LIMIT_TIME
    assert "CPU" in str(error)


async def test_the_memory_limit_set_by_the_child_itself_is_reported() -> None:
    error = await _refusal(many_page_pdf(150, 60), "big.pdf", Limits(memory_mb=160))
    assert error.reason_code == LIMIT_MEMORY


async def test_the_child_gets_none_of_the_bots_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:secret-token-value-aaaaaaaaaaaa")
    monkeypatch.setenv("WEBHOOK_SECRET", "hook-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://user:pw@db/duban")
    seen: list[dict[str, str]] = []
    real_exec = asyncio.create_subprocess_exec

    async def recording_exec(*args: Any, **kwargs: Any) -> Any:
        seen.append(dict(kwargs["env"]))
        assert kwargs["start_new_session"] is True
        return await real_exec(*args, **kwargs)

    monkeypatch.setattr(runner.asyncio, "create_subprocess_exec", recording_exec)
    await parse_isolated(BUNDLED_DOCUMENT.read_bytes(), "annex.txt")
    assert len(seen) == 1
    assert set(seen[0]) == {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}
    leaked = [v for v in seen[0].values() if "secret" in v or "pw@" in v]
    assert leaked == []
    assert os.environ["TELEGRAM_BOT_TOKEN"] not in seen[0].values()


# ---------------------------------------------------------------- end to end


async def _dead_or_pending(rig: DubanRig) -> int:
    async with rig.session() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(InboxUpdate).where(InboxUpdate.state != "done")
            )
            or 0
        )


async def test_a_limit_hit_is_one_committed_line_and_never_retried(rig: DubanRig) -> None:
    await rig.ask(ADMIN, "/lang en")
    before = await counts(rig)
    reply = await upload(rig, many_page_pdf(300), "考核要点.pdf", mime="application/pdf")
    assert "more pages than an assessment document" in reply.plain_text
    assert "Nothing was imported" in reply.plain_text
    await rig.api.wait_idle()
    assert await counts(rig) == before
    # Handled, not failed: the inbox does not try the upload again.
    await asyncio.sleep(1.5)
    refusals = [m for m in rig.api.messages_to(ADMIN.id) if "more pages" in (m.plain_text or "")]
    assert len(refusals) == 1


async def test_another_chat_is_answered_while_a_20_mb_import_is_parsed(
    sqlite_url: str, tmp_path: Path, fake_api: Any
) -> None:
    rig = DubanRig(
        fake_api, sqlite_url, tmp_path / "evidence", overrides={"import_wall_seconds": 8}
    )
    await rig.import_bundled()
    await rig.start()
    try:
        await rig.ask(ADMIN, "/lang en")
        await rig.join(ECO, "生态环境")
        # 190 pages of text (a parse of several seconds), 19.5 MB in all.
        heavy = many_page_pdf(190, 60, padding=19_000_000)
        assert 19_000_000 < len(heavy) < 20 * 2**20
        ref = fake_api.add_file(heavy, mime_type="application/pdf", file_name="heavy.pdf")
        since = fake_api.mark()
        rig.inject(
            u.document_message(
                ADMIN, ref, file_name="heavy.pdf", mime_type="application/pdf", caption="/import"
            )
        )
        ack = await fake_api.wait_for(
            lambda m: m.kind == "send", chat_id=ADMIN.id, since=since, timeout=15
        )
        assert ack.plain_text.startswith("Reading heavy.pdf")
        for _ in range(100):  # the download done, the child parsing
            if _children_alive():
                break
            await asyncio.sleep(0.1)
        assert _children_alive(), "the parse should be running now"

        started = time.monotonic()
        listing = await rig.ask(ECO, "/items", timeout=5)
        answered_in = time.monotonic() - started
        assert "A17.1" in listing.plain_text
        assert answered_in < 1.0, f"/items took {answered_in:.2f} s while the import parsed"
        # The import's outcome had not come yet: /items did not wait behind it.
        later = [m for m in fake_api.messages_to(ADMIN.id)[-1:] if m is not ack]
        assert all("Dry run" not in (m.plain_text or "") for m in later)

        outcome = await fake_api.wait_for(
            lambda m: m.kind == "send" and m is not ack, chat_id=ADMIN.id, since=since, timeout=60
        )
        assert "Nothing was imported" in outcome.plain_text or "Dry run" in outcome.plain_text
    finally:
        await rig.close()
