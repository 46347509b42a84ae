"""/export [YEAR] (admin, private chat): the active campaign, or the latest campaign of
YEAR (an earlier campaign stays exportable after a new one is imported), as an .xlsx
document.

The command only records an `ExportRun` and answers with a progress message; the work
runs as a background task (`Application.create_task`), so other users' updates are
answered meanwhile. Rows are streamed from the database into the workbook
(core.export.run) in its own session; progress is edited into the one message every few
seconds and beats in the run's row. A workbook past the upload limit (Telegram lets bots
send 50 MB) is kept on disk behind a one-time, expiring download link served by the
dashboard (bot.export_download). A clean stop waits for a running export (PTB awaits
its tasks); at start, `report_interrupted_exports` tells the admin of an export whose
process died (its heartbeat stopped).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time
import unicodedata
from pathlib import Path

from telegram import Bot
from telegram.error import TelegramError

from core.export import runs
from core.export.download_link import ExportLink, signed_url
from core.export.gather import NoCampaign, export_source
from core.export.run import write_export
from core.export.sql import SqlExport, SqlExportRuns
from core.text.i18n import Translate, translator
from handlers.base import SERVICES_KEY, Turn, bookkeeping_after_send, use_case
from runtime.intake.background import background
from runtime.sending import send_reliably
from runtime.services import AnyApplication, Services
from storage.db import AsyncSession

log = logging.getLogger(__name__)
EDIT_EVERY_SECONDS = 3.0


@use_case("export")
async def export_command(turn: Turn) -> None:
    """/export [YEAR]: starts the export in the background; progress in one message."""
    _ = turn._
    year: int | None = None
    if turn.args:
        arg = unicodedata.normalize("NFKC", turn.args[0]).strip()
        year = int(arg) if re.fullmatch(r"[0-9]{4}", arg) else None
        if year is None:
            await turn.reply(
                _("There is no campaign of {year}. Usage: /export, or /export YEAR.").format(
                    year=arg[:10]
                )
            )
            return
    chat = turn.update.effective_chat
    if chat is None:
        return
    chat_id = chat.id
    try:
        started = await runs.start_export(
            SqlExport(turn.session),
            SqlExportRuns(turn.session),
            admin_tg_id=turn.actor.tg_id,
            chat_id=chat_id,
            locale=turn.actor.locale,
            now=turn.now,
            year=year,
        )
    except NoCampaign:
        if year is not None:
            await turn.reply(
                _("There is no campaign of {year}. Usage: /export, or /export YEAR.").format(
                    year=year
                )
            )
        else:
            await turn.reply(_("There is no campaign to export yet; import a document first."))
        return
    except runs.AlreadyRunning:
        await turn.reply(_("Your export is still running; its progress is shown above."))
        return
    label = started.label
    run_id, app, bot = started.run_id, turn.context.application, turn.context.bot
    text = _("Preparing the export of {campaign}…").format(campaign=label)

    async def start() -> None:
        """Once the run is committed: the progress message, then the work in the background."""
        message = await send_reliably(bot, chat_id, text)

        async def note(session: AsyncSession) -> None:
            await runs.note_message(SqlExportRuns(session), run_id, message.message_id)

        await bookkeeping_after_send(turn, note)
        # Not PTB's create_task, which Application.stop awaits: a shutdown interrupts
        # the export, and the next start tells the admin (runtime/intake/background.py).
        background(app.bot_data).start(run_export(app, run_id), name=f"export-{run_id}")

    await turn.after_commit(start)


async def run_export(app: AnyApplication, run_id: int) -> None:
    """The export of one run, start to finish; every failure is told to the admin."""
    svc: Services = app.bot_data[SERVICES_KEY]
    settings = svc.settings
    async with svc.db.session() as session:
        run = await SqlExportRuns(session).run(run_id)
        if run is None:
            return
        chat_id, message_id, admin_tg_id = run.chat_id, run.message_id, run.admin_tg_id
        _ = translator(run.locale)
        campaign_id = run.campaign_id
    bot = app.bot
    started = svc.clock()
    local_day = started.astimezone(settings.tz).strftime("%Y%m%d")
    path = settings.exports_path / f".export-{run_id}.xlsx"
    last_edit = time.monotonic()
    last_beat = started

    async def progress(done: int, total: int) -> None:
        nonlocal last_edit, last_beat
        now = svc.clock()
        if now - last_beat >= runs.HEARTBEAT_EVERY:
            last_beat = now
            async with svc.db.unit() as beat_unit:  # not the export's own session
                await runs.beat(
                    SqlExportRuns(beat_unit.session),
                    run_id,
                    rows_done=done,
                    rows_total=total,
                    now=now,
                )
                await beat_unit.commit()
        # The last call (all rows written) is not shown: "done" follows, and must not be
        # overtaken by a late progress edit.
        if done >= total or message_id is None:
            return
        if time.monotonic() - last_edit >= EDIT_EVERY_SECONDS:
            last_edit = time.monotonic()
            percent = 100 * done // total if total else 100
            text = _("Exporting: {percent}% ({done} of {total} rows)…").format(
                percent=percent, done=done, total=total
            )
            await _edit(bot, chat_id, message_id, text)

    try:
        await asyncio.to_thread(settings.exports_path.mkdir, parents=True, exist_ok=True)
        async with svc.db.session() as session:
            source = await export_source(SqlExport(session), campaign_id)
            label = f"{source.campaign.year or '?'} {source.campaign.title}".strip()
            file_name = f"考核汇总-{source.campaign.year or source.campaign.id}-{local_day}.xlsx"
            caption = _(
                "{campaign}: {departments} departments, {bindings} items bound, {reports} "
                "reports, {evidence} evidence files."
            ).format(
                campaign=label,
                departments=len(source.departments),
                bindings=source.counts.bindings,
                reports=source.counts.reports,
                evidence=source.counts.evidence,
            )
            await write_export(
                source,
                path,
                settings.reading(started),  # the export's day, as /status read it then
                max_rows=settings.export_sheet_rows,
                progress=progress,
            )
        size = (await asyncio.to_thread(path.stat)).st_size
        limit = int(settings.export_upload_limit_mb * 2**20)
        if size <= limit:
            async with svc.db.unit() as unit:  # the upload may take a while
                total = source.counts.bindings + source.counts.reports + source.counts.evidence
                await runs.beat(
                    SqlExportRuns(unit.session),
                    run_id,
                    rows_done=total,
                    rows_total=total,
                    now=svc.clock(),
                )
                await unit.commit()
            with path.open("rb") as handle:
                await bot.send_document(
                    chat_id, document=handle, filename=file_name, caption=caption[:1024]
                )
            await asyncio.to_thread(path.unlink, missing_ok=True)
            async with svc.db.unit() as unit:
                await runs.finish_run(
                    SqlExportRuns(unit.session),
                    run_id,
                    now=svc.clock(),
                    size=size,
                    file_name=file_name,
                )
                await unit.commit()
        else:
            await _offer_link(
                svc, run_id, admin_tg_id, path, file_name, size, caption, chat_id, bot, _
            )
        if message_id is not None:
            await _edit(
                bot, chat_id, message_id, _("Export of {campaign} done.").format(campaign=label)
            )
    except asyncio.CancelledError:
        # Shutdown: the next start tells the admin (report_interrupted_exports).
        path.unlink(missing_ok=True)
        async with svc.db.unit() as unit:
            await runs.release_at_shutdown(SqlExportRuns(unit.session), run_id, svc.clock())
            await unit.commit()
        raise
    except Exception as exc:
        log.exception("export %s failed", run_id)
        await asyncio.to_thread(path.unlink, missing_ok=True)
        async with svc.db.unit() as unit:
            await runs.finish_run(
                SqlExportRuns(unit.session), run_id, now=svc.clock(), failed=type(exc).__name__
            )
            await unit.commit()
        text = _("The export failed ({error}); nothing was sent. Please try /export again.")
        try:
            await send_reliably(bot, admin_tg_id, text.format(error=type(exc).__name__))
        except TelegramError:
            log.warning("could not tell admin %s that export %s failed", admin_tg_id, run_id)


async def _offer_link(
    svc: Services,
    run_id: int,
    admin_tg_id: int,
    path: Path,
    file_name: str,
    size: int,
    caption: str,
    chat_id: int,
    bot: Bot,
    _: Translate,
) -> None:
    settings = svc.settings
    kept = settings.exports_path / f"export-{run_id}.xlsx"
    await asyncio.to_thread(path.replace, kept)
    hours = settings.export_link_hours
    async with svc.db.unit() as unit:
        expires_at = await runs.offer_download(
            SqlExportRuns(unit.session),
            run_id,
            path=kept,
            file_name=file_name,
            size=size,
            now=svc.clock(),
            valid_for=dt.timedelta(hours=hours),
        )
        await unit.commit()
    size_mb = f"{size / 2**20:.1f}"
    limit_mb = f"{settings.export_upload_limit_mb:g}"
    if settings.export_download_url:
        # Signed for this run, this admin and its expiry: a plain browser opens it.
        link = signed_url(
            settings.export_download_url,
            ExportLink(run_id, admin_tg_id, int(expires_at.timestamp())),
            settings.token or "",
        )
        text = _(
            "{caption}\nThe workbook is {size} MB, more than Telegram lets a bot send "
            "({limit} MB). Download it once, within {hours} hours: {link}"
        ).format(caption=caption, size=size_mb, limit=limit_mb, hours=f"{hours:g}", link=link)
    else:
        text = _(
            "{caption}\nThe workbook is {size} MB, more than Telegram lets a bot send "
            "({limit} MB). It is kept on the server as {path}; `python -m bot export` "
            "writes it too."
        ).format(caption=caption, size=size_mb, limit=limit_mb, path=kept)
    await send_reliably(bot, chat_id, text, disable_web_page_preview=True)


async def _edit(bot: Bot, chat_id: int, message_id: int, text: str) -> None:
    """Progress is a courtesy: an edit Telegram refuses (unchanged, deleted) is skipped."""
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
    except TelegramError as exc:  # BadRequest included
        log.info("progress edit skipped: %s", exc)


async def report_interrupted_exports(app: AnyApplication) -> None:
    """At start: exports whose process died are told to their admin (once, whichever
    process claims them), and kept workbooks whose link is spent or expired deleted."""
    svc: Services = app.bot_data[SERVICES_KEY]
    now = svc.clock()
    async with svc.db.unit() as unit:
        store = SqlExportRuns(unit.session)
        interrupted = await runs.claim_interrupted(store, now)
        stale_files = await runs.expired_files(store, now)
        await unit.commit()
    for path in stale_files:
        await asyncio.to_thread(path.unlink, missing_ok=True)
    for run in interrupted:
        _ = translator(run.locale)
        started = run.started_at.astimezone(svc.settings.tz).strftime("%Y-%m-%d %H:%M")
        text = _(
            "Your export started at {time} was cut short by a restart of the bot; nothing "
            "was sent. Send /export again."
        ).format(time=started)
        try:
            await send_reliably(app.bot, run.admin_tg_id, text)
        except TelegramError:
            log.warning("could not tell admin %s of interrupted export %s", run.admin_tg_id, run.id)
