"""/score (admin, private): item scores with reasons, and /proposals: deductions the
scheme's rules propose from the year's record, each confirmed, changed or rejected by a
person (never applied silently).

/score DEPT CODE POINTS REASON — the quick form (`quick_score`); /score DEPT — the
department's items one by one: `handlers.scoring.conversation`, which is also the entry
point of the quick form.
/proposals [DEPT] — propose and list; buttons `sc:pc:<id>` confirm, `sc:pr:<id>` reject;
/proposals ID POINTS REASON — confirm with a changed amount.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.scoring import acts
from core.scoring.amounts import show
from core.scoring.usecases import ScoringRefused, find_department
from core.scoring.views import deduction_reason
from core.text.split import split_sections
from handlers.base import Turn, use_case
from handlers.oversight.screens import rules_of, today_of
from handlers.scoring.common import actor, amount, refusal_text, store

SCORE_USAGE = "/score DEPT CODE POINTS REASON"


async def quick_score(turn: Turn, args: list[str]) -> None:
    """/score DEPT CODE POINTS REASON."""
    _ = turn._
    department, code, value_text, reason = args[0], args[1], args[2], " ".join(args[3:])
    value = amount(value_text)
    if value is None:
        await turn.reply(
            _("“{text}” is not a number of points. Nothing was changed.").format(
                text=value_text[:20]
            )
        )
        return
    port = store(turn)
    try:
        scored = await acts.score_item(
            port, port, actor(turn), department=department, code=code, score=value, reason=reason
        )
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return
    text = _("Recorded: {department} {code} {score} of {points}.").format(
        department=scored.department,
        code=scored.code,
        score=show(scored.score),
        points=show(scored.points),
    )
    if scored.before is not None:
        text += " " + _("(was {before})").format(before=show(scored.before))
    await turn.reply_after_commit(text)


@use_case("proposals")
async def proposals_command(turn: Turn) -> None:
    _ = turn._
    args = [a for a in turn.args if a.strip()]
    port, who = store(turn), actor(turn)
    if args and args[0].isdigit():
        if len(args) < 3 or amount(args[1]) is None:
            await turn.reply(_("Usage: /proposals ID POINTS REASON"))
            return
        try:
            decided = await acts.decide_proposal(
                port,
                port,
                who,
                deduction_id=int(args[0][:9]),
                accept=True,
                amount=amount(args[1]),
                reason=" ".join(args[2:]),
            )
        except ScoringRefused as exc:
            await turn.reply(refusal_text(exc, _, turn))
            return
        await turn.reply_after_commit(
            _("Recorded: {department} {code} −{amount} confirmed.").format(
                department=decided.department, code=decided.code, amount=show(decided.amount)
            )
        )
        return
    try:
        department_id = None
        if args:
            book = await acts.confirmed_book(port, port, who)
            department_id = find_department(book, " ".join(args)).id
        proposals = await acts.propose_deductions(
            port, port, who, today=today_of(turn), rules=rules_of(turn), department_id=department_id
        )
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return
    if not proposals:
        await turn.reply(_("No deductions to propose from the year's record."))
        return
    sections = [
        _("Proposed deductions (none counts until confirmed):"),
        *(
            f"#{p.deduction_id} {p.department} {p.code} −{show(p.amount)} "
            f"{deduction_reason(p.reason, _)}"
            for p in proposals
        ),
        _("Change one: /proposals ID POINTS REASON"),
    ]
    buttons = [
        [
            InlineKeyboardButton(
                f"✅ #{p.deduction_id} {p.code}", callback_data=f"sc:pc:{p.deduction_id}"
            ),
            InlineKeyboardButton(_("✖ reject"), callback_data=f"sc:pr:{p.deduction_id}"),
        ]
        for p in proposals[:40]
    ]
    chunks = split_sections(sections, separator="\n")
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await turn.reply(
            chunk.text, reply_markup=InlineKeyboardMarkup(buttons) if last and buttons else None
        )


@use_case("proposals")
async def proposal_button(turn: Turn) -> None:
    """sc:pc:<id> confirm, sc:pr:<id> reject."""
    _ = turn._
    query = turn.query
    if query is None:
        return
    await query.answer()
    deduction_id = turn.callback_int(-1)
    if deduction_id is None:
        return
    accept = turn.callback_data.startswith("sc:pc:")
    port = store(turn)
    try:
        decided = await acts.decide_proposal(
            port, port, actor(turn), deduction_id=deduction_id, accept=accept
        )
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return
    if accept:
        text = _("Recorded: {department} {code} −{amount} confirmed.")
    else:
        text = _("Recorded: {department} {code} −{amount} rejected.")
    await turn.reply_after_commit(
        text.format(department=decided.department, code=decided.code, amount=show(decided.amount))
    )
