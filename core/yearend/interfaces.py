"""What the year-end use cases need from storage, as narrow Protocols (issue 19, point 5).

As in core/reporting/interfaces.py: each use case names the reader and writer it needs
and is given them explicitly, by the handler or job that owns the unit of work; the
database implementation is `core.yearend.sql.SqlYearEnd` (on the unit's session), a
unit test passes a recording fake. The year end is built on scoring, so its readers
reuse scoring's (`CampaignReader`, `BookReader` are `ScoringReader`'s own methods, and
deciding an appeal is given the whole `ScoringReader`/`ScoringWriter` because the change
goes through the scoring acts).

Readers return plain values (core/yearend/values.py, core/scoring/ports.py), except the
year end's own rows a use case changes (`YearEnd`, `SelfAssessment`, `SelfScore`,
`Appeal` being decided, a deduction being cited or withdrawn; `SiteCheck` whose
department a citation reads): those are returned as rows and changed in place, as
scoring's acts change a `ScoringScheme`. New rows are staged with `stage`; nothing here
commits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Protocol

from core.people.roster import Recipient
from core.scoring.ports import CampaignInfo, ScoreBook, ScoringReader, ScoringWriter
from core.yearend.values import (
    FeedbackProgress,
    Given,
    OpenAppeal,
    ReminderLiaison,
    SelfItem,
    SelfScoreRow,
    SiteCheckLine,
)
from storage.models import (
    Appeal,
    Deduction,
    ResultFeedback,
    ScoreAudit,
    ScoringScheme,
    SelfAssessment,
    SelfScore,
    SiteCheck,
    YearEnd,
)

# What a year-end act may stage: its own rows and the scoring audit log's.
Staged = YearEnd | SelfAssessment | SelfScore | SiteCheck | ResultFeedback | Appeal | ScoreAudit


# ---------------------------------------------------------------- shared pieces


class CampaignReader(Protocol):
    async def campaign(self, campaign_id: int | None) -> CampaignInfo | None:
        """The given campaign, or the active one when None (`ScoringReader.campaign`)."""


class LockReader(Protocol):
    async def final(self, campaign_id: int) -> bool:
        """Whether the results are final (`ScoringReader.final`: the one reading of the lock)."""


class BookReader(Protocol):
    async def book(self, campaign_id: int) -> ScoreBook:
        """The campaign's score book (`ScoringReader.book`)."""


class SchemeReader(Protocol):
    async def scheme(self, campaign_id: int) -> ScoringScheme | None:
        """The campaign's scoring scheme (`ScoringReader.scheme`)."""


class YearEndReader(Protocol):
    async def year_end_row(self, campaign_id: int) -> YearEnd | None:
        """The campaign's year-end row; None before the first year-end act."""


class YearEndWriter(Protocol):
    def stage(self, row: Staged) -> None:
        """Add a new row to the unit of work (written at its flush or commit)."""

    async def flush(self) -> None: ...


class YearEndStore(YearEndReader, YearEndWriter, Protocol):
    """A year-end act: its row (staged at its first change, `state.keep`), audit rows."""


class DepartmentReader(Protocol):
    async def department_name(self, campaign_id: int, department_id: int) -> str | None:
        """The department's name; None if it is not in that campaign."""


class LiaisonReader(Protocol):
    async def liaisons_by_department(self, campaign_id: int) -> dict[int, list[Recipient]]:
        """Every department's liaisons (main first, then deputies), in one query."""


class CitationReader(Protocol):
    async def site_check_days(self, campaign_id: int) -> list[tuple[int, dt.date]]:
        """(site check id, its day): how a deduction resting on one is cited."""


class FeedbackReader(Protocol):
    async def feedback_of(self, campaign_id: int, department_id: int) -> Given | None: ...


class AppealReader(Protocol):
    async def appeal(self, appeal_id: int) -> Appeal | None: ...

    async def open_appeals(self, campaign_id: int) -> list[OpenAppeal]: ...


# ---------------------------------------------------------------- self-assessment


class SelfFormReader(YearEndReader, DepartmentReader, Protocol):
    """/selfassess and /assess show: a department's items and its self-assessment."""

    async def self_items(self, department_id: int) -> list[SelfItem]:
        """The department's lead items with points, pre-fill and proposed score."""

    async def self_assessment(
        self, campaign_id: int, department_id: int
    ) -> SelfAssessment | None: ...


class OpenWindowStore(YearEndStore, SchemeReader, LiaisonReader, Protocol):
    """/assess open: the scheme must be confirmed; every liaison is told."""

    async def departments(self, campaign_id: int) -> list[tuple[int, str]]:
        """(id, name) of the campaign's departments, in the document's order."""


class SelfAssessStore(SelfFormReader, YearEndWriter, Protocol):
    """Proposing a self-score, attaching the report, submitting, returning."""

    async def self_score(self, binding_id: int) -> SelfScore | None: ...

    async def liaisons_of(self, department_id: int) -> list[Recipient]:
        """The department's liaisons, main first (whom a return is told)."""


class PendingReader(LiaisonReader, Protocol):
    """/assess status: the departments that have not submitted."""

    async def not_submitted(self, campaign_id: int) -> list[tuple[int, str]]:
        """(id, name) of departments without a submitted self-assessment, in order."""


class SelfReviewReader(Protocol):
    """The self-assessment beside the office's scoring entry (core.yearend.review)."""

    async def self_assessment(
        self, campaign_id: int, department_id: int
    ) -> SelfAssessment | None: ...

    async def self_scores(self, campaign_id: int) -> dict[int, tuple[Decimal, str]]:
        """Binding id -> (proposed score, statement)."""


class ReminderReader(CampaignReader, YearEndReader, Protocol):
    """The self-assessment reminder round (a scheduled job)."""

    async def department_count(self, campaign_id: int) -> int: ...

    async def submitted_count(self, campaign_id: int) -> int: ...

    async def unsubmitted_liaisons(self, campaign_id: int) -> list[ReminderLiaison]:
        """Liaisons of departments not submitted, by department, main liaisons first."""

    async def on_leave(self, tg_ids: list[int], day: dt.date) -> set[int]: ...


# ---------------------------------------------------------------- site checks


class SiteCheckStore(YearEndStore, DepartmentReader, Protocol):
    """/sitecheck: record a visit, list them, make a deduction cite one."""

    async def site_checks(
        self, campaign_id: int, department_id: int | None
    ) -> list[SiteCheckLine]: ...

    async def site_check(self, check_id: int) -> SiteCheck | None: ...

    async def confirmed_deductions(self, department_id: int) -> list[tuple[Deduction, str, str]]:
        """The department's confirmed deductions, newest first, with item code and
        department name."""


# ---------------------------------------------------------------- feedback and appeals


class OwnOutcomeReader(BookReader, CitationReader, FeedbackReader, Protocol):
    """A department's own result and its feedback (/appeal's buttons)."""


class OutcomeReader(OwnOutcomeReader, LockReader, Protocol):
    """A liaison's /feedback: their result, shown once given or final."""


class SendFeedbackStore(
    YearEndStore, SchemeReader, BookReader, CitationReader, LiaisonReader, Protocol
):
    """/feedback by the office: every department's result recorded and sent."""

    async def feedbacks(self, campaign_id: int) -> list[Given]: ...


class FileAppealStore(YearEndStore, BookReader, FeedbackReader, Protocol):
    """/appeal by a liaison."""


class DecideAppealStore(
    YearEndStore, AppealReader, LiaisonReader, ScoringReader, ScoringWriter, Protocol
):
    """/appeal ID ... by the office; a change goes through the scoring acts."""

    async def deductions(self, deduction_ids: list[int]) -> list[Deduction]: ...


# ---------------------------------------------------------------- approval and views


class ApprovalStore(YearEndStore, AppealReader, Protocol):
    """/approve (it waits for every feedback window and appeal), /finalize, reopening."""

    async def feedback_progress(self, campaign_id: int) -> FeedbackProgress: ...


class NoticeReader(YearEndReader, BookReader, Protocol):
    """The results notice (考核结果通报)."""


class RankingReader(YearEndReader, BookReader, CitationReader, Protocol):
    """The 考核 tab's ranking and a department's outcome."""

    async def fed_back(self, campaign_id: int) -> set[int]:
        """The departments whose feedback was given."""


class SheetsReader(Protocol):
    """The export's 自评 and 复核记录 sheets."""

    async def self_score_rows(self, campaign_id: int) -> list[SelfScoreRow]: ...

    async def appeal_rows(self, campaign_id: int) -> list[tuple[Appeal, str]]:
        """Every appeal with its department's name, in filing order."""
