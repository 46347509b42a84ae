"""The dashboard's web server (aiohttp): the page under /app/, its data under /api/.

One aiohttp application serves the Mini App and, in webhook mode, Telegram's webhook
(the route is added by `bot/intake/webhook.py`, which answers only after the inbox
commit), so one web library and one port do both. In polling mode
`start_dashboard` runs it beside polling in the bot's event loop (called from post_init)
and `stop_dashboard` stops it (post_shutdown).

Every /api/ request is authenticated before anything else: `Authorization: tma
<initData>` signed by Telegram for this bot (bot.webapp.auth), or for evidence files a
short-lived signed link. Without it the answer is 401 with no data; a role that may not
see what was asked gets 403. A liaison sees their own department only. The HTML and
script hold no data; figures come from core.dashboard.queries.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application

from bot.untrusted_http import quiet_server_logger, single_header, single_values
from bot.webapp import auth
from bot.webapp.strings import page_strings
from core.dashboard import queries
from core.dashboard.interfaces import DashboardReader
from core.dashboard.sql import SqlDashboard
from core.dashboard.thumbnails import NotPreviewable, cached_thumbnail, icon_of, is_previewable
from core.digest.chart import cjk_font_path
from core.people.actors import Actor, load_actor
from core.people.permissions import Role, may_read_route
from core.reporting.reports import ItemView
from core.scoring.records import result_records
from core.scoring.sql import SqlScoring
from core.status.day import Reading
from core.status.model import Counts, State, due_date_text, format_rate, reasons_text
from core.text.formatting import local_date, local_datetime, target_text, value_against_target
from core.text.i18n import Translate, normalize_locale, translator
from core.text.matching import normalize_code
from handlers.base import SERVICES_KEY
from handlers.supervision.lines import extension_lines
from runtime.services import Services
from storage.models import REVIEW_RETURNED, Campaign

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
SERVICES = web.AppKey("services", Services)
WEB_RUNNER_KEY = "webapp_runner"  # in Services.extra: the running server, for stop/port
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class Viewer:
    """Who is asking, with one session for this request (as one update has one)."""

    actor: Actor
    session: AsyncSession
    services: Services
    _: Translate
    # The day this request reads (`Settings.reading`), made once when it arrives.
    day_reading: Reading
    # The dashboard's reader over this request's session (core.dashboard.sql).
    board: DashboardReader

    @property
    def scope(self) -> int | None:
        """The department a liaison is limited to; None for staff."""
        return queries.scope_of(self.actor.role, self.actor.department_id)

    def reading(self) -> Reading:
        """The day this request reads, the same for each of its queries."""
        return self.day_reading


def _error(status: type[web.HTTPException], code: str) -> web.HTTPException:
    # The body names the kind of refusal only, never what exists.
    return status(
        text=json.dumps({"error": code}),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _json(data: object) -> web.Response:
    return web.json_response(
        data,
        dumps=lambda d: json.dumps(d, ensure_ascii=False),
        headers={"Cache-Control": "no-store"},
    )


def _int_query(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        raise _error(web.HTTPBadRequest, "bad_request") from None


# ---------------------------------------------------------------- authentication


def _tg_id_from_header(request: web.Request, services: Services) -> int:
    # Missing, repeated, oversized or not ASCII: refused like a wrong one (issue 18).
    header = single_header(request, "Authorization") or ""
    scheme, _, init_data = header.partition(" ")
    if scheme.lower() != "tma" or not init_data:
        raise _error(web.HTTPUnauthorized, "unauthorized")
    token = services.settings.token or ""
    try:
        user = auth.verify_init_data(
            init_data.strip(),
            token,
            now=services.clock(),
            max_age=dt.timedelta(seconds=services.settings.webapp_init_data_max_age),
        )
    except auth.InitDataInvalid as exc:
        log.info("dashboard request refused: %s", exc)
        raise _error(web.HTTPUnauthorized, "unauthorized") from None
    return user.tg_id


def authenticated(
    func: Callable[[web.Request, Viewer], Awaitable[web.StreamResponse | AfterSession]],
    *,
    link_variant: str | None = None,
) -> Handler:
    """Open a session, authenticate (header, or a signed link for `link_variant`), load
    the actor; strangers get 403 before the endpoint runs."""

    async def handler(request: web.Request) -> web.StreamResponse:
        services = request.app[SERVICES]
        if link_variant is not None and "sig" in request.query:
            query = single_values(request.query)
            if query is None:
                raise _error(web.HTTPUnauthorized, "unauthorized")
            try:
                tg_id = auth.check_link(
                    int(request.match_info["id"]),
                    link_variant,
                    query,
                    services.settings.token or "",
                    now=services.clock(),
                )
            except auth.InitDataInvalid:
                raise _error(web.HTTPUnauthorized, "unauthorized") from None
        else:
            tg_id = _tg_id_from_header(request, services)
        async with services.db.session() as session:
            actor = await load_actor(
                session,
                tg_id,
                admin_ids=services.admin_ids,
                default_locale=services.settings.default_locale,
            )
            if actor.role is Role.STRANGER:
                raise _error(web.HTTPForbidden, "forbidden")
            viewer = Viewer(
                actor,
                session,
                services,
                translator(actor.locale),
                services.settings.reading(services.clock()),
                SqlDashboard(session),
            )
            answer = await func(request, viewer)
        # Slow work the endpoint left for after its session (decoding an image): no
        # database connection is held meanwhile.
        if isinstance(answer, AfterSession):
            return await answer.produce()
        return answer

    return handler


@dataclass(frozen=True)
class AfterSession:
    """An endpoint's answer that is made once its database session is closed."""

    produce: Callable[[], Awaitable[web.StreamResponse]]


async def _campaign(viewer: Viewer) -> Campaign:
    campaign = await viewer.board.active_campaign()
    if campaign is None:
        raise _error(web.HTTPNotFound, "no_campaign")
    return campaign


def _staff_only(viewer: Viewer) -> None:
    if viewer.scope is not None:
        raise _error(web.HTTPForbidden, "forbidden")


# ---------------------------------------------------------------- JSON shapes


def _counts(counts: Counts) -> dict[str, Any]:
    return {
        "done": counts.done,
        "pending_review": counts.pending_review,
        "in_progress": counts.in_progress,
        "not_started": counts.not_started,
        "blocked": counts.blocked,
        "total": counts.total,
        "rate": counts.rate,
        "rate_text": format_rate(counts),
    }


def _page(page: queries.Page) -> dict[str, int]:
    return {"offset": page.offset, "limit": page.limit, "total": page.total}


def _targets(view: ItemView, _: Translate) -> list[dict[str, Any]]:
    return [
        {
            "target": target_text(t.metric, t.op, t.value, t.unit),
            "text": f"{t.metric}: " + value_against_target(t.last_value, t.op, t.value, t.unit, _),
            "met": t.met,
        }
        for t in view.targets
    ]


def _due(state: State, _: Translate) -> dict[str, Any]:
    """The due date with where it comes from, as the text screens say it
    (`2020-12-31（年度末）` for an item without a deadline of its own), and what
    supervision adds (issue 22): the reasons of the colour in the agreed order, the
    original date of an extended one, milestones, an open rectification, the pace line."""
    return {
        "deadline": state.due.isoformat() if state.due else None,
        "due_source": state.due_source.value if state.due_source else None,
        "due_text": due_date_text(state, _) or None,
        "reasons": [reason.value for reason in state.reasons],
        "reasons_text": reasons_text(state, _) or None,
        "original_due": state.original_due.isoformat() if state.original_due else None,
        "final_due": state.final_due.isoformat() if state.final_due else None,
        "milestones": [m.isoformat() for m in state.milestones],
        "rectification_due": (
            state.rectification_due.isoformat() if state.rectification_due else None
        ),
        "expected": str(state.expected) if state.expected is not None else None,
    }


def _extensions(row: queries.ItemRow, viewer: Viewer) -> list[dict[str, Any]]:
    tz = viewer.services.settings.tz
    return [
        {
            "original_due": e.original_due.isoformat() if e.original_due else None,
            "requested_due": e.requested_due.isoformat(),
            "state": e.state,
            "reason": e.reason,
            "decided_by": e.decided_by or None,
            "decided_on": e.decided_at.astimezone(tz).date().isoformat() if e.decided_at else None,
            "comment": e.comment,
            "text": html.unescape(
                "".join(extension_lines([e], tz, viewer._, indent="")).removeprefix("⏩ ")
            ),
        }
        for e in row.extensions
    ]


def _item_row(row: queries.ItemRow, viewer: Viewer) -> dict[str, Any]:
    view, tz = row.view, viewer.services.settings.tz
    return {
        "binding_id": view.binding_id,
        "department_id": view.department_id,
        "department": row.department_name,
        "code": view.code,
        "title": view.title,
        "status": row.effective,
        "returned": view.review_state == REVIEW_RETURNED,
        "colour": row.colour.value,
        "last_report": local_date(view.last_reported_at, tz),
        **_due(row.state, viewer._),
        "targets": _targets(view, viewer._),
        "extensions": _extensions(row, viewer),
        "measures": view.rectification_measures or None,
        "reports": view.report_count,
        "evidence": view.evidence_count,
    }


# ---------------------------------------------------------------- endpoints


async def me(request: web.Request, viewer: Viewer) -> web.Response:
    """Who the page is for: role, own department, language and the page's words."""
    campaign = await viewer.board.active_campaign()
    return _json(
        {
            "role": viewer.actor.role.value,
            "department_id": viewer.scope,
            "locale": viewer.actor.locale,
            "campaign": {"title": campaign.title, "year": campaign.year} if campaign else None,
            "strings": page_strings(viewer.actor.locale),
        }
    )


async def overview(request: web.Request, viewer: Viewer) -> web.Response:
    _staff_only(viewer)
    campaign = await _campaign(viewer)
    found = await queries.overview(
        viewer.board,
        campaign,
        viewer.reading(),
        offset=_int_query(request, "offset", 0),
        limit=_int_query(request, "limit", 30),
    )
    return _json(
        {
            "title": found.title,
            "year": found.year,
            "totals": _counts(found.totals),
            "colours": {"red": found.red, "yellow": found.yellow, "green": found.green},
            "departments": [
                {
                    "id": bar.summary.id,
                    "name": bar.summary.name,
                    "counts": _counts(bar.summary.counts),
                    "colours": {"red": bar.red, "yellow": bar.yellow, "green": bar.green},
                    "last_report": local_date(
                        bar.summary.last_reported_at, viewer.services.settings.tz
                    ),
                    # The status model's department silence, as the digest and /status.
                    "silent_days": bar.summary.quiet_days if bar.summary.silent else None,
                }
                for bar in found.departments
            ],
            "page": _page(found.page),
        }
    )


async def weekly(request: web.Request, viewer: Viewer) -> web.Response:
    campaign = await _campaign(viewer)
    series = await queries.reports_per_week(
        viewer.board, campaign, viewer.reading(), scope=viewer.scope
    )
    return _json({"weeks": [{"week": w.isoformat(), "reports": n} for w, n in series]})


async def department(request: web.Request, viewer: Viewer) -> web.Response:
    department_id = int(request.match_info["id"])
    try:
        page = await queries.department_page(
            viewer.board, department_id, viewer.reading(), scope=viewer.scope
        )
    except queries.NotYours:
        raise _error(web.HTTPForbidden, "forbidden") from None
    if page is None:
        raise _error(web.HTTPNotFound, "not_found")
    return _json(
        {
            "id": page.id,
            "name": page.name,
            "dept_class": page.dept_class,
            "counts": _counts(page.counts),
            "last_report": local_date(page.last_reported_at, viewer.services.settings.tz),
            "items": [_item_row(row, viewer) for row in page.items],
        }
    )


async def item(request: web.Request, viewer: Viewer) -> web.Response:
    code = normalize_code(request.match_info["code"])
    campaign = await _campaign(viewer)
    found = (
        await queries.item_page(
            viewer.board,
            code,
            viewer.reading(),
            scope=viewer.scope,
            offset=_int_query(request, "offset", 0),
            limit=_int_query(request, "limit", 50),
        )
        if code
        else None
    )
    if found is None:
        raise _error(web.HTTPNotFound, "not_found")
    scope = [viewer.scope] if viewer.scope is not None else None
    trend = await queries.item_trend(
        viewer.board, campaign, found.code, viewer.reading(), department_ids=scope
    )
    return _json(
        {
            "code": found.code,
            "title": found.title,
            "text": found.text,
            **_due(found.due, viewer._),
            "counts": _counts(found.counts),
            "departments": [_item_row(row, viewer) for row in found.rows],
            "trend": _trend(trend),
            "page": _page(found.page),
        }
    )


def _trend(trend: queries.Trend | None) -> dict[str, Any] | None:
    """An item's reported values over time against its target and pace line (issue 22)."""
    if trend is None:
        return None
    return {
        "metric": trend.metric,
        "unit": trend.unit,
        "target": str(trend.target),
        "lines": [
            {
                "department_id": line.department_id,
                "department": line.department,
                "points": [[day.isoformat(), str(value)] for day, value in line.points],
            }
            for line in trend.lines
        ],
        "pace": [[day.isoformat(), str(value)] for day, value in trend.pace],
    }


async def results(request: web.Request, viewer: Viewer) -> web.Response:
    """The assessment's results (issue 20), for leaders and admins only: the same
    records as `python -m bot assess results --json` and the export's 考核结果."""
    if not may_read_route("/api/results", viewer.actor.role):
        raise _error(web.HTTPForbidden, "forbidden")
    campaign = await _campaign(viewer)
    book = await SqlScoring(viewer.session).book(campaign.id)
    confirmed = book.scheme is not None and book.scheme.confirmed_at is not None
    return _json(
        {"campaign": campaign.title, "confirmed": confirmed, "results": result_records(book)}
    )


async def overdue(request: web.Request, viewer: Viewer) -> web.Response:
    campaign = await _campaign(viewer)
    found = await queries.overdue_page(
        viewer.board,
        campaign,
        viewer.reading(),
        scope=viewer.scope,
        offset=_int_query(request, "offset", 0),
        limit=_int_query(request, "limit", 50),
    )
    tz = viewer.services.settings.tz
    return _json(
        {
            "items": [
                {
                    "binding_id": o.binding_id,
                    "department_id": o.department_id,
                    "department": o.department_name,
                    "code": o.code,
                    "title": o.title,
                    **_due(o.state, viewer._),
                    "status": o.state.effective,
                    "colour": o.state.colour.value,
                    "last_report": local_date(o.last_reported_at, tz),
                    "past_deadline": o.past_deadline,
                    "silent_days": o.silent_days,
                }
                for o in found.rows
            ],
            "page": _page(found.page),
        }
    )


def _evidence_link(evidence_id: int, variant: str, viewer: Viewer) -> str:
    params = auth.sign_link(
        evidence_id,
        variant,
        viewer.actor.tg_id,
        viewer.services.settings.token or "",
        now=viewer.services.clock(),
    )
    # Relative to the site root the page resolves it against (works under a path prefix).
    return f"api/evidence/{evidence_id}/{variant}?{urlencode(params)}"


async def binding_reports(request: web.Request, viewer: Viewer) -> web.Response:
    try:
        found = await queries.binding_reports(
            viewer.board,
            int(request.match_info["id"]),
            scope=viewer.scope,
            offset=_int_query(request, "offset", 0),
            limit=10,
        )
    except queries.NotYours:
        raise _error(web.HTTPForbidden, "forbidden") from None
    if found is None:
        raise _error(web.HTTPNotFound, "not_found")
    ref = found.binding
    tz = viewer.services.settings.tz
    return _json(
        {
            "binding_id": ref.binding_id,
            "department_id": ref.department_id,
            "department": ref.department_name,
            "code": ref.code,
            "title": ref.title,
            "reports": [
                {
                    "id": entry.report_id,
                    "status": entry.status,
                    "review_state": entry.review_state,
                    "text": entry.text,
                    "created_at": local_datetime(entry.created_at, tz),
                    "evidence": [
                        {
                            "id": f.id,
                            "name": f.file_name,
                            "icon": icon_of(f.kind, f.mime_type, f.file_name),
                            "thumb": _evidence_link(f.id, "thumb", viewer)
                            if is_previewable(f.kind, f.mime_type)
                            else None,
                            "file": _evidence_link(f.id, "file", viewer),
                        }
                        for f in files
                    ],
                }
                for entry, files in found.reports
            ],
            "page": _page(found.page),
        }
    )


async def _evidence(request: web.Request, viewer: Viewer) -> tuple[queries.EvidenceFile, Path]:
    try:
        found = await queries.evidence_file(
            viewer.board, int(request.match_info["id"]), scope=viewer.scope
        )
    except queries.NotYours:
        raise _error(web.HTTPForbidden, "forbidden") from None
    if found is None:
        raise _error(web.HTTPNotFound, "not_found")
    path = viewer.services.evidence_store.path_of(found.stored_path)
    if not path.is_file():
        raise _error(web.HTTPNotFound, "not_found")
    return found, path


async def evidence_thumb(request: web.Request, viewer: Viewer) -> AfterSession:
    found, path = await _evidence(request, viewer)
    if not is_previewable(found.kind, found.mime_type):
        raise _error(web.HTTPNotFound, "not_found")
    stem = PurePath(found.stored_path).stem
    key = stem if re.fullmatch(r"[0-9a-f]{64}", stem) else f"evidence-{found.id}"
    cache_dir = viewer.services.settings.thumbnails_path

    async def produce() -> web.StreamResponse:
        try:
            content = await asyncio.to_thread(cached_thumbnail, path, cache_dir, key)
        except NotPreviewable as exc:  # too many pixels, or no accepted image format
            log.info("no preview of evidence %s: %s", found.id, exc.reason)
            raise _error(web.HTTPNotFound, "not_previewable") from None
        return web.Response(
            body=content,
            content_type="image/jpeg",
            headers={"Cache-Control": "private, max-age=600"},
        )

    return AfterSession(produce)


async def evidence_file(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    found, path = await _evidence(request, viewer)
    name = found.file_name or path.name
    return web.FileResponse(
        path,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "private, max-age=600",
        },
    )


# ---------------------------------------------------------------- the page


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; font-src 'self'; frame-ancestors *"
)


async def index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(
        STATIC_DIR / "index.html",
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"},
    )


async def strings(request: web.Request) -> web.Response:
    """The page's words before anyone is known (for the "open it in Telegram" notice)."""
    services = request.app[SERVICES]
    locale = normalize_locale(request.query.get("lang"), services.settings.default_locale)
    return _json(page_strings(locale))


async def font(request: web.Request) -> web.StreamResponse:
    """Noto Sans SC, the font the digest chart uses, for devices without a CJK font."""
    path = cjk_font_path()
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


async def to_app(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/app/")


@web.middleware
async def api_first_authenticates(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An unknown /api/ path answers 401 too when unauthenticated: nothing is revealed,
    not even which paths exist."""
    if request.path.startswith("/api/") and request.match_info.http_exception is not None:
        services = request.app[SERVICES]
        _tg_id_from_header(request, services)
    return await handler(request)


async def export_file(request: web.Request) -> web.StreamResponse:
    """GET /api/export/download?run=&admin=&exp=&sig=: a workbook too large for Telegram,
    from a plain browser by its signed link (bot.export_download). A HEAD or a link
    preview is answered without spending the link; only a completed GET spends it."""
    from bot.export_download import check_link, is_link_preview, send_and_spend

    services = request.app[SERVICES]
    now = services.clock()
    answer = await check_link(
        services.db,
        single_values(request.query),
        bot_token=services.settings.token or "",
        admin_ids=services.admin_ids,
        now=now,
    )
    if answer.status != 200 or answer.path is None:
        log.info("export download refused: %s", answer.reason)
        return web.Response(status=answer.status, text=answer.reason)
    if request.method == "HEAD":
        return web.Response(status=200, headers=dict(answer.headers))
    if is_link_preview(request.headers.get("User-Agent", "")):
        return web.Response(status=200, text="Duban export", headers={"Cache-Control": "no-store"})
    return await send_and_spend(request, answer, services.db, now)


def build_web_app(services: Services) -> web.Application:
    """The dashboard as an aiohttp application (mount the webhook on it when needed)."""
    app = web.Application(middlewares=[api_first_authenticates])
    app[SERVICES] = services
    app.router.add_get("/", to_app)
    app.router.add_get("/app", to_app)
    app.router.add_get("/app/", index)
    app.router.add_get("/app/strings.json", strings)
    app.router.add_get("/app/font/sans.otf", font)
    app.router.add_static("/app/static/", STATIC_DIR)
    app.router.add_get("/api/me", authenticated(me))
    app.router.add_get("/api/overview", authenticated(overview))
    app.router.add_get("/api/weekly", authenticated(weekly))
    app.router.add_get(r"/api/departments/{id:\d{1,10}}", authenticated(department))
    app.router.add_get(r"/api/items/{code:[^/]{1,20}}", authenticated(item))
    app.router.add_get("/api/overdue", authenticated(overdue))
    app.router.add_get("/api/results", authenticated(results))
    app.router.add_get(r"/api/bindings/{id:\d{1,10}}/reports", authenticated(binding_reports))
    app.router.add_get(
        r"/api/evidence/{id:\d{1,10}}/thumb", authenticated(evidence_thumb, link_variant="thumb")
    )
    app.router.add_get(
        r"/api/evidence/{id:\d{1,10}}/file", authenticated(evidence_file, link_variant="file")
    )
    # Not behind `authenticated`: the link's signature is its credential (issue 18).
    app.router.add_get("/api/export/download", export_file)
    # The 考核 tab (issue 21).
    from bot.webapp.assessment import add_assessment_routes

    add_assessment_routes(app)
    return app


API_ENDPOINTS = (
    "/api/me",
    "/api/overview",
    "/api/weekly",
    "/api/departments/{id}",
    "/api/items/{code}",
    "/api/overdue",
    "/api/bindings/{id}/reports",
    "/api/evidence/{id}/thumb",
    "/api/evidence/{id}/file",
    "/api/export/download",
    "/api/assessment",
    "/api/assessment/{id}",
)


# ---------------------------------------------------------------- lifecycle beside polling

MOUNTED_KEY = "webapp_mounted"  # in bot_data: the dashboard rides on the webhook's server


async def start_dashboard(application: AnyApplication) -> web.AppRunner | None:
    """Start the web server in the bot's event loop (called from post_init); nothing
    when the webhook server carries the dashboard already."""
    if application.bot_data.get(MOUNTED_KEY):
        return None
    services: Services = application.bot_data[SERVICES_KEY]
    settings = services.settings
    runner = web.AppRunner(build_web_app(services), access_log=None, logger=quiet_server_logger())
    await runner.setup()
    site = web.TCPSite(runner, settings.webapp_listen, settings.webapp_port)
    await site.start()
    services.extra[WEB_RUNNER_KEY] = runner
    log.info("dashboard served on %s", ", ".join(str(a) for a in runner.addresses))
    return runner


async def stop_dashboard(application: AnyApplication) -> None:
    services: Services | None = application.bot_data.get(SERVICES_KEY)
    runner = services.extra.pop(WEB_RUNNER_KEY, None) if services else None
    if runner is not None:
        await runner.cleanup()


def dashboard_port(services: Services) -> int | None:
    """The port the running dashboard listens on (useful when WEBAPP_PORT is 0)."""
    runner: web.AppRunner | None = services.extra.get(WEB_RUNNER_KEY)
    if runner is None or not runner.addresses:
        return None
    return int(runner.addresses[0][1])
