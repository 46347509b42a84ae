"""Building the one `Application`: configuration, services, and every handler in order.

`build_application` is the only place handlers are registered, so the order in which
Telegram updates meet them is visible here. The database opens in `post_init` and
closes in `post_shutdown`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from telegram import BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.intake.work import note_failure
from bot.persistence import DraftPersistence
from core.people.actors import ensure_admins
from core.people.permissions import Role
from core.reporting.evidence import EvidenceStore
from handlers import common
from handlers.assessment import evidence_policy
from handlers.base import SERVICES_KEY
from handlers.menu import menu, set_user_menu
from handlers.people import handover, invites, leave
from handlers.reporting import liaison, quick_report, report
from runtime.config import Settings
from runtime.intake.unit import DATABASE_KEY
from runtime.services import Services, system_clock
from storage.db import Database

log = logging.getLogger(__name__)
# Duban uses PTB's default context types throughout.
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def build_application(
    settings: Settings, *, clock: Callable[[], dt.datetime] = system_clock
) -> AnyApplication:
    token = settings.token
    if not token:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to build the bot")

    # The engine connects lazily: nothing is opened until post_init (or the persistence,
    # which PTB asks for conversation states during initialize) first uses it.
    db = Database(settings.database_url, pool=settings.pool_size)

    async def post_init(app: AnyApplication) -> None:
        app.bot_data[SERVICES_KEY] = Services(
            settings=settings,
            db=db,
            evidence_store=EvidenceStore(settings.evidence_dir),
            clock=clock,
        )
        async with db.unit() as unit:
            session = unit.session
            await ensure_admins(session, settings.admin_ids)
            await unit.commit()
        await set_command_menus(app, settings)
        await quick_report.finish_leftover_albums(app)
        # An /export a restart cut short is told to its admin (issue 13).
        from handlers.export.command import report_interrupted_exports

        await report_interrupted_exports(app)
        # -- scheduling: digests and reminders (issue 5) --
        from bot.scheduling import schedule_jobs

        schedule_jobs(app, settings)
        # -- end scheduling --
        # -- dashboard: the Mini App's web server beside polling (issue 12) --
        if settings.webapp_url:
            from bot.webapp.server import start_dashboard

            await start_dashboard(app)
        # -- end dashboard --
        log.info("bot ready as @%s", app.bot.username)

    async def post_shutdown(app: AnyApplication) -> None:
        from bot.webapp.server import stop_dashboard  # issue 12

        await stop_dashboard(app)
        await db.close()

    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
    )
    if settings.telegram_rate_limit:
        # Retries a 429 after Telegram's retry_after; keeps under the global/group limits.
        # PTB types the builder by its default rate limiter (None): AIORateLimiter is its
        # own documented choice, which that default type cannot express.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    app = (
        builder
        # ConversationHandler needs updates of one user handled in order.
        .concurrent_updates(False)
        # No Updater: updates come from the inbox (bot/intake), which confirms to Telegram
        # only what it has committed; PTB's Updater confirms before handling.
        .updater(None)
        .persistence(DraftPersistence(db))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    # The intake shares this database handle (one pool per process; bot/intake/runtime.py).
    app.bot_data[DATABASE_KEY] = db
    # First error handler: the inbox worker learns of a failure (and retries it).
    app.add_error_handler(note_failure)
    register_handlers(app, settings)
    return app


def register_handlers(app: AnyApplication, settings: Settings) -> None:
    """Every handler, in the order updates meet them (first match in a group wins)."""
    private = filters.ChatType.PRIVATE
    # Group -2 runs before everything: other bots' messages are ignored outright.
    app.add_handler(TypeHandler(Update, common.ignore_bots), group=-2)
    # Edits never change a report; catch them before anything treats them as new input.
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, common.edited_message))

    app.add_handler(CommandHandler("start", common.start))
    app.add_handler(CommandHandler("help", common.help_command))
    app.add_handler(CommandHandler("lang", common.lang))
    app.add_handler(CommandHandler("join", liaison.join_command))

    # The /report conversation comes before the quick-report and stray-message handlers:
    # while it runs, a photo is evidence for it, not a quick report of its own.
    app.add_handler(report.conversation(settings.conversation_timeout_minutes))
    app.add_handler(CommandHandler("cancel", common.nothing_to_cancel))

    app.add_handler(CommandHandler("items", liaison.items_command))
    app.add_handler(CallbackQueryHandler(liaison.items_page_button, pattern=r"^items:\d+$"))
    app.add_handler(CallbackQueryHandler(liaison.item_button, pattern=r"^item:\d+$"))
    app.add_handler(CommandHandler("history", liaison.history_command))
    app.add_handler(CallbackQueryHandler(liaison.history_button, pattern=r"^hist:\d+:\d+$"))
    app.add_handler(CommandHandler("evidence", liaison.evidence_command))
    app.add_handler(CallbackQueryHandler(liaison.evidence_button, pattern=r"^ev:\d+$"))
    app.add_handler(CommandHandler("needevidence", evidence_policy.needevidence_command))
    app.add_handler(CommandHandler("leave", leave.leave_command))
    app.add_handler(CommandHandler("handover", handover.handover_command))
    app.add_handler(CallbackQueryHandler(handover.handover_button, pattern=r"^ho:[yn]:\d+$"))
    app.add_handler(CommandHandler("invite", invites.invite_command))
    app.add_handler(CallbackQueryHandler(invites.invite_button, pattern=r"^inv:(d:)?\d+$"))

    # -- office: overview, review, urge, people (issue 4a) --
    from handlers.oversight import office, urge
    from handlers.people import roster as people
    from handlers.reporting import review, review_return

    app.add_handler(CommandHandler("status", office.status_command))
    app.add_handler(CommandHandler("dept", office.dept_command))
    app.add_handler(CallbackQueryHandler(office.dept_button, pattern=r"^dept:\d+$"))
    app.add_handler(CallbackQueryHandler(office.overdue_page_button, pattern=r"^od:\d+$"))
    app.add_handler(CommandHandler("item", office.item_command))
    app.add_handler(CommandHandler("overdue", office.overdue_command))
    app.add_handler(CommandHandler("review", review.review_command))
    app.add_handler(CallbackQueryHandler(review.accept_button, pattern=r"^rv:a:\d+$"))
    app.add_handler(CallbackQueryHandler(review.evidence_button, pattern=r"^rv:e:\d+$"))
    # Group -1: a returned report's comment (and its /cancel) must reach the conversation
    # before group 0's general /cancel and stray-text handlers; it stops them seeing it.
    app.add_handler(
        review_return.return_conversation(settings.conversation_timeout_minutes), group=-1
    )
    app.add_handler(CommandHandler("urge", urge.urge_command))
    app.add_handler(CallbackQueryHandler(urge.urge_button, pattern=r"^ug:(n|[yd]:\d+)$"))
    app.add_handler(CommandHandler("users", people.users_command))
    app.add_handler(CommandHandler("revoke", people.revoke_command))
    # -- end office --

    # -- admin tools: /import upload, /export, adjustments (issue 4b) --
    from handlers.assessment import adjust as admin_adjust
    from handlers.assessment import import_upload as admin_tools
    from handlers.export import command as admin_export

    # A document captioned /import is a message with a caption, not a command: caught
    # here, before the quick-report handler below would take it as evidence.
    app.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE
            & (filters.Document.ALL | filters.PHOTO)
            & filters.CaptionRegex(admin_tools.CAPTION_PATTERN),
            admin_tools.import_upload,
        )
    )
    app.add_handler(CommandHandler("import", admin_tools.import_command))
    app.add_handler(
        CallbackQueryHandler(admin_tools.import_button, pattern=r"^imp:[yn]:[A-Za-z0-9_-]{1,16}$")
    )
    app.add_handler(CommandHandler("export", admin_export.export_command))
    app.add_handler(CommandHandler("adddept", admin_adjust.adddept_command))
    app.add_handler(CommandHandler("bind", admin_adjust.bind_command))
    app.add_handler(CommandHandler("unbind", admin_adjust.unbind_command))
    app.add_handler(CommandHandler("deadline", admin_adjust.deadline_command))
    adjust_button = r":\d{1,10}:[GAB]\d{1,3}(\.\d{1,3})?$"
    app.add_handler(
        CallbackQueryHandler(admin_adjust.bind_button, pattern="^adj:b" + adjust_button)
    )
    app.add_handler(
        CallbackQueryHandler(admin_adjust.unbind_button, pattern="^adj:u" + adjust_button)
    )
    # -- end admin tools --

    # -- supervision: extensions, rectification measures, milestones, pace (issue 22) --
    from handlers.supervision import commands as supervision

    app.add_handler(CommandHandler("extend", supervision.extend_command))
    app.add_handler(CommandHandler("extdecide", supervision.extdecide_command))
    app.add_handler(
        CallbackQueryHandler(supervision.extension_button, pattern=supervision.EXTENSION_BUTTONS)
    )
    app.add_handler(CommandHandler("measures", supervision.measures_command))
    app.add_handler(CommandHandler("milestones", supervision.milestones_command))
    app.add_handler(CommandHandler("pace", supervision.pace_command))
    # -- end supervision --

    # -- digests and reminders: /digest, /setgroup (issue 5) --
    from handlers.digest import commands as digest_handlers

    app.add_handler(CommandHandler("setgroup", digest_handlers.setgroup_command))
    app.add_handler(CommandHandler("digest", digest_handlers.digest_command))
    # A group upgraded to a supergroup keeps its digest (before the bots filter: the
    # service message may name no human sender).
    app.add_handler(
        MessageHandler(filters.StatusUpdate.MIGRATE, digest_handlers.group_migrated), group=-3
    )
    # -- end digests --

    # -- scoring (issue 20): /scheme /points /score /proposals /bonus /penalty /veto /results --
    from handlers.scoring import adjust as scoring_adjust
    from handlers.scoring import conversation as scoring_conversation
    from handlers.scoring import results as scoring_results
    from handlers.scoring import scheme as scoring_scheme
    from handlers.scoring import score as scoring_score
    from handlers.scoring import upload as scoring_upload

    app.add_handler(CommandHandler("scheme", scoring_scheme.scheme_command))
    app.add_handler(CommandHandler("points", scoring_scheme.points_command))
    # Group -1, as the review return: the typed scores must not reach group 0's handlers.
    app.add_handler(
        scoring_conversation.score_conversation(settings.conversation_timeout_minutes), group=-1
    )
    app.add_handler(CommandHandler("proposals", scoring_score.proposals_command))
    app.add_handler(
        CallbackQueryHandler(scoring_score.proposal_button, pattern=r"^sc:p[cr]:\d{1,10}$")
    )
    app.add_handler(CommandHandler("bonus", scoring_adjust.bonus_command))
    app.add_handler(CommandHandler("penalty", scoring_adjust.penalty_command))
    app.add_handler(CommandHandler("veto", scoring_adjust.veto_command))
    app.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE
            & (filters.Document.ALL | filters.PHOTO)
            & filters.CaptionRegex(scoring_upload.CAPTION_PATTERN),
            scoring_upload.scores_upload,
        )
    )
    app.add_handler(CommandHandler("scores", scoring_upload.scores_command))
    app.add_handler(
        CallbackQueryHandler(
            scoring_upload.scores_button, pattern=r"^scs:[yn]:[A-Za-z0-9_-]{1,16}$"
        )
    )
    app.add_handler(CommandHandler("results", scoring_results.results_command))
    app.add_handler(
        CallbackQueryHandler(scoring_results.results_button, pattern=r"^sc:r:\d{1,10}$")
    )
    # -- end scoring --

    # -- dashboard: /dashboard (issue 12) --
    from handlers.dashboard import command as dashboard

    app.add_handler(CommandHandler("dashboard", dashboard.dashboard_command))
    # -- end dashboard --

    # -- the year end: /assess, /selfassess, /sitecheck, /feedback, /appeal, /approve,
    # /finalize (issue 21) --
    from handlers.yearend import appeal_reason
    from handlers.yearend import results as yearend_results
    from handlers.yearend import selfassess as yearend_self

    # Captioned uploads (a self-check report, an appeal's attachment, a site check's
    # photo) are messages, not commands: caught before the quick-report handler.
    for caption, callback in (
        (r"^/selfassess(@\w+)?(\s|$)", yearend_self.selfassess_report),
        (r"^/appeal(@\w+)?(\s|$)", yearend_results.appeal_command),
        (r"^/sitecheck(@\w+)?(\s|$)", yearend_results.sitecheck_command),
    ):
        app.add_handler(
            MessageHandler(
                filters.UpdateType.MESSAGE
                & (filters.Document.ALL | filters.PHOTO)
                & filters.CaptionRegex(caption),
                callback,
            )
        )
    app.add_handler(CommandHandler("assess", yearend_self.assess_command))
    app.add_handler(CommandHandler("selfassess", yearend_self.selfassess_command))
    app.add_handler(
        CallbackQueryHandler(yearend_self.submit_button, pattern=f"^{yearend_self.SUBMIT}$")
    )
    app.add_handler(CommandHandler("sitecheck", yearend_results.sitecheck_command))
    app.add_handler(CommandHandler("feedback", yearend_results.feedback_command))
    app.add_handler(CommandHandler("appeal", yearend_results.appeal_command))
    # /appeal by buttons, then the reason: before group 0's /cancel and stray text.
    app.add_handler(
        appeal_reason.appeal_conversation(settings.conversation_timeout_minutes), group=-1
    )
    app.add_handler(CommandHandler("approve", yearend_results.approve_command))
    app.add_handler(CommandHandler("finalize", yearend_results.finalize_command))
    # -- end year end --

    # Photos and documents outside /report: quick reports by caption.
    app.add_handler(
        MessageHandler(
            private & filters.UpdateType.MESSAGE & report.EVIDENCE, quick_report.media_received
        )
    )

    # Last: whatever no handler above took.
    app.add_handler(MessageHandler(filters.COMMAND, common.unknown_command))
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND,
            common.stray_message,
        )
    )
    # A button no handler knows (an old keyboard, a game button, odd data): stop the spinner.
    app.add_handler(CallbackQueryHandler(common.unknown_button))
    app.add_error_handler(common.on_error)


async def set_command_menus(app: AnyApplication, settings: Settings) -> None:
    """Command menus per language: strangers' by default, each admin's own in their chat."""
    for locale, language_code in (("zh", None), ("en", "en")):
        try:
            await app.bot.set_my_commands(
                menu(Role.STRANGER, locale),
                scope=BotCommandScopeDefault(),
                language_code=language_code,
            )
        except TelegramError as exc:  # a menu is a convenience; never block the start on it
            log.warning("could not set the default command menu: %s", exc)
    for admin_id in sorted(settings.admin_ids):
        await set_user_menu(
            app.bot,
            admin_id,
            Role.ADMIN,
            webapp_url=settings.webapp_url,
            locale=settings.default_locale,
        )


ALLOWED_UPDATES = Update.ALL_TYPES
