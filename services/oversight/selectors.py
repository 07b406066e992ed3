"""The reads of the oversight pages: offices side by side, and one case read-only.

``overview(offices, period, now)`` costs the same handful of queries for 2 offices or 100:
each figure is one ``values("office").annotate(...)`` over all the offices at once. The
age bands of open cases and complaints depend on each office's working calendar; offices
whose calendars give the same band boundaries (usually all of a city: the national calendar
and no closed day of their own) share one term of the query, so its text grows with the
number of distinct calendars, not of offices.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import reduce
from operator import or_

from django.db.models import Count, F, Q, Sum
from django.http import Http404

from kelurahan.access import overseen_offices
from kelurahan.models import Office
from services.models import Application, Complaint, SlaBreach, SurveyResponse
from services.models.complaints import COMPLAINT_OPEN_STATES
from services.requirements import requirement_statuses
from services.selectors import application_detail, letters_for_case, with_time_left
from services.sla.calendar import WorkingCalendar, calendars_for
from services.sla.charts import NO_LETTER_DUE, WAITING_FOR_LETTER, DateRange
from services.survey import ELEMENT_CODES, IkmResult, ikm_from_sums
from services.validators import mask_nik

# Working days since it came in: within the 3-day promise, past it, long past it.
AGE_BANDS = [
    (0, 2, "0–2 hari kerja"),
    (3, 5, "3–5 hari kerja"),
    (6, None, "6 hari kerja atau lebih"),
]
OLDEST_EDGE = 5  # the band boundaries reach back to working day 5 before today


@dataclass
class Figures:
    """One office's (or a kecamatan's, or the whole scope's) figures for the period."""

    due: int = 0  # letters due in the period
    on_time: int = 0
    late: int = 0
    breaches: int = 0  # SLA breaches whose milestone fell due in the period
    cases_by_age: list[int] = field(default_factory=lambda: [0] * len(AGE_BANDS))
    complaints_by_age: list[int] = field(default_factory=lambda: [0] * len(AGE_BANDS))
    respondents: int = 0
    element_sums: list[int] = field(default_factory=lambda: [0] * len(ELEMENT_CODES))

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_share(self) -> float | None:
        """Percent on time of the letters whose fate is known (as the charts count it)."""
        return 100 * self.on_time / self.decided if self.decided else None

    @property
    def open_cases(self) -> int:
        return sum(self.cases_by_age)

    @property
    def open_complaints(self) -> int:
        return sum(self.complaints_by_age)

    @property
    def ikm(self) -> IkmResult:
        return ikm_from_sums(self.respondents, self.element_sums)

    def add(self, other: Figures) -> None:
        self.due += other.due
        self.on_time += other.on_time
        self.late += other.late
        self.breaches += other.breaches
        self.respondents += other.respondents
        for mine, theirs in (
            (self.cases_by_age, other.cases_by_age),
            (self.complaints_by_age, other.complaints_by_age),
            (self.element_sums, other.element_sums),
        ):
            for i, value in enumerate(theirs):
                mine[i] += value


@dataclass
class OfficeFigures:
    office: Office
    figures: Figures


@dataclass
class KecamatanFigures:
    name: str
    offices: list[OfficeFigures]
    figures: Figures


@dataclass
class Overview:
    rows: list[OfficeFigures]  # each office, by kecamatan then name
    kecamatan: list[KecamatanFigures]  # the same offices grouped per kecamatan
    total: Figures


def offices_for_overview(user) -> list[Office]:
    """The offices the user oversees, by kecamatan then name (none for anyone else)."""
    return list(overseen_offices(user).order_by("kecamatan_ref__name", "name"))


def _in_range(field_name: str, period: DateRange) -> Q:
    start, stop = period.bounds()
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": stop})


def _band_filters(calendars: dict[int, WorkingCalendar], now: datetime) -> list[Q]:
    """One filter per age band on ``received_at``, offices of equal boundaries together."""
    by_edges: dict[tuple, list[int]] = defaultdict(list)
    for office_id, calendar in calendars.items():
        days = calendar.working_days_before(calendar.local(now).date(), OLDEST_EDGE)
        edges = tuple(datetime.combine(d, time.min, calendar.tz) for d in days)
        by_edges[edges].append(office_id)
    filters = []
    for low, high, _label in AGE_BANDS:
        terms = []
        for edges, office_ids in by_edges.items():
            q = Q(office_id__in=sorted(office_ids))
            if high is not None:
                q &= Q(received_at__gte=edges[high])
            if low > 0:
                q &= Q(received_at__lt=edges[low - 1])
            terms.append(q)
        filters.append(reduce(or_, terms) if terms else Q(pk__in=[]))
    return filters


def _by_age(queryset, bands: list[Q]) -> dict[int, list[int]]:
    rows = (
        queryset.values("office")
        .annotate(**{f"b{i}": Count("id", filter=q) for i, q in enumerate(bands)})
        .order_by()
    )
    return {row["office"]: [row[f"b{i}"] for i in range(len(bands))] for row in rows}


def overview(offices: list[Office], period: DateRange, now: datetime) -> Overview:
    """Every office's figures side by side (and per kecamatan, and together): six queries
    (the offices' closed days, then one per figure) whatever the number of offices."""
    figures = {office.pk: Figures() for office in offices}
    if offices:
        ids = list(figures)
        bands = _band_filters(calendars_for(offices), now)
        letters = (
            Application.objects.filter(_in_range("issue_due", period), office__in=ids)
            .exclude(state__in=NO_LETTER_DUE)
            .values("office")
            .annotate(
                due=Count("id"),
                on_time=Count(
                    "id", filter=Q(issued_at__isnull=False, issued_at__lte=F("issue_due"))
                ),
                late=Count(
                    "id",
                    filter=Q(issued_at__isnull=False, issued_at__gt=F("issue_due"))
                    | Q(issued_at__isnull=True, issue_due__lt=now),
                ),
            )
            .order_by()
        )
        for row in letters:
            f = figures[row["office"]]
            f.due, f.on_time, f.late = row["due"], row["on_time"], row["late"]
        breaches = (
            SlaBreach.objects.filter(_in_range("due", period), office__in=ids)
            .values("office")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in breaches:
            figures[row["office"]].breaches = row["n"]
        cases = Application.objects.filter(office__in=ids, state__in=WAITING_FOR_LETTER)
        for office_id, counts in _by_age(cases, bands).items():
            figures[office_id].cases_by_age = counts
        complaints = Complaint.objects.filter(office__in=ids, state__in=COMPLAINT_OPEN_STATES)
        for office_id, counts in _by_age(complaints, bands).items():
            figures[office_id].complaints_by_age = counts
        surveys = (
            SurveyResponse.objects.filter(_in_range("created_at", period), office__in=ids)
            .values("office")
            .annotate(n=Count("id"), **{code: Sum(code) for code in ELEMENT_CODES})
            .order_by()
        )
        for row in surveys:
            f = figures[row["office"]]
            f.respondents = row["n"]
            f.element_sums = [row[code] or 0 for code in ELEMENT_CODES]
    rows = [OfficeFigures(office, figures[office.pk]) for office in offices]

    groups: dict[str, KecamatanFigures] = {}
    total = Figures()
    for row in rows:
        name = row.office.kecamatan_ref.name
        group = groups.setdefault(name, KecamatanFigures(name, [], Figures()))
        group.offices.append(row)
        group.figures.add(row.figures)
        total.add(row.figures)
    return Overview(rows=rows, kecamatan=list(groups.values()), total=total)


def overseen_application(user, code: str) -> Application:
    """The case ``code`` if it belongs to an office the user oversees, else 404."""
    try:
        return Application.objects.select_related(
            "service", "office", "rt__rw", "received_by", "assisted_by_user", "variant"
        ).get(code=code, office__in=overseen_offices(user))
    except Application.DoesNotExist as exc:
        raise Http404("Permohonan tidak ditemukan.") from exc


def case_facts(application: Application) -> dict:
    """What the read-only case page shows, with the officer's case page's own selectors
    (checklist, deadlines, letters, history); no action, form or file link, and the NIK and
    KK masked, no phone, email or address."""
    application = application_detail(application)
    (application,) = with_time_left([application], application.office)
    return {
        "application": application,
        "statuses": requirement_statuses(application),
        "deadlines": [
            ("Hari 1 — diarsipkan", application.archive_due, application.archived_at),
            ("Hari 2 — diverifikasi RT", application.verify_due, application.verified_at),
            ("Hari 3 — surat terbit", application.issue_due, application.issued_at),
        ],
        "letters": letters_for_case(application),
        # Oversight needs no identity numbers or contacts (UU PDP data minimisation).
        "masked_nik": mask_nik(application.nik),
        "masked_kk": mask_nik(application.kk_number) if application.kk_number else "",
    }


OPEN_CASES_SHOWN = 20


def open_cases_by_deadline(office: Office, *, limit: int = OPEN_CASES_SHOWN) -> list[Application]:
    """The office's open cases, nearest milestone deadline first (overdue ones on top), for
    the drill-down from an office to a case: codes, services and states only, no names (the
    case page, which shows them, is access-logged). One query on ``application_open_queue``."""
    return list(
        Application.objects.filter(office=office, is_open=True)
        .select_related("service")
        .only("code", "state", "queue_due", "service__name", "office_id")
        .order_by("queue_due", "id")[:limit]
    )
