"""The dashboard's month counts agree with a naive count, whatever query computes them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.models import Application, Milestone
from services.sla.reports import dashboard_numbers
from tests.factories import ApplicationFactory

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=WIB)
MONTH_START = datetime(2026, 11, 1, tzinfo=WIB)
FIELDS = {"archive": "archive_due", "verify": "verify_due", "issue": "issue_due"}


@pytest.mark.django_db
def test_milestones_due_this_month_match_a_naive_count(officer, rt1, time_machine):
    time_machine.move_to(NOW - timedelta(days=40), tick=False)
    other = ApplicationFactory(nik="3271010101900099")  # another office: never counted
    cases = [
        ApplicationFactory(officer=officer, rt=rt1, nik=f"32710101019000{i:02d}") for i in range(6)
    ]
    # Each case gets its own mix: this month, before it, after now, or none.
    moments = [
        MONTH_START - timedelta(hours=1),
        MONTH_START,
        NOW - timedelta(days=3),
        NOW,
        NOW + timedelta(hours=1),
        None,
    ]
    for i, case in enumerate(cases):
        Application.objects.filter(pk=case.pk).update(
            archive_due=moments[i % 6],
            verify_due=moments[(i + 2) % 6],
            issue_due=moments[(i + 4) % 6],
        )
    Application.objects.filter(pk=other.pk).update(
        archive_due=NOW - timedelta(days=1), verify_due=NOW, issue_due=NOW
    )

    numbers = dashboard_numbers(officer.membership.office, NOW)

    due = {m.value: row["due"] for m, row in zip(Milestone, numbers["milestones"], strict=True)}
    mine = Application.objects.filter(office=officer.membership.office)
    for milestone, field in FIELDS.items():
        naive = sum(
            1
            for value in mine.values_list(field, flat=True)
            if value is not None and MONTH_START <= value <= NOW
        )
        # MONTH_START, three days ago and now are in the month; each field takes each moment once.
        assert due[milestone] == naive == 3, milestone
