"""/bonus, /penalty and /veto (admin, private): department-level points and vetoes, each
with its reason, and their undo.

/bonus DEPT POINTS REASON · /bonus DEPT undo REASON (the latest bonus); /penalty alike.
/veto DEPT CONDITION GROUNDS… CONFIRMED-BY (the last word: the body that established it,
认定部门) · /veto DEPT undo CONDITION REASON.
"""

from __future__ import annotations

from core.scoring import acts
from core.scoring.amounts import show
from core.scoring.usecases import ScoringRefused
from core.scoring.views import effect_label
from handlers.base import Turn, use_case
from handlers.scoring.common import actor, amount, refusal_text, store
from storage.models import ADJUST_BONUS, ADJUST_PENALTY


async def _adjust(turn: Turn, kind: str) -> None:
    _ = turn._
    args = [a for a in turn.args if a.strip()]
    port, who = store(turn), actor(turn)
    if len(args) >= 2 and args[1].lower() == "undo":
        try:
            done = await acts.undo_adjustment(
                port, port, who, kind=kind, department=args[0], reason=" ".join(args[2:])
            )
        except ScoringRefused as exc:
            await turn.reply(refusal_text(exc, _, turn))
            return
        text = _("Recorded: {department}'s {amount} withdrawn; now {total} of at most {cap}.")
        await turn.reply_after_commit(
            text.format(
                department=done.department,
                amount=show(done.amount),
                total=show(done.total),
                cap=show(done.cap),
            )
        )
        return
    if len(args) < 3:
        if kind == ADJUST_BONUS:
            await turn.reply(_("Usage: /bonus DEPT POINTS REASON, or /bonus DEPT undo REASON"))
        else:
            await turn.reply(_("Usage: /penalty DEPT POINTS REASON, or /penalty DEPT undo REASON"))
        return
    value = amount(args[1])
    if value is None:
        await turn.reply(
            _("“{text}” is not a number of points. Nothing was changed.").format(text=args[1][:20])
        )
        return
    try:
        done = await acts.add_adjustment(
            port, port, who, kind=kind, department=args[0], amount=value, reason=" ".join(args[2:])
        )
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return
    if kind == ADJUST_BONUS:
        text = _("Recorded: bonus +{amount} for {department}; now {total} of at most {cap}.")
    else:
        text = _("Recorded: penalty −{amount} for {department}; now {total} of at most {cap}.")
    await turn.reply_after_commit(
        text.format(
            department=done.department,
            amount=show(done.amount),
            total=show(done.total),
            cap=show(done.cap),
        )
    )


@use_case("bonus")
async def bonus_command(turn: Turn) -> None:
    await _adjust(turn, ADJUST_BONUS)


@use_case("penalty")
async def penalty_command(turn: Turn) -> None:
    await _adjust(turn, ADJUST_PENALTY)


@use_case("veto")
async def veto_command(turn: Turn) -> None:
    _ = turn._
    args = [a for a in turn.args if a.strip()]
    port, who = store(turn), actor(turn)
    try:
        if len(args) >= 3 and args[1].lower() == "undo":
            done = await acts.undo_veto(
                port, port, who, department=args[0], condition=args[2], reason=" ".join(args[3:])
            )
            text = _("Recorded: veto {code} of {department} withdrawn.")
        elif len(args) >= 4:
            done = await acts.apply_veto(
                port,
                port,
                who,
                department=args[0],
                condition=args[1],
                grounds=" ".join(args[2:-1]),
                confirmed_by=args[-1],
            )
            text = _("Recorded: veto {code} ({effect}) for {department}.")
        else:
            await turn.reply(
                _(
                    "Usage: /veto DEPT CONDITION GROUNDS CONFIRMED-BY, "
                    "or /veto DEPT undo CONDITION REASON"
                )
            )
            return
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return
    await turn.reply_after_commit(
        text.format(code=done.code, department=done.department, effect=effect_label(done.effect, _))
    )
