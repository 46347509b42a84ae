"""/feedback, /appeal, /approve, /finalize and /sitecheck: the office's review and the
departments' re-check.

- /feedback (admin): every department's liaisons get their own preliminary result
  privately, with the feedback sheet (.docx) and the re-check deadline. A liaison's
  /feedback shows their own result again, once it was given.
- /appeal CODE reason (liaison), or /appeal alone for buttons (`ya:ap:<target>[:<code>]`,
  then the reason: handlers/yearend/appeal_reason.py); the caption of a photo or document
  works too (attachments).
  The admin's /appeal lists open appeals; `/appeal ID upheld reason`, `/appeal ID SCORE
  reason` (an item, the bonus or penalty total) or `/appeal ID lift reason` (a veto).
- /approve BODY YYYY-MM-DD NUMBER; /finalize; /finalize reopen REASON.
- /sitecheck DEPT YYYY-MM-DD who went | findings (also as a photo's caption);
  /sitecheck DEPT lists them; /sitecheck cite ID CODE makes a deduction cite one.
"""

from __future__ import annotations

import html
import io
import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from core.people.invites import find_department
from core.people.roster import Recipient
from core.scheduling.workdays import working_day_rule
from core.scoring.amounts import BadAmount, parse_amount, show
from core.text.dates import BadDate, parse_date
from core.text.i18n import N_, Translate, translator
from core.text.split import split_sections
from core.yearend import approval, feedback, sitecheck
from core.yearend.documents import FeedbackSheet, feedback_docx
from core.yearend.sql import SqlYearEnd
from core.yearend.state import YearEndRefused, active_campaign
from handlers.base import Turn, use_case
from handlers.notify import tell_privately
from handlers.yearend.common import acting, day_text, outcome_text, refusal_text, store
from storage.models import (
    APPEAL_BONUS,
    APPEAL_GRADE,
    APPEAL_ITEM,
    APPEAL_PENALTY,
    APPEAL_VETO,
)

log = logging.getLogger(__name__)
APPEAL_BUTTON = "ya:ap:"
TARGET_WORDS = {
    "bonus": APPEAL_BONUS,
    "加分": APPEAL_BONUS,
    "penalty": APPEAL_PENALTY,
    "减分": APPEAL_PENALTY,
    "veto": APPEAL_VETO,
    "否决": APPEAL_VETO,
    "一票否决": APPEAL_VETO,
    "grade": APPEAL_GRADE,
    "等次": APPEAL_GRADE,
}
UPHOLD_WORDS = {"upheld", "uphold", "keep", "维持"}
LIFT_WORDS = {"lift", "撤销"}
DECIDED = N_("The office decided your appeal on {subject}: {decision}. {reason}")
CHANGED_FROM = N_("changed from {before} to {after}")
UPHELD = N_("upheld")
TOLD_APPEAL = N_("A re-check request from {department} on {subject}: {reason} (/appeal)")


def _file_name(_: Translate, department: str) -> str:
    return _("feedback-{department}.docx").format(department=department)


# ---------------------------------------------------------------- /feedback


@use_case("feedback")
async def feedback_command(turn: Turn) -> None:
    _ = turn._
    yearend = store(turn)
    try:
        campaign = await active_campaign(yearend)
        if turn.actor.department_id is not None and not turn.actor.is_staff:
            await _own_result(turn, yearend, campaign.id, turn.actor.department_id)
            return
        settings = turn.services.settings
        book, deliveries = await feedback.send_feedback(
            yearend,
            campaign.id,
            acting(turn),
            working_day_rule(settings.workdays_calendar),
        )
    except YearEndRefused as exc:
        await turn.reply(refusal_text(exc, _))
        return
    bot, default = turn.context.bot, turn.services.settings.default_locale

    async def deliver() -> None:
        for delivery in deliveries:
            for person in delivery.liaisons:
                their = translator(person.locale or default)
                sheet = feedback.feedback_sheet(
                    book,
                    delivery.outcome,
                    delivered_on=delivery.delivered_on,
                    deadline=delivery.deadline,
                    days=delivery.days,
                    final=False,
                    _=their,
                )
                await _send_result(bot, person, delivery, sheet, their)

    reached = sum(1 for d in deliveries if d.liaisons)
    await turn.reply_after_commit(
        _("Feedback recorded for {count} department(s); {reached} have liaisons to tell.").format(
            count=len(deliveries), reached=reached
        )
    )
    await turn.after_commit(deliver)


async def _send_result(
    bot: Bot,
    person: Recipient,
    delivery: feedback.Delivery,
    sheet: FeedbackSheet,
    their: Translate,
) -> None:
    """The result as text, then the feedback sheet; someone unreachable is skipped."""
    sections = outcome_text(delivery.outcome, their, deadline=delivery.deadline, final=False)
    try:
        for chunk in split_sections(sections):
            await bot.send_message(person.tg_id, chunk.text, parse_mode="HTML")
        await bot.send_document(
            person.tg_id,
            io.BytesIO(feedback_docx(sheet, their)),
            filename=_file_name(their, delivery.outcome.department),
        )
    except TelegramError as exc:
        log.info("could not send feedback to user %s: %s", person.tg_id, exc)


async def _own_result(
    turn: Turn, yearend: SqlYearEnd, campaign_id: int, department_id: int
) -> None:
    _ = turn._
    own = await feedback.own_result(yearend, campaign_id, department_id)
    if own is None:
        await turn.reply(_("Your department's result has not been given yet."))
        return
    sections = outcome_text(own.outcome, _, deadline=own.deadline, final=own.final)
    for chunk in split_sections(sections):
        await turn.reply(chunk.text, parse_mode="HTML")


# ---------------------------------------------------------------- /appeal


@use_case("appeal")
async def appeal_command(turn: Turn) -> None:
    _ = turn._
    message = turn.message
    args = turn.args
    if message is not None and message.caption:
        args = message.caption.split()[1:]
    yearend = store(turn)
    try:
        campaign = await active_campaign(yearend)
        if turn.actor.is_staff:
            await _decide(turn, yearend, campaign.id, args)
            return
        department_id = turn.actor.department_id
        if department_id is None:
            await turn.reply(_("You are not a department's liaison."))
            return
        if not args:
            await _appeal_buttons(turn, yearend, campaign.id, department_id)
            return
        first = args[0].lower()
        target = TARGET_WORDS.get(first, APPEAL_ITEM)
        code = "" if target != APPEAL_ITEM else args[0]
        reason = " ".join(args[1:])
        attachments = []
        if message is not None and message.photo:
            attachments.append(message.photo[-1].file_id)
        if message is not None and message.document is not None:
            attachments.append(message.document.file_id)
        filed = await feedback.file_appeal(
            yearend,
            campaign.id,
            department_id,
            target,
            code,
            reason,
            attachments,
            acting(turn),
        )
    except YearEndRefused as exc:
        await turn.reply(refusal_text(exc, _))
        return
    await announce_appeal(turn, filed)


async def announce_appeal(turn: Turn, filed: feedback.Filed) -> None:
    """ "Recorded" to the liaison after the commit, and the office told privately."""
    _ = turn._
    appeal = filed.appeal
    await turn.reply_after_commit(
        _("Recorded: re-check request no. {id} on {subject}. The office will decide.").format(
            id=appeal.id, subject=appeal.subject
        )
    )
    admins = [Recipient(tg_id, None, "") for tg_id in sorted(turn.services.admin_ids)]
    bot, default = turn.context.bot, turn.services.settings.default_locale

    def render(their: Translate) -> str:
        return their(TOLD_APPEAL).format(
            department=html.escape(filed.department),
            subject=html.escape(appeal.subject),
            reason=html.escape(appeal.reason),
        )

    async def tell() -> None:
        await tell_privately(bot, admins, render, default_locale=default)

    await turn.after_commit(tell)


async def _appeal_buttons(
    turn: Turn, yearend: SqlYearEnd, campaign_id: int, department_id: int
) -> None:
    _ = turn._
    own = await feedback.own_outcome(yearend, campaign_id, department_id)
    outcome, given = own.outcome, own.given
    if given is None:
        await turn.reply(refusal_text(YearEndRefused("no_feedback"), _))
        return
    rows = [
        [
            InlineKeyboardButton(
                f"{item.code} {show(item.score or item.points)}/{show(item.points)}",
                callback_data=f"{APPEAL_BUTTON}item:{item.code}"[:64],
            )
        ]
        for item in outcome.items
    ]
    rows.append(
        [
            InlineKeyboardButton(_("Bonus"), callback_data=f"{APPEAL_BUTTON}bonus"),
            InlineKeyboardButton(_("Penalty"), callback_data=f"{APPEAL_BUTTON}penalty"),
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(_("Veto"), callback_data=f"{APPEAL_BUTTON}veto"),
            InlineKeyboardButton(_("Grade"), callback_data=f"{APPEAL_BUTTON}grade"),
        ]
    )
    await turn.reply(
        _("What do you ask to be re-checked (by {date})?").format(
            date=day_text(given.recheck_deadline, _)
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def _decide(turn: Turn, yearend: SqlYearEnd, campaign_id: int, args: list[str]) -> None:
    _ = turn._
    if not args:
        still_open = await feedback.open_appeals(yearend, campaign_id)
        if not still_open:
            await turn.reply(_("No appeal is open."))
            return
        lines = [_("Open appeals:")] + [
            f"{a.id}. {html.escape(a.subject)} — {html.escape(a.reason)}" for a in still_open
        ]
        lines.append(
            _("Decide: /appeal ID upheld REASON, /appeal ID SCORE REASON, /appeal ID lift REASON")
        )
        await turn.reply("\n".join(lines), parse_mode="HTML")
        return
    usage = _("Usage: /appeal ID upheld|SCORE|lift REASON")
    if len(args) < 3 or not args[0].isdigit() or len(args[0]) > 9:
        await turn.reply(usage)
        return
    appeal_id, verdict, reason = int(args[0]), args[1].lower(), " ".join(args[2:])
    new_value = None
    change = verdict not in UPHOLD_WORDS
    if change and verdict not in LIFT_WORDS:
        try:
            new_value = parse_amount(args[1])
        except BadAmount:
            await turn.reply(usage)
            return
    decided = await feedback.decide_appeal(
        yearend,
        campaign_id,
        appeal_id,
        change=change,
        new_value=new_value,
        reason=reason,
        acting=acting(turn),
    )
    bot, default = turn.context.bot, turn.services.settings.default_locale

    def render(their: Translate) -> str:
        decision = (
            their(CHANGED_FROM).format(before=decided.before or "—", after=decided.after or "—")
            if change
            else their(UPHELD)
        )
        return their(DECIDED).format(
            subject=html.escape(decided.appeal.subject),
            decision=decision,
            reason=html.escape(reason),
        )

    async def tell() -> None:
        await tell_privately(bot, decided.liaisons, render, default_locale=default)

    await turn.reply_after_commit(
        _("Recorded: appeal no. {id} of {department} {decision}.").format(
            id=appeal_id,
            department=decided.department,
            decision=_("changed") if change else _(UPHELD),
        )
    )
    await turn.after_commit(tell)


# ---------------------------------------------------------------- /approve, /finalize


@use_case("approve")
async def approve_command(turn: Turn) -> None:
    """/approve BODY YYYY-MM-DD NUMBER."""
    _ = turn._
    args = turn.args
    try:
        if len(args) < 3:
            raise YearEndRefused("approval_incomplete")
        try:
            approved_on = parse_date(args[1])
        except BadDate as exc:
            await turn.reply(exc.reply(_))
            return
        yearend = store(turn)
        campaign = await active_campaign(yearend)
        row = await approval.approve(
            yearend,
            campaign.id,
            body=args[0],
            approved_on=approved_on,
            number=" ".join(args[2:]),
            acting=acting(turn),
        )
    except YearEndRefused as exc:
        await turn.reply(refusal_text(exc, _))
        return
    await turn.reply_after_commit(
        _("Recorded: approved by {body} on {date}, {number}. /finalize locks the scores.").format(
            body=row.approval_body, date=day_text(approved_on, _), number=row.approval_number
        )
    )


@use_case("finalize")
async def finalize_command(turn: Turn) -> None:
    """/finalize, or /finalize reopen REASON."""
    _ = turn._
    args = turn.args
    try:
        yearend = store(turn)
        campaign = await active_campaign(yearend)
        if args and args[0].lower() in ("reopen", "重开"):
            await approval.reopen(yearend, campaign.id, " ".join(args[1:]), acting(turn))
            await turn.reply_after_commit(
                _("Reopened: the approval and the lock are lifted (logged).")
            )
            return
        await approval.finalize(yearend, campaign.id, acting(turn))
    except YearEndRefused as exc:
        await turn.reply(refusal_text(exc, _))
        return
    await turn.reply_after_commit(
        _("Final: every score is locked. python -m bot assess report PATH.docx writes the notice.")
    )


# ---------------------------------------------------------------- /sitecheck


@use_case("sitecheck")
async def sitecheck_command(turn: Turn) -> None:
    """/sitecheck DEPT [YYYY-MM-DD who went | findings] or /sitecheck cite ID CODE."""
    _ = turn._
    message = turn.message
    text = (message.caption if message is not None and message.caption else None) or (
        message.text if message is not None and message.text else ""
    )
    words = text.split(maxsplit=1)
    rest = words[1].strip() if len(words) > 1 else ""
    usage = refusal_text(YearEndRefused("sitecheck_incomplete"), _)
    if not rest:
        await turn.reply(usage)
        return
    try:
        yearend = store(turn)
        campaign = await active_campaign(yearend)
        parts = rest.split()
        if parts[0].lower() == "cite":
            if len(parts) != 3 or not parts[1].lstrip("Ss").isdigit() or len(parts[1]) > 9:
                await turn.reply(_("Usage: /sitecheck cite ID CODE"))
                return
            department, code = await sitecheck.cite(
                yearend, campaign.id, int(parts[1].lstrip("Ss")), parts[2], acting(turn)
            )
            await turn.reply_after_commit(
                _("Recorded: the deduction on {department} {code} cites site check {id}.").format(
                    department=department, code=code, id=parts[1].upper()
                )
            )
            return
        choice = await find_department(turn.session, parts[0])
        if choice.found is None:
            await turn.reply(_("No department matches “{query}”.").format(query=parts[0][:40]))
            return
        if len(parts) == 1:
            checks = await sitecheck.site_checks(yearend, campaign.id, choice.found.id)
            lines = [
                f"S{c.id} {day_text(c.checked_on, _)} {html.escape(c.team)}: "
                f"{html.escape(c.findings)}"
                + (" " + _("({count} photos)").format(count=c.photos) if c.photos else "")
                for c in checks
            ] or [_("No site check of {department} yet.").format(department=choice.found.name)]
            await turn.reply("\n".join(lines), parse_mode="HTML")
            return
        try:
            checked_on = parse_date(parts[1])
        except BadDate as exc:
            await turn.reply(exc.reply(_))
            return
        body = rest.split(maxsplit=2)[2] if len(parts) > 2 else ""
        team, _sep, findings = body.partition("|")
        photos = [message.photo[-1].file_id] if message is not None and message.photo else []
        check = await sitecheck.record_site_check(
            yearend,
            campaign.id,
            choice.found.id,
            checked_on=checked_on,
            team=team,
            findings=findings,
            photos=photos,
            acting=acting(turn),
        )
    except YearEndRefused as exc:
        await turn.reply(refusal_text(exc, _))
        return
    await turn.reply_after_commit(
        _(
            "Recorded: site check S{id} of {department} on {date}. A deduction cites it with "
            "/sitecheck cite S{id} CODE."
        ).format(id=check.id, department=choice.found.name, date=day_text(checked_on, _))
    )
