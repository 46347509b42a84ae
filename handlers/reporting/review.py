"""/review (admin, private): reports marked done, awaiting the office's acceptance.

One message per report, oldest first, with its values against their targets and its
evidence (files already submitted with an earlier report are flagged). Accepting is one
press; returning asks for a comment (handlers.reporting.review_return). Either decision is
one commit (core.reporting.use_cases.decide); the department's liaisons are told
privately, each in their language, only after it.

Callback data:
    rv:a:<report>  accept
    rv:r:<report>  return (asks for the comment; handlers.reporting.review_return)
    rv:e:<report>  the report's evidence
"""

from __future__ import annotations

import contextlib

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from core.reporting import use_cases
from core.reporting.review import Decided, PendingReport, ReviewFailure, ReviewRefused
from core.text import i18n
from core.text.formatting import (
    REVIEW_LABELS,
    local_datetime,
    shorten,
    status_label,
    value_against_target,
)
from core.text.i18n import Translate
from handlers.base import Turn, use_case
from handlers.notify import tell_privately
from handlers.oversight.screens import button_allowed, callback_id, esc
from handlers.reporting.ports import review
from storage.models import REVIEW_ACCEPTED, REVIEW_RETURNED

PAGE = 10  # reports shown per /review; the rest after these are decided


# ---------------------------------------------------------------- the list


def review_text(pending: PendingReport, turn: Turn) -> str:
    _ = turn._
    tz = turn.services.settings.tz
    lines = [
        "<b>"
        + esc(_("Awaiting review: {department}").format(department=pending.department_name))
        + "</b>",
        f"<b>{esc(pending.code)}</b> {esc(shorten(pending.title, 60))}",
        esc(
            _("{status} · reported {time} by {name} · report #{report}").format(
                status=status_label(pending.status, _),
                time=local_datetime(pending.created_at, tz),
                name=pending.reporter_name or "—",
                report=pending.report_id,
            )
        ),
    ]
    if not pending.is_latest:
        lines.append("⚠️ " + esc(_("A newer report on this item has been filed since.")))
    for target in pending.values:
        lines.append(
            f"🎯 {esc(target.metric)}: "
            + esc(value_against_target(target.last_value, target.op, target.value, target.unit, _))
        )
    if pending.text:
        lines.append("“" + esc(shorten(pending.text, 2500)) + "”")
    if pending.evidence_count:
        ngettext = i18n.ngettext(turn.actor.locale)
        evidence = "📎 " + ngettext(
            "{count} evidence file", "{count} evidence files", pending.evidence_count
        ).format(count=pending.evidence_count)
        if pending.reused_count:
            evidence += " · ⚠️ " + _(
                "{count} of them already submitted with an earlier report"
            ).format(count=pending.reused_count)
        lines.append(esc(evidence))
    else:
        lines.append("📎 " + esc(_("No evidence attached.")))
    return "\n".join(lines)


def review_buttons(pending: PendingReport, _: Translate) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton("✅ " + _("Accept"), callback_data=f"rv:a:{pending.report_id}"),
        InlineKeyboardButton("↩️ " + _("Return"), callback_data=f"rv:r:{pending.report_id}"),
    ]
    if pending.evidence_count:
        row.append(
            InlineKeyboardButton("📎 " + _("Evidence"), callback_data=f"rv:e:{pending.report_id}")
        )
    return InlineKeyboardMarkup([row])


@use_case("review")
async def review_command(turn: Turn) -> None:
    """/review: the reports awaiting review, oldest first, one message each."""
    _ = turn._
    found, total = await use_cases.pending_review(review(turn), limit=PAGE)
    if not found:
        await turn.reply(_("No reports are awaiting review."))
        return
    ngettext = i18n.ngettext(turn.actor.locale)
    head = ngettext(
        "{total} report awaits review.", "{total} reports await review, oldest first.", total
    ).format(total=total)
    if total > len(found):
        head += " " + _(
            "Here are the first {shown}; send /review again once they are decided."
        ).format(shown=len(found))
    await turn.reply(head)
    for pending in found:
        await turn.reply(
            review_text(pending, turn),
            parse_mode=ParseMode.HTML,
            reply_markup=review_buttons(pending, turn._),
        )


# ---------------------------------------------------------------- deciding


def refusal_text(exc: ReviewRefused, report_id: int, _: Translate) -> str:
    if exc.failure is ReviewFailure.NOT_FOUND:
        return _("There is no report #{report}.").format(report=report_id)
    if exc.failure is ReviewFailure.ALREADY:
        return _("Report #{report} has already been reviewed; nothing was changed.").format(
            report=report_id
        )
    return _("Report #{report} does not await review; nothing was changed.").format(
        report=report_id
    )


def liaison_message(decided: Decided, _: Translate) -> str:
    lines = [
        esc(
            _("The office reviewed your report on {code} ({title}): {decision}.").format(
                code=decided.code,
                title=shorten(decided.title, 40),
                decision=_(REVIEW_LABELS[decided.decision]),
            )
        )
    ]
    if decided.comment:
        lines.append(esc(_("Comment: {comment}").format(comment=decided.comment)))
    if decided.decision == REVIEW_RETURNED:
        lines.append(
            esc(_("Please correct it and report again: /report {code}").format(code=decided.code))
        )
    if decided.rectification_due is not None:
        # Issue 22: the return opened a rectification; the department's measures are asked.
        lines.append(
            esc(
                _(
                    "Rectification (整改) due {date}. Send your measures: /measures {code} TEXT"
                ).format(date=decided.rectification_due.isoformat(), code=decided.code)
            )
        )
    return "\n".join(lines)


async def tell_and_confirm(turn: Turn, decided: Decided) -> None:
    """After the commit: tell the liaisons, then the reviewer how many were told."""
    await turn.after_commit(lambda: _tell_and_confirm(turn, decided))


async def _tell_and_confirm(turn: Turn, decided: Decided) -> None:
    _ = turn._
    told = await tell_privately(
        turn.context.bot,
        decided.liaisons,
        lambda their: liaison_message(decided, their),
        default_locale=turn.services.settings.default_locale,
    )
    if decided.decision == REVIEW_ACCEPTED:
        head = _("Accepted: {code} of {department}.")
    else:
        head = _("Returned with your comment: {code} of {department}.")
    text = head.format(code=decided.code, department=decided.department_name)
    if decided.liaisons:
        text += " " + _("Liaisons told: {told} of {count}.").format(
            told=told, count=len(decided.liaisons)
        )
    else:
        text += " " + _("The department has no liaison to tell.")
    await turn.reply(text)


async def drop_buttons(query: CallbackQuery | None) -> None:
    """Take the decision buttons off a review message once it is decided."""
    if query is None or query.message is None:
        return
    # Already without buttons, or too old to edit: nothing to undo.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)


@use_case()
async def accept_button(turn: Turn) -> None:
    """✅ Accept: the report, and its binding if it is the latest, become accepted."""
    if not await button_allowed(turn, "review"):
        return
    query = turn.query
    if query is None:
        return
    await query.answer()
    report_id = callback_id(turn)
    try:
        decided = await use_cases.decide(
            review(turn),
            report_id=report_id,
            decision=REVIEW_ACCEPTED,
            comment="",
            reviewer_tg_id=turn.actor.tg_id,
            now=turn.now,
        )
    except ReviewRefused as exc:
        await turn.reply(refusal_text(exc, report_id, turn._))
        return
    await tell_and_confirm(turn, decided)
    await turn.after_commit(lambda: drop_buttons(query))


@use_case()
async def evidence_button(turn: Turn) -> None:
    """📎 The files of this one report, as albums; reused ones are flagged."""
    if not await button_allowed(turn, "review"):
        return
    query, chat = turn.query, turn.update.effective_chat
    if query is None or chat is None:
        return
    _ = turn._
    report_id = callback_id(turn)
    code, files = await use_cases.review_evidence(review(turn), report_id)
    await query.answer()
    if code is None or not files:
        await turn.reply(_("Report #{report} has no evidence.").format(report=report_id))
        return
    chat_id = chat.id
    bot = turn.context.bot
    for kind in ("photo", "document"):
        group = [f for f in files if f.kind == kind]
        for start in range(0, len(group), 10):
            chunk = group[start : start + 10]
            captions = []
            for piece in chunk:
                caption = _("{code} · report #{report}").format(code=code, report=report_id)
                if piece.reused_from_report_id:
                    caption += " · ⚠️ " + _("already submitted with report #{earlier}").format(
                        earlier=piece.reused_from_report_id
                    )
                captions.append(shorten(caption, 1024))
            if len(chunk) == 1:
                send = bot.send_photo if kind == "photo" else bot.send_document
                await send(chat_id, chunk[0].file_id, caption=captions[0])
                continue
            await bot.send_media_group(
                chat_id,
                [
                    InputMediaPhoto(f.file_id, caption=c)
                    if kind == "photo"
                    else InputMediaDocument(f.file_id, caption=c)
                    for f, c in zip(chunk, captions, strict=True)
                ],
            )
