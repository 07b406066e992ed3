"""The numbers of the supervisor's charts: one aggregate query each, for offices and dates.

Every function takes ``offices`` (one Office, or several: the camat's and the city's pages
put offices side by side) and, where it has one, a ``DateRange``; none of them draws
anything (``services.svg_charts`` does, ``services.chart_page`` puts both on the page). The
cost of each is one SQL statement whatever the number of cases, on an index that fits
(measured at 100,000 cases: README, Performance):

- on time per week: letters due in the range, each row put in its week by a CASE over the
  week boundaries (``application_office_issue_due``);
- time per stage: the working seconds stored per stage (``services.sla.stages``) of the
  letters issued in the range, summed per service (``application_office_issued``);
- breaches per RT and per officer: ``SlaBreach`` rows of the office whose milestone fell due
  in the range (``slabreach_office_due``: the breach carries its office and its case's RT, so
  the office's cases are not walked, nor each breach's case looked up for its RT); "officer"
  is the officer who recorded the case at intake (``Application.received_by``), the one
  holding it at the office;
- open cases and open complaints by age in working days, now: the age boundaries are worked
  out from each office's calendar in Python (a dozen dates), then counted in one query on
  the waiting states only (``application_by_state``, ``complaint_by_state``);
- IKM per month: the element sums per month (``survey_office_period``) through the very
  ``ikm_from_sums`` the SKM report (/skm/) uses.

A daily rollup table was not needed: each query reads only the rows of its range.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from kelurahan.models import Office
from services.models import (
    Application,
    ApplicationState,
    Complaint,
    Milestone,
    SlaBreach,
    SurveyResponse,
)
from services.models.complaints import COMPLAINT_OPEN_STATES
from services.sla.calendar import HOUR, WorkingCalendar, calendars_for
from services.sla.stages import STAGES
from services.survey import ELEMENT_CODES, IkmResult, ikm_from_sums

S = ApplicationState
# Not counted in the on-time share: closed without a letter, or waiting on the applicant
# (their clock is stopped, and resubmit sets new deadlines).
NO_LETTER_DUE = [S.CANCELLED, S.REJECTED, S.INCOMPLETE]
# Open and the letter not issued yet: what the open-cases-by-age chart counts.
WAITING_FOR_LETTER = [S.RECEIVED, S.INCOMPLETE, S.ARCHIVED, S.IN_VERIFICATION, S.VERIFIED]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def short_day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def long_day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class DateRange:
    """The days ``start`` … ``end``, both included, in the office's local time."""

    start: date
    end: date

    @classmethod
    def default(cls, today: date) -> DateRange:
        """The last eight weeks: from Monday seven weeks ago up to today."""
        monday = today - timedelta(days=today.weekday())
        return cls(monday - timedelta(weeks=7), today)

    @property
    def label(self) -> str:
        return f"{long_day(self.start)} – {long_day(self.end)}"

    @property
    def key(self) -> str:
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"

    def bounds(self) -> tuple[datetime, datetime]:
        """``[start 00:00, the day after end 00:00)``, aware, local time."""
        tz = timezone.get_default_timezone()
        return (
            datetime.combine(self.start, time.min, tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tz),
        )

    def weeks(self) -> list[date]:
        """The Monday of every ISO week the range touches."""
        monday = self.start - timedelta(days=self.start.weekday())
        weeks = []
        while monday <= self.end:
            weeks.append(monday)
            monday += timedelta(weeks=1)
        return weeks

    def months(self) -> list[date]:
        """The first day of every month the range touches."""
        month = self.start.replace(day=1)
        months = []
        while month <= self.end:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months


def office_list(offices: Office | Iterable[Office]) -> list[Office]:
    return [offices] if isinstance(offices, Office) else list(offices)


def _in_range(field_name: str, period: DateRange) -> Q:
    start, stop = period.bounds()
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": stop})


# --- on time per week ---------------------------------------------------------------------------
@dataclass(frozen=True)
class WeekShare:
    week: date  # its Monday
    due: int  # letters due (issue_due) in the week
    on_time: int  # issued by their deadline
    late: int  # issued after it, or not issued and the deadline passed
    pending: int  # not issued, the deadline still ahead

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def share(self) -> float | None:
        """Percent on time of the letters whose fate is known (None: none yet)."""
        return 100 * self.on_time / self.decided if self.decided else None


def _bucket(field_name: str, starts: list[datetime]) -> Case:
    """The index of the bucket (week, month) a row's ``field_name`` falls in, worked out in
    SQL from the buckets' first moments (no per-row date function: SQLite's would run in
    Python, once per row)."""
    whens = [
        When(**{f"{field_name}__lt": start}, then=Value(i - 1))
        for i, start in enumerate(starts[1:], start=1)
    ]
    return Case(*whens, default=Value(len(starts) - 1), output_field=IntegerField())


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.get_default_timezone())


def on_time_by_week(offices, period: DateRange, now: datetime) -> list[WeekShare]:
    """Per ISO week of the letters' deadline (day 3): due, on time, late, still pending."""
    weeks = period.weeks()
    issued, not_issued = Q(issued_at__isnull=False), Q(issued_at__isnull=True)
    rows = (
        Application.objects.filter(_in_range("issue_due", period), office__in=office_list(offices))
        .exclude(state__in=NO_LETTER_DUE)
        .annotate(week=_bucket("issue_due", [_midnight(w) for w in weeks]))
        .values("week")
        .annotate(
            due=Count("id"),
            on_time=Count("id", filter=issued & Q(issued_at__lte=F("issue_due"))),
            late=Count(
                "id",
                filter=(issued & Q(issued_at__gt=F("issue_due")))
                | (not_issued & Q(issue_due__lt=now)),
            ),
        )
        .order_by()
    )
    found = {row["week"]: row for row in rows}
    result = []
    for i, monday in enumerate(weeks):
        row = found.get(i, {"due": 0, "on_time": 0, "late": 0})
        pending = row["due"] - row["on_time"] - row["late"]
        result.append(WeekShare(monday, row["due"], row["on_time"], row["late"], pending))
    return result


# --- time per stage -----------------------------------------------------------------------------
@dataclass(frozen=True)
class StageTimes:
    label: str  # the service's name, or "Semua layanan"
    code: str
    letters: int  # letters issued in the range
    seconds: dict[str, int] = field(default_factory=dict)  # stage key -> sum of working seconds
    counted: dict[str, int] = field(default_factory=dict)  # stage key -> cases with a time

    def hours(self, stage: str) -> float | None:
        """Mean working hours of ``stage`` (None: no case of this row has that stage timed)."""
        n = self.counted.get(stage, 0)
        return self.seconds.get(stage, 0) / n / HOUR if n else None

    @property
    def total_hours(self) -> float:
        return sum(self.hours(stage.key) or 0 for stage in STAGES)


def stage_hours_by_service(offices, period: DateRange) -> list[StageTimes]:
    """Mean working hours of each stage, per service, over the letters issued in the range;
    the last row is every service together."""
    aggregates = {}
    for stage in STAGES:
        aggregates[f"{stage.key}_sum"] = Sum(stage.field)
        aggregates[f"{stage.key}_n"] = Count(stage.field)
    rows = (
        Application.objects.filter(_in_range("issued_at", period), office__in=office_list(offices))
        .values("service__code", "service__name")
        .annotate(letters=Count("id"), **aggregates)
        .order_by("service__code")
    )
    result = [
        StageTimes(
            label=row["service__name"],
            code=row["service__code"],
            letters=row["letters"],
            seconds={s.key: row[f"{s.key}_sum"] or 0 for s in STAGES},
            counted={s.key: row[f"{s.key}_n"] for s in STAGES},
        )
        for row in rows
    ]
    result.append(
        StageTimes(
            label="Semua layanan",
            code="",
            letters=sum(r.letters for r in result),
            seconds={s.key: sum(r.seconds[s.key] for r in result) for s in STAGES},
            counted={s.key: sum(r.counted[s.key] for r in result) for s in STAGES},
        )
    )
    return result


# --- breaches per RT and per officer ------------------------------------------------------------
@dataclass(frozen=True)
class BreachCount:
    label: str
    by_milestone: dict[str, int]  # Milestone value -> breaches

    @property
    def total(self) -> int:
        return sum(self.by_milestone.values())


def _breach_rows(offices, period: DateRange, keys: list[str], label) -> list[BreachCount]:
    rows = (
        SlaBreach.objects.filter(_in_range("due", period), office__in=office_list(offices))
        .values(*keys, "milestone")
        .annotate(n=Count("id"))
        .order_by()
    )
    grouped: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        entry = grouped.setdefault(
            key, {"label": label(row), "counts": dict.fromkeys(Milestone.values, 0)}
        )
        entry["counts"][row["milestone"]] += row["n"]
    counts = [BreachCount(e["label"], e["counts"]) for e in grouped.values()]
    return sorted(counts, key=lambda c: (-c.total, c.label))


def breaches_by_rt(offices, period: DateRange) -> list[BreachCount]:
    """SLA breaches due in the range, per RT of the case, most first."""
    several = len(office_list(offices)) > 1
    # The breach carries its case's RT and office: grouped on (office, due) rows joined to
    # the few RT, RW and office rows, no case looked up per breach.
    keys = ["rt_id", "rt__number", "rt__rw__number", "office__code"]

    def label(row) -> str:
        rt = f"RT {row['rt__number']:03d}/RW {row['rt__rw__number']:03d}"
        return f"{row['office__code']} {rt}" if several else rt

    return _breach_rows(offices, period, keys, label)


def breaches_by_officer(offices, period: DateRange) -> list[BreachCount]:
    """SLA breaches due in the range, per officer who recorded the case, most first."""
    keys = [
        "application__received_by_id",
        "application__received_by__first_name",
        "application__received_by__last_name",
        "application__received_by__username",
    ]

    def label(row) -> str:
        name = " ".join(
            part
            for part in (
                row["application__received_by__first_name"],
                row["application__received_by__last_name"],
            )
            if part
        )
        return name or row["application__received_by__username"]

    return _breach_rows(offices, period, keys, label)


# --- age in working days ------------------------------------------------------------------------
@dataclass(frozen=True)
class AgeBin:
    low: int
    high: int | None  # None: and older
    label: str
    count: int = 0


# Working days since the day it came in (0: came in today or since the last working day).
AGE_BINS = [
    (0, 0, "0"),
    (1, 1, "1"),
    (2, 2, "2"),
    (3, 3, "3"),
    (4, 5, "4–5"),
    (6, 10, "6–10"),
    (11, None, "> 10"),
]
OLDEST_EDGE = 10  # the boundaries reach back to working day 10 before today


def age_in_working_days(calendar: WorkingCalendar, since: datetime, now: datetime) -> int:
    """Working days after the local date of ``since`` up to and including today."""
    return calendar.working_days_between(calendar.local(since).date(), calendar.local(now).date())


def _age_filters(calendars: dict[int, WorkingCalendar], field_name: str, now: datetime) -> dict:
    """One filter per bin: office by office, the moments the bin's ages begin and end.

    An item is ``k`` working days old when it came in on or after working day ``W[k]`` and
    before ``W[k-1]``, where ``W[0]`` is the latest working day up to today and ``W[k]`` the
    k-th working day before it (local midnights).
    """
    filters: dict[str, list[Q]] = {f"b{i}": [] for i in range(len(AGE_BINS))}
    for office_id, calendar in calendars.items():
        days = calendar.working_days_before(calendar.local(now).date(), OLDEST_EDGE)
        edge = [datetime.combine(d, time.min, calendar.tz) for d in days]
        for i, (low, high, _label) in enumerate(AGE_BINS):
            q = Q(office_id=office_id)
            if high is not None:
                q &= Q(**{f"{field_name}__gte": edge[high]})
            if low > 0:
                q &= Q(**{f"{field_name}__lt": edge[low - 1]})
            filters[f"b{i}"].append(q)
    return {key: reduce(or_, qs) for key, qs in filters.items() if qs}


def _age_bins(queryset, calendars, field_name: str, now: datetime) -> list[AgeBin]:
    filters = _age_filters(calendars, field_name, now)
    if not filters:
        return [AgeBin(low, high, label) for low, high, label in AGE_BINS]
    counts = queryset.aggregate(**{key: Count("id", filter=q) for key, q in filters.items()})
    return [
        AgeBin(low, high, label, counts[f"b{i}"]) for i, (low, high, label) in enumerate(AGE_BINS)
    ]


def open_cases_by_age(offices, now: datetime, calendars=None) -> list[AgeBin]:
    """Open cases whose letter is not issued yet, now, by working days since they were
    received (incomplete ones included: the resident is still waiting; issued ones waiting
    for pickup left out: the office's part is done)."""
    offices = office_list(offices)
    calendars = calendars or calendars_for(offices)
    # The states listed (not "open but issued"): (office, state IN …) walks only those rows.
    cases = Application.objects.filter(office__in=offices, state__in=WAITING_FOR_LETTER)
    return _age_bins(cases, calendars, "received_at", now)


def open_complaints_by_age(offices, now: datetime, calendars=None) -> list[AgeBin]:
    """Complaints still waiting for the office (received or verified) now, by working days
    since they came in."""
    offices = office_list(offices)
    calendars = calendars or calendars_for(offices)
    complaints = Complaint.objects.filter(office__in=offices, state__in=COMPLAINT_OPEN_STATES)
    return _age_bins(complaints, calendars, "received_at", now)


# --- IKM per month ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MonthIkm:
    month: date  # its first day
    result: IkmResult

    @property
    def ikm(self):
        """The IKM as /skm/ prints it (two decimals, half up), None without respondents."""
        return self.result.ikm_rounded


def ikm_by_month(offices, period: DateRange) -> list[MonthIkm]:
    """The IKM (PermenPANRB 14/2017) of the responses in the range, month by month; the first
    and last month count only their days inside the range."""
    months = period.months()
    rows = (
        SurveyResponse.objects.filter(
            _in_range("created_at", period), office__in=office_list(offices)
        )
        .annotate(month=_bucket("created_at", [_midnight(m) for m in months]))
        .values("month")
        .annotate(n=Count("id"), **{code: Sum(code) for code in ELEMENT_CODES})
        .order_by()
    )
    found = {row["month"]: row for row in rows}
    result = []
    for i, first in enumerate(months):
        row = found.get(i)
        if row is None:
            ikm_result = ikm_from_sums(0, [0] * len(ELEMENT_CODES))
        else:
            ikm_result = ikm_from_sums(row["n"], [row[code] for code in ELEMENT_CODES])
        result.append(MonthIkm(first, ikm_result))
    return result
