"""/assess open [YYYY-MM-DD] | close | show DEPT | return DEPT comment | status (admin) and
/selfassess (liaison): the self-assessment window and a department's self-scores.

`/selfassess` shows the department's items with points, the statement pre-filled from
the latest accepted report and the evidence already filed, and what it proposed;
`/selfassess CODE SCORE [statement]` proposes one item's score (a statement is required
only for an item never accepted); a document with the caption `/selfassess` is the
optional self-check report; the summary's "Submit" button (`ya:sub`) locks it.
"""

from __future__ import annotations

import datetime as dt
import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.people.invites import find_department
from core.scoring.amounts import BadAmount, parse_amount, show
from core.text.dates import BadDate, parse_date
from core.text.i18n import N_, Translate
from core.text.split import split_sections
from core.yearend import selfassess
from core.yearend.selfassess import SelfForm
from core.yearend.sql import SqlYearEnd
from core.yearend.state import YearEndRefused, active_campaign
from handlers.base import Turn, use_case
from handlers.notify import tell_privately
from handlers.yearend.common import acting, day_text, refusal_text, store
from storage.models import SELF_RETURNED, SELF_SUBMITTED

DEFAULT_WINDOW_DAYS = 10
SUBMIT = "ya:sub"
OPENED = N_(
    "The self-assessment (自评) is open until {date}: /selfassess shows your "
    "department's items, pre-filled from what you reported."
)
RETURNED = N_(
    "The office returned your self-assessment: {comment}. Change it with /selfassess "
    "and submit again."
)


def form_sections(form: SelfForm, _: Translate, *, office: bool = False) -> list[str]:
    state = {
        SELF_SUBMITTED: _("submitted (locked)"),
        SELF_RETURNED: _("returned by the office"),
    }.get(form.state, _("draft"))
    head = _("<b>Self-assessment of {department}</b> · {state}").format(
        department=html.escape(form.department), state=state
    )
    if form.deadline is not None:
        head += "\n" + _("Deadline: {date}").format(date=day_text(form.deadline, _))
    if form.state == SELF_RETURNED and form.return_comment:
        head += "\n" + _("Office's comment: {comment}").format(
            comment=html.escape(form.return_comment)
        )
    if form.report_name:
        head += "\n" + _("Self-check report: {name}").format(name=html.escape(form.report_name))
    sections = [head]
    for item in form.items:
        points = "—" if item.points is None else show(item.points)
        score = "—" if item.score is None else show(item.score)
        line = f"<b>{html.escape(item.code)}</b> {html.escape(item.title)}\n" + _(
            "self-score {score} / {points} · evidence {evidence}"
        ).format(score=score, points=points, evidence=item.evidence)
        if item.shown_statement:
            source = "" if item.statement else _("(from the accepted report) ")
            line += "\n" + source + html.escape(item.shown_statement[:300])
        elif item.needs_statement:
            line += "\n" + _("never accepted: a statement is required")
        sections.append(line)
    total = sum((i.score for i in form.items if i.score is not None), start=parse_amount("0"))
    summary = _("Self-assessed total: {total}; missing: {missing}.").format(
        total=show(total), missing=len(form.missing)
    )
    if not office:
        summary += "\n" + _("Set a score: /selfassess CODE SCORE [statement]")
    sections.append(summary)
    return sections


async def _own_department(turn: Turn, yearend: SqlYearEnd) -> tuple[int, int] | None:
    department_id = turn.actor.department_id
    if department_id is None:
        await turn.reply(turn._("You are not a department's liaison."))
        return None
    campaign = await active_campaign(yearend)
    return campaign.id, department_id


async def _show_form(turn: Turn, form: SelfForm) -> None:
    _ = turn._
    chunks = split_sections(form_sections(form, _))
    for index, chunk in enumerate(chunks):
        markup = None
        if index == len(chunks) - 1 and form.state != SELF_SUBMITTED:
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(_("Submit (locks it)"), callback_data=SUBMIT)]]
            )
        await turn.reply(chunk.text, parse_mode="HTML", reply_markup=markup)


@use_case("selfassess")
async def selfassess_command(turn: Turn) -> None:
    """/selfassess [CODE SCORE [statement]]."""
    _ = turn._
    yearend = store(turn)
    try:
        found = await _own_department(turn, yearend)
        if found is None:
            return
        campaign_id, department_id = found
        args = turn.args
        if not args:
            await _show_form(turn, await selfassess.self_form(yearend, *found))
            return
        if len(args) < 2:
            await turn.reply(_("Usage: /selfassess CODE SCORE [statement]"))
            return
        try:
            score = parse_amount(args[1])
        except BadAmount:
            await turn.reply(
                _("“{text}” is not a number of points. Nothing was changed.").format(
                    text=args[1][:20]
                )
            )
            return
        item = await selfassess.set_self_score(
            yearend,
            campaign_id,
            department_id,
            args[0],
            score,
            " ".join(args[2:]),
            acting(turn),
        )
    except YearEndRefused as exc:
        await turn.reply(refusal_text(exc, _))
        return
    await turn.reply_after_commit(
        _("Recorded: {code} self-score {score} of {points}.").format(
            code=item.code, score=show(score), points=show(item.points or score)
        )
    )


@use_case("selfassess")
async def selfassess_report(turn: Turn) -> None:
    """A document with the caption /selfassess: the department's self-check report."""
    _ = turn._
    message = turn.message
    if message is None or message.document is None:
        return
    yearend = store(turn)
    try:
        found = await _own_department(turn, yearend)
        if found is None:
            return
        await selfassess.attach_self_report(
            yearend,
            *found,
            file_id=message.document.file_id,
            sha256=None,
            name=message.document.file_name or "",
            acting=acting(turn),
        )
    except YearEndRefused as exc:
        await turn.reply(refusal_text(exc, _))
        return
    await turn.reply_after_commit(_("Recorded the self-check report."))


@use_case("selfassess")
async def submit_button(turn: Turn) -> None:
    """ya:sub: submit and lock the department's self-assessment."""
    _ = turn._
    query = turn.query
    if query is not None:
        await query.answer()
    yearend = store(turn)
    try:
        found = await _own_department(turn, yearend)
        if found is None:
            return
        form = await selfassess.submit(yearend, *found, acting(turn))
    except YearEndRefused as exc:
        await turn.reply(refusal_text(exc, _))
        return
    total = sum((i.score for i in form.items if i.score is not None), start=parse_amount("0"))
    await turn.reply_after_commit(
        _("Submitted: the self-assessment of {department} ({total}) is locked.").format(
            department=form.department, total=show(total)
        )
    )


# ---------------------------------------------------------------- /assess (admin)


@use_case("assess")
async def assess_command(turn: Turn) -> None:
    """/assess open [YYYY-MM-DD] | close | return DEPT comment | status."""
    _ = turn._
    args = turn.args
    action = args[0].lower() if args else ""
    yearend = store(turn)
    try:
        campaign = await active_campaign(yearend)
        if action == "open":
            await _open(turn, yearend, campaign.id, args[1:])
        elif action == "close":
            await selfassess.close_window(yearend, campaign.id, acting(turn))
            await turn.reply_after_commit(_("The self-assessment window is closed."))
        elif action == "return" and len(args) >= 3:
            await _return(turn, yearend, campaign.id, args[1], " ".join(args[2:]))
        elif action == "show" and len(args) >= 2:
            await _show_department(turn, yearend, campaign.id, " ".join(args[1:]))
        elif action == "status":
            pending = await selfassess.not_submitted(yearend, campaign.id)
            names = "、".join(p.department for p in pending) or _("none")
            await turn.reply(
                _("Not submitted yet ({count}): {names}").format(count=len(pending), names=names)
            )
        else:
            await turn.reply(
                _(
                    "Usage: /assess open [YYYY-MM-DD] | /assess close | /assess show DEPT | "
                    "/assess return DEPT comment | /assess status"
                )
            )
    except YearEndRefused as exc:
        await turn.reply(refusal_text(exc, _))


async def _open(turn: Turn, yearend: SqlYearEnd, campaign_id: int, args: list[str]) -> None:
    _ = turn._
    today = turn.now.astimezone(turn.services.settings.tz).date()
    if args:
        try:
            deadline = parse_date(args[0])
        except BadDate as exc:
            await turn.reply(exc.reply(_))
            return
    else:
        deadline = today + dt.timedelta(days=DEFAULT_WINDOW_DAYS)
    told = await selfassess.open_window(yearend, campaign_id, deadline, acting(turn))

    def render(their: Translate) -> str:
        return their(OPENED).format(date=day_text(deadline, their))

    bot, locale = turn.context.bot, turn.services.settings.default_locale

    async def tell() -> None:
        await tell_privately(bot, [r for _name, r in told], render, default_locale=locale)

    await turn.reply_after_commit(
        _("The self-assessment is open until {date}; {count} liaison(s) are told.").format(
            date=day_text(deadline, _), count=len(told)
        )
    )
    await turn.after_commit(tell)


async def _show_department(turn: Turn, yearend: SqlYearEnd, campaign_id: int, query: str) -> None:
    """The office reviews a department's self-scores and statements (beside /score)."""
    _ = turn._
    choice = await find_department(turn.session, query)
    if choice.found is None:
        await turn.reply(_("No department matches “{query}”.").format(query=query[:40]))
        return
    form = await selfassess.self_form(yearend, campaign_id, choice.found.id)
    for chunk in split_sections(form_sections(form, _, office=True)):
        await turn.reply(chunk.text, parse_mode="HTML")


async def _return(
    turn: Turn, yearend: SqlYearEnd, campaign_id: int, query: str, comment: str
) -> None:
    _ = turn._
    choice = await find_department(turn.session, query)
    if choice.found is None:
        await turn.reply(_("No department matches “{query}”.").format(query=query[:40]))
        return
    department = choice.found
    liaisons = await selfassess.return_self(
        yearend, campaign_id, department.id, comment, acting(turn)
    )

    def render(their: Translate) -> str:
        return their(RETURNED).format(comment=html.escape(comment))

    bot, locale = turn.context.bot, turn.services.settings.default_locale

    async def tell() -> None:
        await tell_privately(bot, liaisons, render, default_locale=locale)

    await turn.reply_after_commit(
        _("Returned the self-assessment of {department}.").format(department=department.name)
    )
    await turn.after_commit(tell)
