"""Supervision commands (issue 22): /extend and its approve / reject buttons, /extdecide
(a decision with a comment), /measures, /milestones and /pace.

Thin: each reads the update, calls a use case of `core.supervision` with plain values
and the store it needs (`SqlSupervision` over the update's unit of work), and turns its
refusal into one line in the user's language. Messages to other people go
through the outbox in the same commit (`turn.reply_after_commit`).
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.people.actors import load_actor
from core.people.sql import SqlPeople
from core.scheduling.workdays import working_day_rule
from core.supervision.extensions import (
    ExtensionAsked,
    ExtensionDecided,
    ExtensionRefused,
    decide_extension,
    request_extension,
)
from core.supervision.milestones import MilestonesRefused, parse_dates, set_milestones
from core.supervision.pace import PaceRefused, set_pace
from core.supervision.rectification import MeasuresRefused, send_measures
from core.supervision.sql import SqlSupervision
from core.text.dates import BadDate, parse_date
from core.text.i18n import Translate, translator
from core.text.matching import normalize_code
from handlers.base import Turn, use_case
from handlers.oversight.screens import button_allowed, callback_id, rules_of, today_of

esc = html.escape
ON = {"on", "yes", "1", "是", "开"}
OFF = {"off", "no", "0", "否", "关"}
# Callback data: ex:a:<id> approve, ex:r:<id> reject, ex:c:<id> approve a date past the
# campaign's year end (the explicit confirmation).
EXTENSION_BUTTONS = r"^ex:[arc]:\d{1,10}$"


def extension_refusal(exc: ExtensionRefused, _: Translate, notice_days: int = 0) -> str:
    texts = {
        "no_reason": _("Please give a reason: /extend CODE YYYY-MM-DD reason"),
        "no_campaign": _("There is no active campaign yet."),
        "no_item": _("Your department has no item {detail}."),
        "not_lead": _(
            "Only the lead unit's liaison may ask to extend {detail}; nothing was changed."
        ),
        "done": _("{detail} is already done; nothing to extend."),
        "no_due": _("{detail} has no due date to extend."),
        "not_later": _("The new date must be after the current due date {detail}."),
        "too_late": _(
            "Too late: an extension must be asked at least {days} working days before the "
            "due date {detail}. The item stays as it is."
        ),
        "pending": _("An extension of {detail} already awaits the office's decision."),
        "limit": _("This item's extensions are used up ({detail} per department)."),
        "no_request": _("There is no such extension request."),
        "already": _("That request was already decided."),
        "confirm": _(
            "{detail} is past the campaign's year end: press “Confirm past year end” to approve it."
        ),
    }
    text = texts.get(exc.reason, _("Nothing was changed."))
    return text.format(detail=exc.detail, days=notice_days)


def request_text(asked: ExtensionAsked, _: Translate) -> str:
    lines = [
        _("Extension asked (延期申请): {department}, {code} {title}").format(
            department=asked.department_name, code=asked.code, title=asked.title[:40]
        ),
        _("Due {original} → asked {requested}").format(
            original=asked.original_due.isoformat() if asked.original_due else "—",
            requested=asked.requested_due.isoformat(),
        ),
        _("Reason: {reason}").format(reason=asked.reason),
    ]
    if asked.past_year_end:
        lines.append(_("The date is past the campaign's year end: approving needs confirmation."))
    lines.append(
        _("With a comment: /extdecide {id} approve|reject COMMENT").format(id=asked.extension_id)
    )
    return esc("\n".join(lines))


def request_buttons(asked: ExtensionAsked, _: Translate) -> InlineKeyboardMarkup:
    approve = (
        InlineKeyboardButton(_("Confirm past year end"), callback_data=f"ex:c:{asked.extension_id}")
        if asked.past_year_end
        else InlineKeyboardButton(_("Approve"), callback_data=f"ex:a:{asked.extension_id}")
    )
    reject = InlineKeyboardButton(_("Reject"), callback_data=f"ex:r:{asked.extension_id}")
    return InlineKeyboardMarkup([[approve, reject]])


@use_case("extend")
async def extend_command(turn: Turn) -> None:
    """/extend CODE YYYY-MM-DD reason (the lead unit's liaison)."""
    _ = turn._
    settings = turn.services.settings
    args = turn.args
    if len(args) < 3 or normalize_code(args[0]) is None or turn.actor.department_id is None:
        await turn.reply(
            _("Usage: /extend CODE YYYY-MM-DD reason, e.g. /extend A5.1 2020-11-30 设备到货延迟")
        )
        return
    try:
        wanted = parse_date(args[1])
    except BadDate as exc:
        await turn.reply(exc.reply(_))
        return
    try:
        asked = await request_extension(
            SqlSupervision(turn.session),
            code=args[0],
            requested_due=wanted,
            reason=" ".join(args[2:]),
            requester_tg_id=turn.actor.tg_id,
            department_id=turn.actor.department_id,
            today=today_of(turn),
            rules=rules_of(turn),
            is_working=working_day_rule(settings.workdays_calendar),
            notice_days=settings.extension_notice_days,
            per_binding=settings.extensions_per_binding,
            now=turn.now,
        )
    except ExtensionRefused as exc:
        await turn.reply(extension_refusal(exc, _, settings.extension_notice_days))
        return
    for admin in await SqlPeople(turn.session).admins(settings.admin_ids):
        their = translator(admin.locale or settings.default_locale)
        await turn.reply_after_commit(
            request_text(asked, their),
            chat_id=admin.tg_id,
            parse_mode="HTML",
            reply_markup=request_buttons(asked, their),
        )
    await turn.reply_after_commit(
        _("Your extension of {code} to {date} was sent to the office for approval.").format(
            code=asked.code, date=asked.requested_due.isoformat()
        )
    )


async def _decide(
    turn: Turn, extension_id: int, approve: bool, comment: str, confirmed: bool
) -> None:
    _ = turn._
    try:
        decided = await decide_extension(
            SqlSupervision(turn.session),
            extension_id=extension_id,
            approve=approve,
            comment=comment,
            admin_tg_id=turn.actor.tg_id,
            now=turn.now,
            confirmed=confirmed,
        )
    except ExtensionRefused as exc:
        await turn.reply(extension_refusal(exc, _))
        return
    await tell_requester(turn, decided)
    if decided.approved:
        text = _("Approved: {code} of {department} is now due {date} (was {original}).")
    else:
        text = _("Rejected: {code} of {department} stays due {original}.")
    await turn.reply_after_commit(
        text.format(
            code=decided.code,
            department=decided.department_name,
            date=decided.requested_due.isoformat(),
            original=decided.original_due.isoformat() if decided.original_due else "—",
        )
    )


async def tell_requester(turn: Turn, decided: ExtensionDecided) -> None:
    """The liaison who asked learns the decision (through the outbox, after the commit)."""
    settings = turn.services.settings
    actor = await load_actor(
        turn.session,
        decided.requester_tg_id,
        admin_ids=settings.admin_ids,
        default_locale=settings.default_locale,
    )
    _ = translator(actor.locale)
    if decided.approved:
        text = _("Your extension of {code} was approved: now due {date} (was {original}).")
    else:
        text = _("Your extension of {code} to {date} was not approved; it stays due {original}.")
    text = text.format(
        code=decided.code,
        date=decided.requested_due.isoformat(),
        original=decided.original_due.isoformat() if decided.original_due else "—",
    )
    if decided.comment:
        text += "\n" + _("Comment: {comment}").format(comment=decided.comment)
    await turn.reply_after_commit(text, chat_id=decided.requester_tg_id)


@use_case()
async def extension_button(turn: Turn) -> None:
    """✅ Approve / ❌ Reject / Confirm past year end on a request."""
    if not await button_allowed(turn, "extdecide"):
        return
    query = turn.query
    if query is None:
        return
    await query.answer()
    action = turn.callback_data.split(":")[1]
    await _decide(turn, callback_id(turn), action in ("a", "c"), "", confirmed=action == "c")
    await turn.after_commit(lambda: query.edit_message_reply_markup(None))


@use_case("extdecide")
async def extdecide_command(turn: Turn) -> None:
    """/extdecide ID approve|reject [comment] [confirm]."""
    _ = turn._
    args = turn.args
    if (
        len(args) < 2
        or not args[0].isdigit()
        or args[1].lower() not in ("approve", "reject", "批准", "驳回")
    ):
        await turn.reply(_("Usage: /extdecide ID approve|reject [comment]"))
        return
    approve = args[1].lower() in ("approve", "批准")
    rest = args[2:]
    confirmed = bool(rest) and rest[-1].lower() in ("confirm", "确认")
    if confirmed:
        rest = rest[:-1]
    await _decide(turn, int(args[0]), approve, " ".join(rest), confirmed)


@use_case("measures")
async def measures_command(turn: Turn) -> None:
    """/measures CODE text: the department's rectification measures (整改措施)."""
    _ = turn._
    args = turn.args
    if len(args) < 2 or normalize_code(args[0]) is None or turn.actor.department_id is None:
        await turn.reply(
            _("Usage: /measures CODE text, e.g. /measures A5.1 已补充现场照片并整改到位")
        )
        return
    try:
        sent = await send_measures(
            SqlSupervision(turn.session),
            code=args[0],
            text=" ".join(args[1:]),
            department_id=turn.actor.department_id,
            actor_tg_id=turn.actor.tg_id,
            now=turn.now,
        )
    except MeasuresRefused as exc:
        texts = {
            "no_item": _("Your department has no item {detail}."),
            "no_rectification": _("{detail} has no open rectification."),
            "no_campaign": _("There is no active campaign yet."),
        }
        await turn.reply(texts.get(exc.reason, _("Nothing was changed.")).format(detail=exc.detail))
        return
    await turn.reply_after_commit(
        _("Measures for {code} recorded; rectification due {date}.").format(
            code=sent.code, date=sent.rectification_due.isoformat()
        )
    )


@use_case("milestones")
async def milestones_command(turn: Turn) -> None:
    """/milestones CODE DATE... (or `clear`): an item's dated steps."""
    _ = turn._
    args = turn.args
    if len(args) < 2 or normalize_code(args[0]) is None:
        await turn.reply(
            _(
                "Usage: /milestones CODE YYYY-MM-DD ... or /milestones CODE clear, e.g. "
                "/milestones A5.1 2020-06-30 2020-09-30"
            )
        )
        return
    try:
        steps = () if args[1].lower() in ("clear", "清除") else parse_dates(args[1:])
        changed = await set_milestones(
            SqlSupervision(turn.session),
            code=args[0],
            steps=steps,
            actor_tg_id=turn.actor.tg_id,
            now=turn.now,
        )
    except MilestonesRefused as exc:
        texts = {
            "bad_date": _("“{detail}” is not a date; write it as 2020-06-30."),
            "no_item": _("There is no item {detail}."),
            "after_deadline": _("A milestone must be before the item's deadline {detail}."),
            "no_campaign": _("There is no active campaign yet."),
        }
        await turn.reply(texts.get(exc.reason, _("Nothing was changed.")).format(detail=exc.detail))
        return
    await turn.reply(
        _("Milestones of {code}: {new} (were {old}).").format(
            code=changed.code,
            new=", ".join(changed.new) or _("none"),
            old=", ".join(changed.old) or _("none"),
        )
    )


@use_case("pace")
async def pace_command(turn: Turn) -> None:
    """/pace CODE on|off: whether an item's first target is paced along the year."""
    _ = turn._
    args = turn.args
    choice = args[1].lower() if len(args) == 2 else ""
    if not args or normalize_code(args[0]) is None or choice not in ON | OFF:
        await turn.reply(_("Usage: /pace CODE on|off, e.g. /pace G1 on"))
        return
    try:
        changed = await set_pace(
            SqlSupervision(turn.session),
            code=args[0],
            paced=choice in ON,
            actor_tg_id=turn.actor.tg_id,
            now=turn.now,
        )
    except PaceRefused as exc:
        texts = {
            "no_item": _("There is no item {detail}."),
            "no_target": _("{detail} has no numeric target to pace."),
            "no_campaign": _("There is no active campaign yet."),
        }
        await turn.reply(texts.get(exc.reason, _("Nothing was changed.")).format(detail=exc.detail))
        return
    if changed.target is None:
        await turn.reply(_("{code} is no longer paced.").format(code=changed.code))
    else:
        await turn.reply(
            _("{code} is paced: a straight line to {target} {unit} by its due date.").format(
                code=changed.code, target=f"{changed.target.normalize():f}", unit=changed.unit
            )
        )
