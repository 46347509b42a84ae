"""The self-assessment's reminder round (run by the scheduled check): each reminder
claimed in the database before it is sent, the office group told counts only."""

from __future__ import annotations

import logging

from telegram import Bot

from core.scheduling.once import claim_reminders
from core.scheduling.times import within_hours
from core.scheduling.workdays import WorkingDay, working_day_rule
from core.text.i18n import N_, translator
from core.yearend.reminders import group_key, plan_self_reminders
from core.yearend.sql import SqlYearEnd
from core.yearend.state import YearEndRefused
from handlers.digest.delivery import office_chat, send_texts
from handlers.yearend.common import day_text
from runtime.services import Services

log = logging.getLogger(__name__)
REMINDER = N_(
    "Reminder: {department} has not submitted its self-assessment (自评) yet; the "
    "deadline is {date}. /selfassess"
)
GROUP_COUNTS = N_(
    "Self-assessment: {submitted} department(s) submitted, {pending} not yet; deadline {date}."
)


async def self_assessment_round(
    bot: Bot, svc: Services, *, is_working: WorkingDay | None = None
) -> int:
    """Send today's self-assessment reminders not sent yet; how many went out."""
    settings = svc.settings
    is_working = is_working or working_day_rule(settings.workdays_calendar)
    now = svc.clock()
    if not within_hours(now, settings.tz, settings.reminder_earliest, settings.reminder_latest):
        return 0
    try:
        # A reading session: the plan stages nothing (claims commit on their own below).
        async with svc.db.session() as session:
            plan = await plan_self_reminders(SqlYearEnd(session), now, settings.tz, is_working)
    except YearEndRefused:  # no active campaign
        return 0
    if plan.deadline is None:
        return 0
    sent = 0
    for reminder in plan.reminders:
        async with svc.db.session() as session:
            won = await claim_reminders(session, [reminder.key], now)
        if not won:
            continue
        _ = translator(reminder.locale or settings.default_locale)
        text = _(REMINDER).format(
            department=reminder.department, date=day_text(reminder.deadline, _)
        )
        sent += await send_texts(bot, reminder.user_tg_id, [text]) is None
    chat_id, _set_at = await office_chat(svc)
    if chat_id is not None and plan.pending:
        today = now.astimezone(settings.tz).date()
        async with svc.db.session() as session:
            won = await claim_reminders(session, [group_key(chat_id, today)], now)
        if won:
            _ = translator(settings.default_locale)
            text = _(GROUP_COUNTS).format(
                submitted=plan.submitted, pending=plan.pending, date=day_text(plan.deadline, _)
            )
            sent += await send_texts(bot, chat_id, [text]) is None
    return sent
