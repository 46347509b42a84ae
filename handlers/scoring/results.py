"""/results (leader, admin; private): totals, grades and ranks by class; each
department's button (`sc:r:<department id>`) opens its deductions with their reasons."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.scoring.engine import in_rank_order
from core.scoring.results import results_of
from core.scoring.views import department_detail, results_header, results_sections
from core.text.split import split_sections
from handlers.base import Turn, use_case
from handlers.scoring.common import store


@use_case("results")
async def results_command(turn: Turn) -> None:
    _ = turn._
    port = store(turn)
    campaign = await port.campaign(None)
    if campaign is None:
        await turn.reply(_("There is no active campaign; import a document first."))
        return
    book = await port.book(campaign.id)
    results = results_of(book)
    sections = [results_header(book, results, _), *results_sections(book, results, _)]
    buttons = [
        InlineKeyboardButton(f"{r.rank}. {r.name}"[:60], callback_data=f"sc:r:{r.department_id}")
        for r in in_rank_order(results)
    ][:90]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    chunks = split_sections(sections)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await turn.reply(
            chunk.text, reply_markup=InlineKeyboardMarkup(rows) if last and rows else None
        )


@use_case("results")
async def results_button(turn: Turn) -> None:
    """sc:r:<department id>: the department's deductions, bonus, penalty and vetoes."""
    _ = turn._
    query = turn.query
    if query is None:
        return
    await query.answer()
    department_id = turn.callback_int(-1)
    port = store(turn)
    campaign = await port.campaign(None)
    if campaign is None or department_id is None:
        return
    book = await port.book(campaign.id)
    result = next((r for r in results_of(book) if r.department_id == department_id), None)
    if result is None:
        await turn.reply(_("That department is not in the active campaign."))
        return
    text = department_detail(book, result, _, turn.services.settings.tz)
    for chunk in split_sections(text.split("\n"), separator="\n"):
        await turn.reply(chunk.text)
