"""The SLA calendar: working days, deadlines, office hours and the "time left" labels."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kelurahan.models import OfficeClosedDay
from services import sla
from services.sla import DUE_TODAY, ON_TIME, OVERDUE, TimeLeft, WorkingCalendar, time_left
from tests.factories import OfficeFactory

WIB = ZoneInfo("Asia/Jakarta")

pytestmark = pytest.mark.django_db


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


def close(year: int, month: int, day: int) -> datetime:
    return wib(year, month, day, 16)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(OfficeFactory(code="BKS", name="Bukit Sangkal"))


# --- working days ---------------------------------------------------------------------------


def test_weekdays_are_working_days_and_weekends_are_not(calendar):
    assert calendar.is_working_day(date(2026, 11, 20))  # Friday
    assert not calendar.is_working_day(date(2026, 11, 21))  # Saturday
    assert not calendar.is_working_day(date(2026, 11, 22))  # Sunday


def test_christmas_and_its_cuti_bersama_are_not_working_days(calendar):
    assert not calendar.is_working_day(date(2026, 12, 24))  # cuti bersama
    assert not calendar.is_working_day(date(2026, 12, 25))  # Christmas Day
    assert calendar.is_working_day(date(2026, 12, 23))


def test_next_working_day_is_strictly_after_the_given_day(calendar):
    assert calendar.next_working_day(date(2026, 11, 23)) == date(2026, 11, 24)
    assert calendar.next_working_day(date(2026, 11, 20)) == date(2026, 11, 23)


def test_day_close_is_an_aware_jakarta_datetime_at_office_close(calendar):
    closing = calendar.day_close(date(2026, 11, 20))
    assert closing == datetime(2026, 11, 20, 9, tzinfo=UTC)
    assert closing.utcoffset() == timedelta(hours=7)


# --- deadlines ------------------------------------------------------------------------------


def test_deadlines_of_a_friday_application_skip_the_weekend(calendar):
    assert calendar.deadlines(wib(2026, 11, 20, 10)) == (
        close(2026, 11, 20),
        close(2026, 11, 23),
        close(2026, 11, 24),
    )


def test_an_application_received_after_the_cutoff_starts_the_next_working_day(calendar):
    assert calendar.start_day(wib(2026, 11, 23, 15)) == date(2026, 11, 24)
    assert calendar.deadlines(wib(2026, 11, 23, 15)) == (
        close(2026, 11, 24),
        close(2026, 11, 25),
        close(2026, 11, 26),
    )


def test_an_application_received_exactly_at_the_cutoff_starts_the_same_day(calendar):
    assert calendar.start_day(wib(2026, 11, 23, 14)) == date(2026, 11, 23)


def test_an_application_received_on_a_saturday_starts_on_monday(calendar):
    assert calendar.deadlines(wib(2026, 11, 21, 9)) == (
        close(2026, 11, 23),
        close(2026, 11, 24),
        close(2026, 11, 25),
    )


def test_deadlines_across_christmas_skip_cuti_bersama_christmas_and_the_weekend(calendar):
    assert calendar.deadlines(wib(2026, 12, 23, 10)) == (
        close(2026, 12, 23),
        close(2026, 12, 28),
        close(2026, 12, 29),
    )


def test_the_received_time_is_read_in_jakarta_whatever_its_zone(calendar):
    # 03:00 UTC is 10:00 WIB (before the cut-off); 08:00 UTC is 15:00 WIB (after it).
    assert calendar.start_day(datetime(2026, 11, 23, 3, tzinfo=UTC)) == date(2026, 11, 23)
    assert calendar.start_day(datetime(2026, 11, 23, 8, tzinfo=UTC)) == date(2026, 11, 24)


def test_the_cutoff_comes_from_the_settings(calendar, settings):
    settings.SLA_CUTOFF = "12:00"
    assert WorkingCalendar(calendar.office).start_day(wib(2026, 11, 23, 13)) == date(2026, 11, 24)


def test_an_office_closed_day_shifts_its_deadlines_but_not_another_offices():
    office = OfficeFactory(code="BKS", name="Bukit Sangkal")
    other = OfficeFactory(code="KBR", name="Kober")
    OfficeClosedDay.objects.create(office=office, date=date(2026, 11, 24), reason="Rapat kota")
    monday = wib(2026, 11, 23, 10)

    assert sla.deadlines(office, monday) == (
        close(2026, 11, 23),
        close(2026, 11, 25),
        close(2026, 11, 26),
    )
    assert sla.deadlines(other, monday) == (
        close(2026, 11, 23),
        close(2026, 11, 24),
        close(2026, 11, 25),
    )


def test_a_new_calendar_sees_a_closed_day_added_after_an_earlier_calendar(calendar):
    assert calendar.is_working_day(date(2026, 11, 24))
    OfficeClosedDay.objects.create(office=calendar.office, date=date(2026, 11, 24), reason="Banjir")
    assert not WorkingCalendar(calendar.office).is_working_day(date(2026, 11, 24))


def test_the_calendar_reads_closed_days_with_one_query_for_many_dates(
    calendar, django_assert_max_num_queries
):
    OfficeClosedDay.objects.create(
        office=calendar.office, date=date(2026, 11, 24), reason="Rapat kota"
    )
    received = [wib(2026, 1, 5, 9) + timedelta(days=7 * week, hours=week) for week in range(50)]
    now = wib(2026, 12, 31, 12)
    with django_assert_max_num_queries(1):
        fresh = WorkingCalendar(calendar.office)
        for moment in received:
            archive_due, verify_due, issue_due = fresh.deadlines(moment)
            time_left(fresh, issue_due, now=now)
        assert not fresh.is_working_day(date(2026, 11, 24))


# --- working hours --------------------------------------------------------------------------


def test_working_seconds_across_a_night_count_only_office_hours(calendar):
    # Thursday 15:00 → Friday 09:00: one hour on Thursday, one on Friday.
    assert calendar.working_seconds_between(wib(2026, 11, 19, 15), wib(2026, 11, 20, 9)) == 7200


def test_working_seconds_across_a_weekend_skip_saturday_and_sunday(calendar):
    # Friday 15:00 → Monday 09:00: one hour on Friday, one on Monday.
    assert calendar.working_seconds_between(wib(2026, 11, 20, 15), wib(2026, 11, 23, 9)) == 7200


def test_working_seconds_of_a_whole_working_day_are_the_office_hours(calendar):
    assert calendar.working_seconds_between(wib(2026, 11, 23), wib(2026, 11, 24)) == 8 * 3600


def test_working_seconds_are_zero_when_the_end_is_not_after_the_start(calendar):
    assert calendar.working_seconds_between(wib(2026, 11, 23, 12), wib(2026, 11, 23, 10)) == 0
    assert calendar.working_seconds_between(wib(2026, 11, 23, 12), wib(2026, 11, 23, 12)) == 0


def test_working_days_late_counts_working_days_after_the_due_date(calendar):
    due = close(2026, 11, 20)  # Friday
    assert calendar.working_days_late(due, wib(2026, 11, 20, 17)) == 1
    assert calendar.working_days_late(due, wib(2026, 11, 21, 10)) == 1  # Saturday
    assert calendar.working_days_late(due, wib(2026, 11, 23, 10)) == 1  # Monday
    assert calendar.working_days_late(due, wib(2026, 11, 24, 10)) == 2  # Tuesday


# --- time left ------------------------------------------------------------------------------


def test_time_left_on_time_in_working_hours_when_less_than_a_day_remains(calendar):
    # Friday 14:00 → Monday 11:00: two office hours on Friday and three on Monday.
    left = time_left(calendar, wib(2026, 11, 23, 11), now=wib(2026, 11, 20, 14))
    assert left == TimeLeft(ON_TIME, "sisa 5 jam kerja")


def test_time_left_on_time_in_working_days_when_a_day_or_more_remains(calendar):
    _, _, issue_due = calendar.deadlines(wib(2026, 11, 20, 10))  # Tuesday 24 Nov
    left = time_left(calendar, issue_due, now=wib(2026, 11, 20, 11))
    assert left == TimeLeft(ON_TIME, "sisa 2 hari kerja")


def test_time_left_due_today_rounds_remaining_hours_up(calendar):
    due = close(2026, 11, 23)
    assert time_left(calendar, due, now=wib(2026, 11, 23, 13)) == TimeLeft(
        DUE_TODAY, "jatuh tempo hari ini, sisa 3 jam kerja"
    )
    assert time_left(calendar, due, now=wib(2026, 11, 23, 12, 30)) == TimeLeft(
        DUE_TODAY, "jatuh tempo hari ini, sisa 4 jam kerja"
    )


def test_time_left_due_today_with_less_than_an_hour_says_so(calendar):
    left = time_left(calendar, close(2026, 11, 23), now=wib(2026, 11, 23, 15, 30))
    assert left == TimeLeft(DUE_TODAY, "jatuh tempo hari ini, sisa kurang dari 1 jam kerja")


def test_time_left_overdue_on_the_due_date_counts_clock_hours_rounded_up(calendar):
    due = close(2026, 11, 23)
    assert time_left(calendar, due, now=wib(2026, 11, 23, 16, 1)) == TimeLeft(
        OVERDUE, "terlambat 1 jam"
    )
    assert time_left(calendar, due, now=wib(2026, 11, 23, 18, 30)) == TimeLeft(
        OVERDUE, "terlambat 3 jam"
    )


def test_time_left_overdue_after_the_due_date_counts_working_days(calendar):
    due = close(2026, 11, 20)  # Friday
    assert time_left(calendar, due, now=wib(2026, 11, 21, 10)) == TimeLeft(
        OVERDUE, "terlambat 1 hari kerja"
    )
    assert time_left(calendar, due, now=wib(2026, 11, 24, 10)) == TimeLeft(
        OVERDUE, "terlambat 2 hari kerja"
    )


def test_time_left_compares_local_dates_for_a_now_in_another_zone(calendar):
    # 06:00 UTC is 13:00 WIB on the due date.
    left = time_left(calendar, close(2026, 11, 23), now=datetime(2026, 11, 23, 6, tzinfo=UTC))
    assert left == TimeLeft(DUE_TODAY, "jatuh tempo hari ini, sisa 3 jam kerja")


def test_time_left_without_now_uses_the_current_time(calendar, time_machine):
    time_machine.move_to(wib(2026, 11, 23, 13), tick=False)
    left = time_left(calendar, close(2026, 11, 23))
    assert left == TimeLeft(DUE_TODAY, "jatuh tempo hari ini, sisa 3 jam kerja")
