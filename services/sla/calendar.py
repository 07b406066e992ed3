"""The 3-working-day SLA: which days and hours an office works, deadlines, and time left.

Every application is due in three working days (day 1 archive, day 2 RT verification, day 3
letter issued). "Working" depends on three sources, combined here in one place so that the
deadlines stored on an application, the sweep job and the officers' lists all agree:

- the week: Monday to Friday, office hours from ``SLA_OFFICE_OPENS`` to ``SLA_OFFICE_CLOSES``;
- the national calendar: ``holidays.Indonesia`` public holidays plus the ``government``
  category (cuti bersama). It is immutable national data, so it is built once per year and
  cached for the life of the process;
- the office's own ``OfficeClosedDay`` rows. Those are mutable data, so a ``WorkingCalendar``
  reads them from the database (one query, on first need) and is meant to live for one request
  or one job run, never longer.

An application received after ``SLA_CUTOFF`` or on a closed day starts on the next working day.
All datetimes must be aware; they are converted to the project's local time (``TIME_ZONE``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from kelurahan.models import Office, OfficeClosedDay
from kelurahan.prepared import PreparedRows

ONE_DAY = timedelta(days=1)
HOUR = 3600
# Safety bound for the search of the next working day: a misconfigured calendar with no
# working day at all must fail loudly instead of looping forever.
MAX_CLOSED_STRETCH = 366

ON_TIME = "on_time"
DUE_TODAY = "due_today"
OVERDUE = "overdue"


# The office's closed days, read by the queue, the RT list and the case page on every visit:
# SQL compiled once per connection (kelurahan.prepared). No ORDER BY (the model orders by
# office name: a join for a set). An office pk no office has stands for the office's.
_closed_days = PreparedRows(
    OfficeClosedDay,
    lambda office_id: (
        OfficeClosedDay.objects.filter(office_id=office_id).order_by().values_list("date")
    ),
    office_id=-1_987_654_321,
)


@functools.cache
def national_holidays(year: int) -> frozenset[date]:
    """Indonesian public holidays and cuti bersama of one year (cached: national, immutable)."""
    calendar = holidays.Indonesia(categories=("public", "government"), years=year)
    return frozenset(calendar.keys())


def _parse_hhmm(name: str) -> time:
    value = getattr(settings, name)
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} must be a time HH:MM, got {value!r}.") from exc


class WorkingCalendar:
    """Working days and hours of one office.

    Build one per office per request (or job run) and ask it as many questions as needed: the
    office's closed days are loaded with a single query the first time a day is checked, so a
    list page that asks about 50 rows costs one query per office, whatever the dates.
    """

    def __init__(self, office: Office, closed_days: Iterable[date] | None = None) -> None:
        """``closed_days``: the office's closed days when the caller already read them (one
        query for many offices, ``calendars_for``; a migration's historical models)."""
        self.office = office
        self.tz: tzinfo = timezone.get_default_timezone()
        self.opens = _parse_hhmm("SLA_OFFICE_OPENS")
        self.closes = _parse_hhmm("SLA_OFFICE_CLOSES")
        self.cutoff = _parse_hhmm("SLA_CUTOFF")
        if self.opens >= self.closes:
            raise ImproperlyConfigured("SLA_OFFICE_OPENS must be before SLA_OFFICE_CLOSES.")
        self._closed_days: frozenset[date] | None = (
            frozenset(closed_days) if closed_days is not None else None
        )

    # --- days ------------------------------------------------------------------------------

    @property
    def closed_days(self) -> frozenset[date]:
        """The office's own closed days, all of them, read once (a few rows per year)."""
        if self._closed_days is None:
            rows = _closed_days.rows(office_id=self.office.pk)
            self._closed_days = frozenset(day for (day,) in rows)
        return self._closed_days

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday, not a national holiday or cuti bersama, not an office closed day."""
        if day.weekday() >= 5:
            return False
        if day in national_holidays(day.year):
            return False
        return day not in self.closed_days

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day
        for _ in range(MAX_CLOSED_STRETCH):
            candidate += ONE_DAY
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"No working day within {MAX_CLOSED_STRETCH} days after {day}.")

    def start_day(self, received_at: datetime) -> date:
        """Day 1 of the SLA: the local date if it is a working day and the time is at or
        before the cut-off; otherwise the next working day."""
        local = self.local(received_at)
        if self.is_working_day(local.date()) and local.time() <= self.cutoff:
            return local.date()
        return self.next_working_day(local.date())

    # --- times -----------------------------------------------------------------------------

    def local(self, value: datetime) -> datetime:
        """An aware datetime in the office's local time (naive datetimes are refused)."""
        return timezone.localtime(value, self.tz)

    def day_open(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, tzinfo=self.tz)

    def day_close(self, day: date) -> datetime:
        """The aware local datetime at which the office closes on ``day``."""
        return datetime.combine(day, self.closes, tzinfo=self.tz)

    @property
    def day_seconds(self) -> int:
        """Length of one office day in seconds (8 hours with the default settings)."""
        opens = datetime.combine(date.min, self.opens)
        return int((datetime.combine(date.min, self.closes) - opens).total_seconds())

    def deadlines(self, received_at: datetime) -> tuple[datetime, datetime, datetime]:
        """``(archive_due, verify_due, issue_due)``: office close of working days 1, 2 and 3,
        day 1 being ``start_day(received_at)``."""
        day1 = self.start_day(received_at)
        day2 = self.next_working_day(day1)
        day3 = self.next_working_day(day2)
        return self.day_close(day1), self.day_close(day2), self.day_close(day3)

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Seconds of office hours on working days within ``[start, end)``; 0 if end <= start."""
        start, end = self.local(start), self.local(end)
        if end <= start:
            return 0
        total = timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                overlap = min(end, self.day_close(day)) - max(start, self.day_open(day))
                total += max(overlap, timedelta())
            day += ONE_DAY
        return int(total.total_seconds())

    def working_days_before(self, day: date, count: int) -> list[date]:
        """The latest working day on or before ``day``, then the ``count`` working days
        before it, newest first (``count + 1`` days)."""
        days: list[date] = []
        candidate = day
        for _ in range(MAX_CLOSED_STRETCH * (count + 1)):
            if self.is_working_day(candidate):
                days.append(candidate)
                if len(days) == count + 1:
                    return days
            candidate -= ONE_DAY
        raise ValueError(f"No {count + 1} working days before {day}.")

    def working_days_between(self, after: date, until: date) -> int:
        """Number of working days ``d`` with ``after < d <= until``."""
        count = 0
        day = after + ONE_DAY
        while day <= until:
            count += self.is_working_day(day)
            day += ONE_DAY
        return count

    def working_days_late(self, due: datetime, now: datetime) -> int:
        """How many working days an overdue milestone is late: the working days after the due
        date up to and including today, at least 1 once ``now`` is past ``due`` (0 before).

        Due Friday 16:00: Friday evening, Saturday and Monday are 1 day late, Tuesday is 2.
        """
        if now <= due:
            return 0
        days = self.working_days_between(self.local(due).date(), self.local(now).date())
        return max(1, days)


def calendars_for(offices: Iterable[Office]) -> dict[int, WorkingCalendar]:
    """One calendar per office, their closed days read in one query (the charts of several
    offices side by side)."""
    offices = list(offices)
    closed: dict[int, list[date]] = {office.pk: [] for office in offices}
    rows = OfficeClosedDay.objects.filter(office__in=offices).values_list("office_id", "date")
    for office_id, day in rows:
        closed[office_id].append(day)
    return {office.pk: WorkingCalendar(office, closed[office.pk]) for office in offices}


def deadlines(office: Office, received_at: datetime) -> tuple[datetime, datetime, datetime]:
    """``(archive_due, verify_due, issue_due)`` of an application received at ``received_at``."""
    return WorkingCalendar(office).deadlines(received_at)


# --- time left, for the officers' pages ------------------------------------------------------


@dataclass(frozen=True)
class TimeLeft:
    """How a milestone stands: ``status`` for styling and sorting, ``label`` for people."""

    status: str  # ON_TIME | DUE_TODAY | OVERDUE
    label: str  # Indonesian, e.g. "sisa 2 hari kerja"


def _hours(seconds: float) -> int:
    """Whole hours, rounded up: 2 h 10 min counts as 3."""
    return math.ceil(seconds / HOUR)


def _remaining_hours_label(seconds: int) -> str:
    if seconds < HOUR:
        return "sisa kurang dari 1 jam kerja"
    return f"sisa {_hours(seconds)} jam kerja"


def time_left(calendar: WorkingCalendar, due: datetime, now: datetime | None = None) -> TimeLeft:
    """How much time is left before ``due`` (or how late it is), as seen at ``now``.

    The rules, in order (hours are always rounded up to whole hours):

    - ``overdue`` when ``now > due``:
      - on the due date itself: "terlambat N jam", N = clock hours since the deadline (the
        deadline is at office close, so office hours would always read 0);
      - from the next day on: "terlambat N hari kerja", N = ``working_days_late``.
    - ``due_today`` when ``due`` is later today: "jatuh tempo hari ini, sisa N jam kerja", N =
      remaining office hours, or "jatuh tempo hari ini, sisa kurang dari 1 jam kerja".
    - ``on_time`` otherwise: "sisa N jam kerja" while less than one office day of working time
      remains, else "sisa N hari kerja", N = working days after today up to the due date.
    """
    now = calendar.local(timezone.now() if now is None else now)
    due = calendar.local(due)
    if now > due:
        return _overdue(calendar, due, now)
    remaining = calendar.working_seconds_between(now, due)
    if due.date() == now.date():
        return TimeLeft(DUE_TODAY, f"jatuh tempo hari ini, {_remaining_hours_label(remaining)}")
    if remaining < calendar.day_seconds:
        return TimeLeft(ON_TIME, _remaining_hours_label(remaining))
    days = max(1, calendar.working_days_between(now.date(), due.date()))
    return TimeLeft(ON_TIME, f"sisa {days} hari kerja")


def _overdue(calendar: WorkingCalendar, due: datetime, now: datetime) -> TimeLeft:
    if due.date() == now.date():
        return TimeLeft(OVERDUE, f"terlambat {_hours((now - due).total_seconds())} jam")
    return TimeLeft(OVERDUE, f"terlambat {calendar.working_days_late(due, now)} hari kerja")


def time_left_at(
    calendar: WorkingCalendar, now: datetime | None = None
) -> Callable[[datetime], TimeLeft]:
    """``time_left(calendar, due, now)`` for the many rows of one list at one moment, each
    distinct ``due`` worked out once: deadlines are office closes of a few working days (and
    the queue's ``queue_due`` one of them), so 50 rows ask a handful of questions."""
    now = timezone.now() if now is None else now
    return functools.cache(lambda due: time_left(calendar, due, now))
