"""The scheduled jobs, on PTB's JobQueue (APScheduler), registered in post_init.

* `digest` — every day at DIGEST_TIME in TIMEZONE: `run_daily` with an *aware* time (a
  naive one would mean UTC), so the UTC moment follows the zone's daylight saving.
  `misfire_grace_time` lets a job that fires late (a busy or suspended process) still
  run instead of being skipped silently; `coalesce` runs a pile-up of missed runs once.
* `digest-catch-up` — once, right after start: a digest missed while the bot was down is
  sent if it is still the same local day and past DIGEST_TIME (claimed like any other, so
  a restart after it was sent sends nothing).
* `scheduled-check` — every `CHECK_INTERVAL`: retries a digest whose send failed or whose
  sender died (see core/schedule_once.py), and runs the reminder round (reminders,
  weekly summary; nothing outside the reminder hours). Its first run is one interval
  after start, never at start.

Jobs carry no data but their name; each run reads the clock (`Services.clock`) and opens
its own database sessions. Changing DIGEST_TIME or TIMEZONE takes effect at the next
start, when the jobs are registered again.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram.ext import ContextTypes

from handlers.base import SERVICES_KEY
from handlers.digest.delivery import Outcome, deliver_due_digest, instance_owner, reminder_round
from handlers.yearend.reminders import self_assessment_round
from runtime.config import Settings
from runtime.services import AnyApplication, Services

log = logging.getLogger(__name__)

DIGEST_JOB = "digest"
CATCH_UP_JOB = "digest-catch-up"
CHECK_JOB = "scheduled-check"
CHECK_INTERVAL = dt.timedelta(minutes=10)
MISFIRE_GRACE_SECONDS = 6 * 3600  # a digest fired late by a busy moment is still sent


def _services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    svc: Services = context.application.bot_data[SERVICES_KEY]
    return svc


async def digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send today's digest if it is due and not sent yet (scheduled, and at start)."""
    try:
        outcome = await deliver_due_digest(context.bot, _services(context))
        log.log(logging.INFO if outcome is Outcome.SENT else logging.DEBUG, "digest: %s", outcome)
    except Exception:  # a job must never take the scheduler down; the next check retries
        log.exception("the digest job failed")


async def check_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The periodic check: a digest to retry, and the reminder round."""
    await digest_job(context)
    try:
        result = await reminder_round(context.bot, _services(context))
        if result.sent or result.failed:
            log.info("reminder round: %s sent, %s failed", result.sent, result.failed)
    except Exception:
        log.exception("the reminder round failed")
    try:  # the self-assessment's reminders (issue 21)
        told = await self_assessment_round(context.bot, _services(context))
        if told:
            log.info("self-assessment reminders: %s sent", told)
    except Exception:
        log.exception("the self-assessment reminder round failed")


def digest_time(settings: Settings) -> dt.time:
    """DIGEST_TIME as an aware time in TIMEZONE (what run_daily needs)."""
    return settings.digest_time.replace(tzinfo=settings.tz)


def schedule_jobs(app: AnyApplication, settings: Settings) -> None:
    """Register the jobs (called in post_init; earlier registrations are replaced)."""
    queue = app.job_queue
    if queue is None:
        log.error("no job queue (install python-telegram-bot[job-queue]): no digests")
        return
    for name in (DIGEST_JOB, CATCH_UP_JOB, CHECK_JOB):
        for job in queue.get_jobs_by_name(name):
            job.schedule_removal()
    instance_owner(app.bot_data[SERVICES_KEY])
    grace = {"misfire_grace_time": MISFIRE_GRACE_SECONDS, "coalesce": True}
    queue.run_daily(digest_job, time=digest_time(settings), name=DIGEST_JOB, job_kwargs=grace)
    queue.run_once(digest_job, when=0, name=CATCH_UP_JOB, job_kwargs=grace)
    queue.run_repeating(
        check_job, interval=CHECK_INTERVAL, first=CHECK_INTERVAL, name=CHECK_JOB, job_kwargs=grace
    )
    log.info(
        "digest scheduled daily at %s %s", settings.digest_time.strftime("%H:%M"), settings.timezone
    )
