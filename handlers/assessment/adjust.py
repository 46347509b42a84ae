"""Admin adjustments of the active campaign (private chat): /adddept NAME [B],
/bind DEPT CODE, /unbind DEPT CODE, /deadline CODE YYYY-MM-DD.

The department is matched forgivingly; several matches get one button each.
Callback data: `adj:b:<department id>:<code>` (bind), `adj:u:<department id>:<code>`
(unbind). Each is a use case of `core.assessment.adjust`, given `SqlAssessment` over the
update's unit of work, which commits once; the reply comes after.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.assessment import adjust
from core.assessment.adjust import AdjustRefused
from core.assessment.sql import SqlAssessment
from core.people.invites import find_department
from core.text.dates import BadDate, parse_date
from core.text.i18n import Translate
from core.text.matching import normalize_code
from handlers.base import Turn, use_case


def refusal_text(exc: AdjustRefused, _: Translate, *, code: str = "") -> str:
    department = exc.department
    if exc.reason == "no_campaign":
        return _("There is no active campaign; import a document first.")
    if exc.reason == "bad_name":
        return _(
            "“{name}” cannot be a department name (2 to 60 characters). Nothing was added."
        ).format(name=exc.detail)
    if exc.reason == "duplicate":
        return _("The campaign already has the department {name}. Nothing was added.").format(
            name=exc.detail
        )
    if exc.reason == "no_item":
        return _("There is no item {code} in the active campaign. Nothing was changed.").format(
            code=exc.detail or code
        )
    if exc.reason == "already_bound":
        return _("{department} is already bound to {code}.").format(
            department=department, code=exc.detail
        )
    if exc.reason == "not_bound":
        return _("{department} is not bound to {code}. Nothing was changed.").format(
            department=department, code=exc.detail
        )
    if exc.reason == "has_reports":
        return _(
            "{department} has {count} report(s) on {code}. Reports are never deleted, so the "
            "binding stays."
        ).format(department=department, code=code, count=exc.detail)
    if exc.reason == "has_score":
        return _("{department} is already scored on {code}, so the binding stays.").format(
            department=department, code=exc.detail
        )
    return _("That department is not in the active campaign. Nothing was changed.")


# ---------------------------------------------------------------- /adddept


@use_case("adddept")
async def adddept_command(turn: Turn) -> None:
    """/adddept NAME [B]: a class A department (B with the flag) in the active campaign."""
    _ = turn._
    name, dept_class = adjust.parse_department_args(turn.args)
    if not name:
        await turn.reply(
            _("Usage: /adddept NAME [B] (class A by default; B for a B-class department).")
        )
        return
    try:
        added = await adjust.add_department(
            SqlAssessment(turn.session),
            name=name,
            dept_class=dept_class,
            actor_tg_id=turn.actor.tg_id,
            now=turn.now,
        )
    except AdjustRefused as exc:
        await turn.reply(refusal_text(exc, _))
        return
    text = _("Added {name} (class {dept_class}), bound to {count} items.").format(
        name=added.name, dept_class=added.dept_class, count=added.bindings
    )
    if added.moved.moved:
        text += "\n" + _(
            "Liaisons of {name} in an earlier campaign now belong to it: {count}."
        ).format(name=added.name, count=added.moved.moved)
    text += "\n" + _("Make an invite for its liaison with /invite {name}.").format(name=added.name)
    await turn.reply(text)


# ---------------------------------------------------------------- /bind, /unbind


async def _change(turn: Turn, action: str, department_id: int, code: str) -> None:
    _ = turn._
    change = adjust.bind if action == "b" else adjust.unbind
    try:
        done = await change(
            SqlAssessment(turn.session),
            department_id=department_id,
            code=code,
            actor_tg_id=turn.actor.tg_id,
            now=turn.now,
        )
    except AdjustRefused as exc:
        await turn.reply(refusal_text(exc, _, code=code))
        return
    if action == "b":
        text = _("Bound {code} to {department}.")
    else:
        text = _("Removed {code} from {department}.")
    await turn.reply(text.format(code=done.code, department=done.department))


async def _bind_or_unbind(turn: Turn, action: str) -> None:
    _ = turn._
    parsed = adjust.split_department_and_code(turn.args)
    if parsed is None:
        if action == "b":
            await turn.reply(_("Usage: /bind DEPT CODE, e.g. /bind 农业 G3"))
        else:
            await turn.reply(_("Usage: /unbind DEPT CODE, e.g. /unbind 农业 G3"))
        return
    query, code_text = parsed
    code = normalize_code(code_text) or code_text
    choice = await find_department(turn.session, query)
    if choice.found is not None:
        await _change(turn, action, choice.found.id, code)
        return
    if not choice.candidates:
        await turn.reply(_("No department matches “{query}”.").format(query=query[:40]))
        return
    buttons = [
        [InlineKeyboardButton(d.name, callback_data=f"adj:{action}:{d.id}:{code}")]
        for d in choice.candidates[:20]
    ]
    await turn.reply(
        _("Several departments match “{query}”. Which one?").format(query=query[:40]),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


@use_case("bind")
async def bind_command(turn: Turn) -> None:
    """/bind DEPT CODE."""
    await _bind_or_unbind(turn, "b")


@use_case("unbind")
async def unbind_command(turn: Turn) -> None:
    """/unbind DEPT CODE."""
    await _bind_or_unbind(turn, "u")


@use_case("bind")
async def bind_button(turn: Turn) -> None:
    """adj:b:<department id>:<code>: the department chosen among several matches."""
    await _button(turn)


@use_case("unbind")
async def unbind_button(turn: Turn) -> None:
    """adj:u:<department id>:<code>."""
    await _button(turn)


async def _button(turn: Turn) -> None:
    query = turn.query
    if query is None:
        return
    await query.answer()
    parts = turn.callback_data.split(":", 3)
    department_id = turn.callback_int(2)
    if len(parts) != 4 or department_id is None:  # the button patterns allow nothing else
        return
    await _change(turn, parts[1], department_id, parts[3])


# ---------------------------------------------------------------- /deadline


@use_case("deadline")
async def deadline_command(turn: Turn) -> None:
    """/deadline CODE YYYY-MM-DD."""
    _ = turn._
    args = [a for a in turn.args if a.strip()]
    if len(args) != 2:
        await turn.reply(_("Usage: /deadline CODE YYYY-MM-DD, e.g. /deadline A5.1 2020-06-30"))
        return
    code_text, date_text = args
    if normalize_code(code_text) is None and normalize_code(date_text) is not None:
        code_text, date_text = date_text, code_text
    try:
        deadline = parse_date(date_text)
    except BadDate as exc:
        await turn.reply(exc.reply(_))
        return
    try:
        changed = await adjust.set_deadline(
            SqlAssessment(turn.session),
            code=code_text,
            deadline=deadline,
            actor_tg_id=turn.actor.tg_id,
            now=turn.now,
        )
    except AdjustRefused as exc:
        await turn.reply(refusal_text(exc, _, code=code_text[:20]))
        return
    await turn.reply(
        _("Deadline of {code} set to {new} (was {old}).").format(
            code=changed.code,
            new=changed.new.isoformat(),
            old=changed.old.isoformat() if changed.old else _("none"),
        )
    )
