"""Quick reports: a photo, album or document captioned `#CODE text`, no conversation.

A single photo or document is recorded at once. An album arrives as separate updates
sharing a media_group_id, its caption on the first; each part is staged and kept in
`conversation_draft` (name `album:<id>`), and a job two seconds after the last part
records them all as one report. Drafts left by a restart are finished at start.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application, ContextTypes

from bot.intake.context import stage_outcome
from bot.intake.outbox import deliver, queue_reply
from core.people.actors import load_actor
from core.people.permissions import Role
from core.reporting import reports
from core.reporting.evidence import EvidenceRejected
from core.reporting.quick import parse_caption
from core.reporting.reports import NewEvidence, ReportRefused
from core.text.i18n import translator
from handlers.base import Services, Turn, send_reliably, services, use_case
from handlers.reporting.files import fetch_evidence, rejection_text
from handlers.reporting.report import summary
from storage.models import STATUS_IN_PROGRESS, ConversationDraft

log = logging.getLogger(__name__)
ALBUM_SETTLE_SECONDS = 2.0


def album_name(media_group_id: str) -> str:
    return f"album:{media_group_id}"[:40]


@use_case()
async def media_received(turn: Turn) -> None:
    """A photo/document outside /report: a quick report if captioned #CODE (or part of one)."""
    _ = turn._
    message = turn.message
    assert message is not None
    if turn.actor.role is not Role.LIAISON:
        if turn.actor.role is Role.STRANGER:
            await turn.reply(_("Send /join CODE with the invite code from your office, or /help."))
        else:
            await turn.reply(_("Only department liaisons report progress."))
        return
    if message.media_group_id:
        await album_part(turn)
        return
    caption = parse_caption(message.caption)
    if caption is None:
        await turn.reply(
            _(
                "To report with this file, send it again with the caption #CODE and a few words, "
                "e.g. #A5.1 92% 已完成, or use /report."
            )
        )
        return
    view = await _own_view(turn, caption.code)
    if view is None:
        return
    try:
        piece = await fetch_evidence(turn.context.bot, message, turn.services.evidence_store)
    except EvidenceRejected as exc:
        await turn.reply(rejection_text(exc.reason, _))
        return
    await _record(
        turn.services,
        turn.session,
        turn.actor.tg_id,
        turn.actor.department_id,
        view,
        caption_text=message.caption or "",
        pieces=[piece],
        chat_id=message.chat_id,
        bot=turn.context.bot,
        now=turn.now,
        source_message_id=message.message_id,
    )


async def _own_view(turn: Turn, code: str) -> reports.ItemView | None:
    _ = turn._
    assert turn.actor.department_id is not None
    view = await reports.own_item(turn.session, turn.actor.department_id, code)
    if view is None:
        if await reports.code_exists(turn.session, code):
            await turn.reply(
                _(
                    "Item {code} is not one of your department's items. Nothing was recorded."
                ).format(code=code)
            )
        else:
            await turn.reply(
                _("There is no item {code}. Nothing was recorded; /items lists yours.").format(
                    code=code
                )
            )
    return view


async def album_part(turn: Turn) -> None:
    """Stage one part of an album and (re)schedule the album's completion."""
    _ = turn._
    message = turn.message
    assert message is not None and message.media_group_id is not None
    user_id, chat_id = turn.actor.tg_id, message.chat_id
    name = album_name(message.media_group_id)
    draft = await turn.session.get(ConversationDraft, (name, chat_id, user_id))
    data: dict[str, Any] = dict(draft.data) if draft else {"files": [], "rejected": 0}
    try:
        piece = await fetch_evidence(turn.context.bot, message, turn.services.evidence_store)
        files = list(data.get("files", []))
        # A part delivered again (after a crash) is not a second file.
        if all(f.get("sha256") != piece.staged.sha256 for f in files):
            files.append(piece.to_json())
        data["files"] = files
    except EvidenceRejected as exc:
        data["rejected"] = int(data.get("rejected", 0)) + 1
        data["rejected_reason"] = exc.reason
    if message.caption:
        data["caption"] = message.caption
    # The album's first message names the report, so a repeated delivery records it once.
    data["first_message_id"] = min(
        int(data.get("first_message_id") or message.message_id), message.message_id
    )
    if draft is None:
        draft = ConversationDraft(name=name, chat_id=chat_id, user_id=user_id, state=0)
        turn.session.add(draft)
    draft.data = data
    draft.updated_at = turn.now
    await stage_outcome(turn.session)
    await turn.session.commit()
    schedule_album(turn.context.application, name, chat_id, user_id, ALBUM_SETTLE_SECONDS)


def schedule_album(app: Application, name: str, chat_id: int, user_id: int, delay: float) -> None:  # type: ignore[type-arg]
    jobs = app.job_queue
    assert jobs is not None
    job_name = f"{name}:{chat_id}:{user_id}"
    for job in jobs.get_jobs_by_name(job_name):
        job.schedule_removal()
    # Jobs carry ids only; the job opens its own session.
    jobs.run_once(
        finish_album,
        when=delay,
        data={"name": name, "chat_id": chat_id, "user_id": user_id},
        name=job_name,
        job_kwargs={"misfire_grace_time": None},
    )


async def finish_album(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record an album's parts as one report (or explain why not), then drop its draft."""
    job = context.job
    assert job is not None and isinstance(job.data, dict)
    name, chat_id, user_id = job.data["name"], job.data["chat_id"], job.data["user_id"]
    svc = services(context)
    async with svc.db.session() as session:
        draft = await session.get(ConversationDraft, (name, chat_id, user_id))
        if draft is None:
            return
        data = dict(draft.data or {})
        actor = await load_actor(
            session, user_id, admin_ids=svc.admin_ids, default_locale=svc.settings.default_locale
        )
        _ = translator(actor.locale)
        # Deleting the draft is the claim: of two processes finishing the same album,
        # only the one whose DELETE found the row goes on (the other's waits, finds none).
        claimed = await session.execute(
            delete(ConversationDraft).where(
                ConversationDraft.name == name,
                ConversationDraft.chat_id == chat_id,
                ConversationDraft.user_id == user_id,
            )
        )
        if int(getattr(claimed, "rowcount", 0) or 0) != 1:
            await session.rollback()
            return
        caption = parse_caption(data.get("caption"))
        pieces = [NewEvidence.from_json(f) for f in data.get("files", [])]
        reply: str | None = None
        view = None
        if actor.role is not Role.LIAISON or actor.department_id is None:
            reply = _("Only department liaisons report progress.")
        elif caption is None:
            reply = _(
                "To report with this album, send it again with the caption #CODE on its first "
                "photo, or use /report."
            )
        else:
            view = await reports.own_item(session, actor.department_id, caption.code)
            if view is None:
                if await reports.code_exists(session, caption.code):
                    reply = _(
                        "Item {code} is not one of your department's items. Nothing was recorded."
                    ).format(code=caption.code)
                else:
                    reply = _(
                        "There is no item {code}. Nothing was recorded; /items lists yours."
                    ).format(code=caption.code)
            elif not pieces:
                reply = rejection_text(str(data.get("rejected_reason", "type")), _)
        if reply is not None or view is None:
            ids = [await queue_reply(session, chat_id, reply or "")]
            await session.commit()  # the draft is dropped either way
            await deliver(context.bot, svc.db, ids)
            return
        await _record(
            svc,
            session,
            user_id,
            actor.department_id,
            view,
            caption_text=data.get("caption", ""),
            pieces=pieces,
            source_message_id=data.get("first_message_id"),
            chat_id=chat_id,
            bot=context.bot,
            now=svc.clock(),
            rejected=int(data.get("rejected", 0)),
        )


async def _record(
    svc: Services,
    session: AsyncSession,
    tg_id: int,
    department_id: int | None,
    view: reports.ItemView,
    *,
    caption_text: str,
    pieces: list[NewEvidence],
    chat_id: int,
    bot: Any,
    now: dt.datetime,
    rejected: int = 0,
    source_message_id: int | None = None,
) -> None:
    caption = parse_caption(caption_text)
    assert caption is not None and department_id is not None
    values: dict[int, Decimal] = {}
    if caption.value is not None and view.targets:
        values[view.targets[0].id] = caption.value
    actor = await load_actor(
        session, tg_id, admin_ids=svc.admin_ids, default_locale=svc.settings.default_locale
    )
    _ = translator(actor.locale)
    try:
        recorded = await reports.record_report(
            session,
            svc.evidence_store,
            reporter_tg_id=tg_id,
            department_id=department_id,
            binding_id=view.binding_id,
            status=caption.status or STATUS_IN_PROGRESS,
            values=values,
            text=caption.text,
            evidence=pieces,
            source="quick",
            now=now,
            source_message=(chat_id, source_message_id) if source_message_id else None,
        )
    except ReportRefused:
        await session.rollback()
        await send_reliably(bot, chat_id, _("This item is not available to you."))
        return
    text = summary(recorded, _)
    if rejected:
        text += "\n" + _("{count} files of the album could not be kept (type or size).").format(
            count=rejected
        )
    # The "recorded" reply is written with the outcome (and, for an update from the inbox,
    # its handled mark), so it is sent even if the process dies right after this commit.
    ids = [await queue_reply(session, chat_id, text)]
    await session.commit()  # a repeated delivery commits nothing above; drop its album draft
    await deliver(bot, svc.db, ids)


async def finish_leftover_albums(app: Application) -> None:  # type: ignore[type-arg]
    """At start: albums whose completion job died with the previous process."""
    svc: Services = app.bot_data["services"]
    async with svc.db.session() as session:
        rows = (
            await session.execute(
                select(
                    ConversationDraft.name, ConversationDraft.chat_id, ConversationDraft.user_id
                ).where(ConversationDraft.name.like("album:%"))
            )
        ).all()
    for name, chat_id, user_id in rows:
        # As long as a part would wait: parts still in the inbox or at Telegram come first.
        schedule_album(app, name, chat_id, user_id, ALBUM_SETTLE_SECONDS)
