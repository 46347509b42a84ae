"""/score DEPT: the department's items one by one (a persistent conversation).

Each item is shown with its year beside the entry (accepted or not and when, past due,
urges, returns, the latest value against its target), the department's self-score and
statement once its self-assessment was submitted (`core.yearend.review`), and buttons:
✅ full points (`sc:f`), ⏭ next (`sc:n`) and 📎 its evidence (`ev:<binding>`, the
evidence screen's own button). The admin types the score and, below the points, the
reason in one message (`8 资料报送不全`); a refusal leaves the item open and changes
nothing. /cancel stops; scores recorded so far stay. The quick form
`/score DEPT CODE POINTS REASON` enters here too and ends at once. Registered in group
-1 and stopping further handling of what it takes, as the review return is, so group 0's
stray-text handler never answers a score.
"""

from __future__ import annotations

import datetime as dt
import warnings
from enum import IntEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from core.scoring import acts
from core.scoring.amounts import show
from core.scoring.ports import ScoreBook, ScoreLine
from core.scoring.usecases import ScoringRefused, find_department
from core.scoring.views import year_text
from core.text.i18n import Translate
from core.yearend.review import self_entry_text, self_review
from core.yearend.sql import SqlYearEnd
from handlers.base import Turn, use_case
from handlers.conversation import draft_key, expire_if_due, on_timeout, stopping
from handlers.oversight.screens import button_allowed, rules_of, today_of
from handlers.scoring.common import actor, amount, refusal_text, store
from handlers.scoring.score import SCORE_USAGE, quick_score
from storage import drafts

NAME = drafts.SCORE
END = ConversationHandler.END


class Step(IntEnum):
    TYPING_SCORE = 0


def kept(_: Translate) -> str:
    return _("Scoring stopped; the scores recorded so far are kept.")


def _scorable(book: ScoreBook, department_id: int) -> list[ScoreLine]:
    return [
        line
        for line in book.lines_of(department_id)
        if line.points is not None and line.role != "supporting"
    ]


async def _show(turn: Turn, book: ScoreBook, line: ScoreLine, position: int, count: int) -> None:
    _ = turn._
    records = await store(turn).year_records(book.campaign.id, today_of(turn), rules_of(turn))
    review = await self_review(SqlYearEnd(turn.session), book.campaign.id, line.department_id)
    self_line = self_entry_text(review, line.binding_id, line.points, _)
    current = acts.current_score(line)
    points = show(line.points) if line.points is not None else "—"
    lines = [
        _("Item {position} of {count}").format(position=position + 1, count=count),
        year_text(line, records.get(line.binding_id), _, turn.services.settings.tz),
        *([self_line] if self_line else []),
        _("Points {points}; now: {current}").format(
            points=points, current=_("not scored") if current is None else show(current)
        ),
        _("Type the score and, below the points, the reason in one message, e.g. {example}").format(
            example="8 资料报送不全"
        ),
    ]
    buttons = [
        [
            InlineKeyboardButton(_("✅ full {points}").format(points=points), callback_data="sc:f"),
            InlineKeyboardButton(_("⏭ next"), callback_data="sc:n"),
            InlineKeyboardButton(_("📎 evidence"), callback_data=f"ev:{line.binding_id}"),
        ]
    ]
    await turn.reply("\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))


async def _step(turn: Turn, department_id: int, position: int) -> int:
    """Show the item at `position` (the draft remembers it), or end after the last."""
    _ = turn._
    key = draft_key(turn, NAME)
    port = store(turn)
    book = await acts.confirmed_book(port, port, actor(turn))
    lines = _scorable(book, department_id)
    department = book.department(department_id)
    if key is None or department is None or position >= len(lines):
        if key is not None:
            await drafts.drop(turn.session, key)
        remaining = sum(1 for line in lines if not line.scored)
        await turn.reply(
            _("That was the last item of {department}; {count} remain unscored.").format(
                department=department.name if department else "", count=remaining
            )
        )
        return END
    await drafts.save(
        turn.session,
        key,
        int(Step.TYPING_SCORE),
        {"department_id": department_id, "position": position},
        turn.now,
    )
    await _show(turn, book, lines[position], position, len(lines))
    return Step.TYPING_SCORE


@use_case("score")
async def score_entry(turn: Turn) -> int:
    """/score DEPT starts; /score DEPT CODE POINTS REASON scores at once."""
    _ = turn._
    args = [a for a in turn.args if a.strip()]
    key = draft_key(turn, NAME)
    if key is not None:
        await drafts.drop(turn.session, key)
    if len(args) >= 3:
        await quick_score(turn, args)
        return END
    if len(args) != 1:
        await turn.reply(_("Usage: /score DEPT, or {usage}").format(usage=SCORE_USAGE))
        return END
    port = store(turn)
    try:
        book = await acts.confirmed_book(port, port, actor(turn))
        department = find_department(book, args[0])
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return END
    lines = _scorable(book, department.id)
    first = next((i for i, line in enumerate(lines) if not line.scored), len(lines))
    if first == len(lines) and lines:
        first = 0  # everything is scored: go through them again from the start
    return await _step(turn, department.id, first)


async def _draft(turn: Turn) -> tuple[int, int] | None:
    key = draft_key(turn, NAME)
    draft = await drafts.load(turn.session, key) if key is not None else None
    if draft is None:
        await turn.reply(turn._("That scoring is no longer open; send /score DEPT again."))
        return None
    if await expire_if_due(turn, draft, kept):
        return None
    data = draft.data or {}
    return int(data.get("department_id", 0)), int(data.get("position", 0))


async def _record(turn: Turn, department_id: int, position: int, text: str) -> int:
    _ = turn._
    port = store(turn)
    book = await acts.confirmed_book(port, port, actor(turn))
    lines = _scorable(book, department_id)
    department = book.department(department_id)
    if department is None or position >= len(lines):
        return await _step(turn, department_id, position)
    line = lines[position]
    words = text.split(maxsplit=1)
    value = amount(words[0]) if words else None
    if value is None:
        await turn.reply(
            _("“{text}” is not a number of points. Nothing was changed.").format(text=text[:20])
        )
        return Step.TYPING_SCORE
    try:
        scored = await acts.score_item(
            port,
            port,
            actor(turn),
            department=department,
            code=line.code,
            score=value,
            reason=words[1] if len(words) > 1 else "",
        )
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, _, turn))
        return Step.TYPING_SCORE
    await turn.reply_after_commit(
        _("Recorded: {department} {code} {score} of {points}.").format(
            department=scored.department,
            code=scored.code,
            score=show(scored.score),
            points=show(scored.points),
        )
    )
    return await _step(turn, department_id, position + 1)


@use_case("score")
async def score_typed(turn: Turn) -> int:
    found = await _draft(turn)
    if found is None:
        return END
    text = turn.message.text if turn.message and turn.message.text else ""
    try:
        return await _record(turn, found[0], found[1], text.strip())
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, turn._, turn))
        return END


@use_case()
async def score_button(turn: Turn) -> int | None:
    """sc:f full points, sc:n the next item."""
    if not await button_allowed(turn, "score"):
        return None
    query = turn.query
    if query is None:
        return None
    await query.answer()
    found = await _draft(turn)
    if found is None:
        return END
    department_id, position = found
    try:
        if turn.callback_data == "sc:f":
            port = store(turn)
            book = await acts.confirmed_book(port, port, actor(turn))
            lines = _scorable(book, department_id)
            points = lines[position].points if position < len(lines) else None
            if points is not None:
                return await _record(turn, department_id, position, show(points))
        return await _step(turn, department_id, position + 1)
    except ScoringRefused as exc:
        await turn.reply(refusal_text(exc, turn._, turn))
        return END


@use_case()
async def cancel_scoring(turn: Turn) -> int:
    key = draft_key(turn, NAME)
    if key is not None:
        await drafts.drop(turn.session, key)
    await turn.reply(kept(turn._))
    return END


timed_out = on_timeout(NAME, kept)


def score_conversation(timeout_minutes: float) -> ConversationHandler[Any]:
    """/score; register it in group -1 (see the module docstring)."""
    private = filters.ChatType.PRIVATE
    text = private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("score", stopping(score_entry))],
            states={
                Step.TYPING_SCORE: [
                    MessageHandler(text, stopping(score_typed)),
                    CallbackQueryHandler(stopping(score_button), pattern=r"^sc:[fn]$"),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
            },
            fallbacks=[CommandHandler("cancel", stopping(cancel_scoring), filters=private)],
            name=NAME,
            persistent=True,
            per_chat=True,
            per_user=True,
            allow_reentry=True,
            conversation_timeout=dt.timedelta(minutes=timeout_minutes),
        )
