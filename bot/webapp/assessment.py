"""The dashboard's 考核 (assessment) tab: /api/assessment (the ranking by class with
grade tones) and /api/assessment/{id} (a department's items and deductions).

Leaders and admins see every department; a liaison sees their own department's result
once it was fed back (and every one once final), as core.yearend.view decides. Anything
else is 403 with no data.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.webapp.server import Viewer, _campaign, _error, _json, authenticated
from core.people.permissions import Role, may_read_route
from core.scoring.amounts import show
from core.yearend import view
from core.yearend.feedback import class_label
from core.yearend.sql import SqlYearEnd


async def assessment(request: web.Request, viewer: Viewer) -> web.Response:
    actor = viewer.actor
    if not may_read_route("/api/assessment", actor.role):
        raise _error(web.HTTPForbidden, "forbidden")
    campaign = await _campaign(viewer)
    data = await view.ranking(
        SqlYearEnd(viewer.session), campaign.id, actor.role, actor.department_id
    )
    if not data.rows:
        raise _error(web.HTTPForbidden, "forbidden")
    # Before final a liaison's own line carries no rank: it would tell others' standing.
    ranked = actor.role is not Role.LIAISON or data.final
    classes: dict[str, list[dict[str, Any]]] = {}
    for row in data.rows:
        classes.setdefault(row.dept_class, []).append(
            {
                "department_id": row.department_id,
                "name": row.name,
                "rank": row.rank if ranked else None,
                "score": show(row.score),
                "grade": row.grade,
                "tone": row.tone,
                "provisional": row.provisional,
                "vetoes": list(row.vetoes),
            }
        )
    return _json(
        {
            "title": data.title,
            "final": data.final,
            "grades": [{"grade": g, "tone": t} for g, t in data.grades],
            "classes": [
                {"class": key, "label": class_label(key, viewer._), "rows": rows}
                for key, rows in sorted(classes.items())
            ],
        }
    )


async def assessment_department(request: web.Request, viewer: Viewer) -> web.Response:
    actor = viewer.actor
    if not may_read_route("/api/assessment/{id}", actor.role):
        raise _error(web.HTTPForbidden, "forbidden")
    campaign = await _campaign(viewer)
    found = await view.department_outcome(
        SqlYearEnd(viewer.session),
        campaign.id,
        int(request.match_info["id"]),
        actor.role,
        actor.department_id,
    )
    if found is None:
        raise _error(web.HTTPForbidden, "forbidden")
    outcome, tone = found
    result = outcome.result
    return _json(
        {
            "department_id": outcome.department_id,
            "name": outcome.department,
            "class_label": class_label(outcome.dept_class, viewer._),
            "score": show(result.score),
            "grade": result.grade,
            "tone": tone,
            "rank": result.rank if actor.role is not Role.LIAISON else None,
            "items": [
                {
                    "code": item.code,
                    "title": item.title,
                    "points": show(item.points),
                    "score": None if item.score is None else show(item.score),
                    "deductions": [
                        {"points": show(d.points), "reason": d.reason, "cites": d.cites}
                        for d in item.deductions
                    ],
                }
                for item in outcome.items
            ],
            "bonus": [{"points": show(a.points), "reason": a.reason} for a in outcome.bonus],
            "penalty": [{"points": show(a.points), "reason": a.reason} for a in outcome.penalty],
            "vetoes": list(outcome.vetoes),
        }
    )


def add_assessment_routes(app: web.Application) -> None:
    app.router.add_get("/api/assessment", authenticated(assessment))
    app.router.add_get(r"/api/assessment/{id:\d{1,10}}", authenticated(assessment_department))
