"""Quick reports: a photo, album or document captioned `#CODE text`, no conversation.

A single photo or document is recorded at once. An album arrives as separate updates
sharing a media_group_id, its caption on the first; each part is staged and kept in
the draft store (`storage.drafts`, name `album:<id>`), and a job two seconds after the
last part records them all as one report, in one commit with the end of the draft.
Drafts left by a restart are finished at start.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import ContextTypes

from core.people.permissions import Role
from core.reporting import use_cases
from core.reporting.evidence import EvidenceRejected
from core.reporting.quick import parse_caption
from core.reporting.reports import NewEvidence
from core.text import i18n
from core.text.i18n import Translate
from handlers.base import Turn, job_use_case, use_case
from handlers.reporting.files import check_daily_cap, fetch_evidence, rejection_text
from handlers.reporting.ports import reporter, reporting
from handlers.reporting.report import summary
from runtime.services import AnyApplication, Services
from storage import drafts, inbox
from storage.drafts import DraftKey

log = logging.getLogger(__name__)
ALBUM_SETTLE_SECONDS = 2.0


ALBUM_PREFIX = drafts.ALBUM_PREFIX


def album_name(media_group_id: str) -> str:
    return f"{ALBUM_PREFIX}{media_group_id}"[:40]


@use_case()
async def media_received(turn: Turn) -> None:
    """A photo/document outside /report: a quick report if captioned #CODE (or part of one)."""
    _ = turn._
    message = turn.message
    if message is None:
        return
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
    found = await use_cases.find_own_item(reporting(turn), reporter(turn), caption.code)
    if found.view is None:
        await turn.reply(refusal_text(found.refusal, caption.code, turn._))
        return
    try:
        await check_daily_cap(turn)
        piece = await fetch_evidence(turn.context.bot, message, turn.services.evidence_store)
    except EvidenceRejected as exc:
        await turn.reply(rejection_text(exc.reason, _))
        return
    outcome = await use_cases.quick_report(
        reporting(turn),
        reporter(turn),
        found.view,
        caption,
        [piece],
        now=turn.now,
        source_message=(message.chat_id, message.message_id),
    )
    await turn.reply_after_commit(outcome_text(outcome, caption.code, turn, rejected=0))


def refusal_text(refusal: use_cases.Refusal | None, code: str, _: Translate) -> str:
    """The one reply for each reason a quick report is refused; nothing was recorded."""
    if refusal is use_cases.Refusal.NOT_A_LIAISON:
        return _("Only department liaisons report progress.")
    if refusal is use_cases.Refusal.NOT_YOURS:
        return _("Item {code} is not one of your department's items. Nothing was recorded.").format(
            code=code
        )
    if refusal is use_cases.Refusal.NO_SUCH_ITEM:
        return _("There is no item {code}. Nothing was recorded; /items lists yours.").format(
            code=code
        )
    return _("This item is not available to you.")


def outcome_text(outcome: use_cases.QuickOutcome, code: str, turn: Turn, *, rejected: int) -> str:
    """ "Recorded" with the report's summary, or why not."""
    _ = turn._
    if outcome.recorded is None:
        return refusal_text(outcome.refusal, code, _)
    text = summary(outcome.recorded, _)
    if rejected:
        ngettext = i18n.ngettext(turn.actor.locale)
        text += "\n" + ngettext(
            "{count} file of the album could not be kept (type or size).",
            "{count} files of the album could not be kept (type or size).",
            rejected,
        ).format(count=rejected)
    return text


async def album_part(turn: Turn) -> None:
    """Stage one part of an album and (re)schedule the album's completion."""
    _ = turn._
    message = turn.message
    if message is None or message.media_group_id is None:
        return
    user_id, chat_id = turn.actor.tg_id, message.chat_id
    name = album_name(message.media_group_id)
    key = DraftKey(name, chat_id, user_id)
    # Downloaded before the first statement: no transaction waits for Telegram.
    piece: NewEvidence | None = None
    try:
        await check_daily_cap(turn)
        piece = await fetch_evidence(turn.context.bot, message, turn.services.evidence_store)
    except EvidenceRejected as exc:
        rejected_reason = exc.reason
    draft = await drafts.load(turn.session, key)
    data: dict[str, Any] = dict(draft.data) if draft else {"files": [], "rejected": 0}
    if piece is None:
        data["rejected"] = int(data.get("rejected", 0)) + 1
        data["rejected_reason"] = rejected_reason
    else:
        files = list(data.get("files", []))
        # A part delivered again (after a crash) is not a second file.
        if all(f.get("sha256") != piece.staged.sha256 for f in files):
            files.append(piece.to_json())
        data["files"] = files
    if message.caption:
        data["caption"] = message.caption
    # The album's first message names the report, so a repeated delivery records it once.
    data["first_message_id"] = min(
        int(data.get("first_message_id") or message.message_id), message.message_id
    )
    await drafts.save(turn.session, key, 0, data, turn.now)
    app = turn.context.application
    # Scheduled only once the part is committed: the job reads it back from the database.
    await turn.after_commit(
        lambda: _schedule_now(app, name, chat_id, user_id, ALBUM_SETTLE_SECONDS)
    )


async def _schedule_now(
    app: AnyApplication,
    name: str,
    chat_id: int,
    user_id: int,
    delay: float,
) -> None:
    schedule_album(app, name, chat_id, user_id, delay)


def schedule_album(
    app: AnyApplication, name: str, chat_id: int, user_id: int, delay: float
) -> None:
    jobs = app.job_queue
    if jobs is None:  # built without a job queue (never in the bot): nothing to schedule
        log.warning("no job queue: album %s is finished at the next start", name)
        return
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
    if job is None or not isinstance(job.data, dict):
        return
    key = DraftKey(job.data["name"], job.data["chat_id"], job.data["user_id"])
    await job_use_case(
        context, key.user_id, lambda turn: album_done(turn, key), chat_id=key.chat_id
    )


async def album_done(turn: Turn, key: DraftKey) -> None:
    """The album's use case: one commit records the report and drops the draft.

    Under the chat's lock, so no part is being handled now; parts still waiting in the
    inbox (after a restart, or a slow receiver) come first: the job tries again later."""
    if await inbox.has_pending(turn.session, key.chat_id):
        app = turn.context.application
        await turn.after_commit(
            lambda: _schedule_now(app, key.name, key.chat_id, key.user_id, ALBUM_SETTLE_SECONDS)
        )
        return
    draft = await drafts.load(turn.session, key)
    if draft is None:
        return
    data = dict(draft.data or {})
    actor = turn.actor
    _ = turn._
    await drafts.drop(turn.session, key)
    caption = parse_caption(data.get("caption"))
    pieces = [NewEvidence.from_json(f) for f in data.get("files", [])]
    if actor.role is not Role.LIAISON or actor.department_id is None:
        reply = _("Only department liaisons report progress.")
    elif caption is None:
        reply = _(
            "To report with this album, send it again with the caption #CODE on its first "
            "photo, or use /report."
        )
    else:
        found = await use_cases.find_own_item(reporting(turn), reporter(turn), caption.code)
        if found.view is None:
            reply = refusal_text(found.refusal, caption.code, _)
        elif not pieces:
            reply = rejection_text(str(data.get("rejected_reason", "type")), _)
        else:
            first = data.get("first_message_id")
            outcome = await use_cases.quick_report(
                reporting(turn),
                reporter(turn),
                found.view,
                caption,
                pieces,
                now=turn.now,
                source_message=(key.chat_id, int(first)) if first else None,
            )
            reply = outcome_text(outcome, caption.code, turn, rejected=int(data.get("rejected", 0)))
    await turn.reply_after_commit(reply, chat_id=key.chat_id)


async def finish_leftover_albums(app: AnyApplication) -> None:
    """At start: albums whose completion job died with the previous process."""
    svc: Services = app.bot_data["services"]
    async with svc.db.session() as session:
        keys = await drafts.keys_starting(session, ALBUM_PREFIX)
    for key in keys:
        schedule_album(app, key.name, key.chat_id, key.user_id, 0.5)
