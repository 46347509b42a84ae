"""/export [YEAR] (admin, private chat): the active campaign, or the latest campaign of
YEAR (an earlier campaign stays exportable after a new one is imported), as an .xlsx
document. The workbook is built in a temporary directory by a worker thread (openpyxl
is CPU work) and sent with sendDocument, its caption giving the counts.
"""

from __future__ import annotations

import asyncio
import functools
import re
import tempfile
import unicodedata
from pathlib import Path

from core.export.gather import ExportData, NoCampaign, campaign_of_year, gather_export
from core.export.sheets import write_workbook
from handlers.base import Turn, use_case
from storage import repositories as repo


@use_case("export")
async def export_command(turn: Turn) -> None:
    """/export [YEAR]: the campaign as an .xlsx workbook, sent as a document."""
    _ = turn._
    settings = turn.services.settings
    campaign_id: int | None = None
    if turn.args:
        arg = unicodedata.normalize("NFKC", turn.args[0]).strip()
        year = int(arg) if re.fullmatch(r"[0-9]{4}", arg) else None
        campaign = await campaign_of_year(turn.session, year) if year is not None else None
        if campaign is None:
            await turn.reply(
                _("There is no campaign of {year}. Usage: /export, or /export YEAR.").format(
                    year=arg[:10]
                )
            )
            return
        campaign_id = campaign.id
    try:
        data = await gather_export(turn.session, campaign_id)
    except NoCampaign:
        await turn.reply(_("There is no campaign to export yet; import a document first."))
        return
    repo.audit(
        turn.session,
        at=turn.now,
        actor_tg_id=turn.actor.tg_id,
        action="export",
        detail={"campaign_id": data.campaign.id, "reports": len(data.reports)},
    )
    # Committed by the use case when the workbook has gone out (an export that failed to
    # send leaves no audit entry).

    local_day = turn.now.astimezone(settings.tz).strftime("%Y%m%d")
    file_name = f"考核汇总-{data.campaign.year or data.campaign.id}-{local_day}.xlsx"
    caption = _(
        "{campaign}: {departments} departments, {bindings} items bound, {reports} reports, "
        "{evidence} evidence files."
    ).format(
        campaign=campaign_label_of(data),
        departments=len(data.departments),
        bindings=len(data.bindings),
        reports=len(data.reports),
        evidence=len(data.evidence),
    )
    chat = turn.update.effective_chat
    if chat is None:
        return
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "export.xlsx"
        await asyncio.to_thread(
            functools.partial(
                write_workbook,
                data,
                path,
                settings.tz,
                exported_at=turn.now,
                yellow_days=settings.yellow_days,
                silent_days=settings.silent_days,
            )
        )
        with path.open("rb") as handle:
            await turn.context.bot.send_document(
                chat.id, document=handle, filename=file_name, caption=caption[:1024]
            )


def campaign_label_of(data: ExportData) -> str:
    return f"{data.campaign.year or '?'} {data.campaign.title}".strip()
