"""/leave START END (liaison): no reminders in those days; `/leave` shows, `/leave cancel` ends."""

from __future__ import annotations

from core.people.leave import LeaveRefused, add_leave, cancel_leave, current_and_future
from core.people.sql import SqlPeople
from core.text.dates import BadDate, parse_date
from handlers.base import Turn, use_case


@use_case("leave")
async def leave_command(turn: Turn) -> None:
    _ = turn._
    today = turn.now.astimezone(turn.services.settings.tz).date()
    args = turn.args
    store = SqlPeople(turn.session)
    if not args:
        periods = await current_and_future(store, turn.actor.tg_id, today)
        if not periods:
            await turn.reply(_("No leave recorded. Usage: /leave 2020-10-01 2020-10-08"))
            return
        lines = [_("Your leave (no reminders on these days):")]
        lines += [f"• {p.start.isoformat()} – {p.end.isoformat()}" for p in periods]
        lines.append(_("/leave cancel removes it."))
        await turn.reply("\n".join(lines))
        return
    if len(args) == 1 and args[0].lower() in ("cancel", "取消"):
        count = await cancel_leave(store, turn.actor.tg_id, today, turn.now)
        await turn.reply(_("Leave removed ({count}). Reminders resume.").format(count=count))
        return
    if len(args) != 2:
        await turn.reply(_("Usage: /leave 2020-10-01 2020-10-08"))
        return
    try:
        start, end = parse_date(args[0]), parse_date(args[1])
    except BadDate as exc:
        await turn.reply(exc.reply(_))
        return
    try:
        period = await add_leave(
            store,
            tg_id=turn.actor.tg_id,
            start=start,
            end=end,
            today=today,
            now=turn.now,
        )
    except LeaveRefused as exc:
        await turn.reply(
            {
                "order": _("The end date is before the start date."),
                "too_long": _("Leave can be at most a year."),
                "past": _("That leave is already over."),
            }[exc.reason]
        )
        return
    await turn.reply(
        _("Leave recorded: {start} – {end}. No reminders to you on those days.").format(
            start=period.start.isoformat(), end=period.end.isoformat()
        )
    )
