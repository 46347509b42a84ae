"""The words of the dashboard page, translated on the server from locales/.

The page's script holds no text of its own: it asks for these (by key, in the user's
language) and fills `{name}` placeholders itself. Labels of states and colours reuse the
msgids of the text screens, so the dashboard says what /status says.
"""

from __future__ import annotations

from core.status.model import COLOUR_LABELS, EFFECTIVE_LABELS
from core.text.i18n import N_, translator

PAGE_STRINGS: dict[str, str] = {
    "title": N_("Duban dashboard"),
    "overview": N_("Overview"),
    "overdue": N_("Overdue"),
    "open_in_telegram": N_("Open the dashboard from the bot's menu button in Telegram."),
    "not_allowed": N_("The dashboard is not available to you."),
    "failed": N_("The dashboard could not load its data. Please try again."),
    "overall": N_("Overall completion"),
    "done_line": N_("{rate} done ({done} of {total} items accepted)"),
    "by_department": N_("Departments, lowest rate first"),
    "per_week": N_("Reports per week"),
    "colours": N_("Three-colour warnings"),
    "class": N_("(class {dept_class})"),
    "items": N_("Items"),
    "departments": N_("Departments"),
    "last_report": N_("Last report"),
    "deadline": N_("Deadline"),
    "reports": N_("Reports"),
    "download": N_("Download"),
    "no_reports": N_("No reports yet."),
    "no_items": N_("This department has no items."),
    "nothing_overdue": N_("Nothing is overdue."),
    "past_deadline": N_("past its deadline"),
    "silent_days": N_("silent for {days} days"),
    "returned": N_("returned"),
    "previous": N_("Previous"),
    "next": N_("Next"),
    "page_of": N_("{first}–{last} of {total}"),
    "accepted": N_("accepted"),
    # supervision (issue 22)
    "milestones": N_("milestones: {steps}"),
    "trend": N_("Reported values over time"),
    "target_line": N_("target"),
    "pace_line": N_("pace line"),
    "rectification": N_("under rectification until {date}"),
    "measures": N_("measures: {text}"),
    # The 考核 tab (issue 21); the table's words are the documents' own.
    "assessment": N_("Assessment"),
    "ranking": N_("Ranking by class"),
    "rank": N_("Rank"),
    "score": N_("Score"),
    "grade": N_("Grade"),
    "points": N_("Points"),
    "deductions": N_("Deductions and reasons"),
    "bonus": N_("Bonus"),
    "penalty": N_("Penalty"),
    "veto": N_("Veto"),
    "none": N_("none"),
    "provisional": N_("provisional"),
    "final_result": N_("final result"),
    "preliminary_result": N_("preliminary result"),
    "not_scored": N_("not scored"),
}


def page_strings(locale: str) -> dict[str, str]:
    """Every word of the page, plus state and colour labels keyed by their values."""
    _ = translator(locale)
    strings = {key: _(message) for key, message in PAGE_STRINGS.items()}
    strings.update({f"state_{state}": _(label) for state, label in EFFECTIVE_LABELS.items()})
    # The stacked bar's done segment is what the office accepted: say so.
    strings["state_done"] = _(PAGE_STRINGS["accepted"])
    strings.update({f"colour_{colour.value}": _(label) for colour, label in COLOUR_LABELS.items()})
    return strings
