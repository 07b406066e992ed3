"""Issue 12's budget for the notifications page: templates rendered and queries do not grow
with the member's notifications (5 or 50 shown, a longer history behind them)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from services.models import Notification

# Session renewals (once a minute) are not the page's queries: tests/conftest.py.
pytestmark = pytest.mark.usefixtures("session_clock_stopped")

# The page, base and nav; every note is written out in the page.
NOTIFICATION_TEMPLATES = 3


def cost(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries), len(response.templates), response


def notes(user, start, n, case=None):
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            key=f"test:{i}",
            kind="breach",
            application=case,
            message=f"Permohonan ke-{i} lewat tenggat.",
            url="/permohonan/",
            read_at=timezone.now() if i % 2 else None,
        )
        for i in range(start, start + n)
    )


@pytest.mark.django_db
def test_the_notifications_page_renders_the_same_templates_and_queries_for_5_and_50_notes(
    officer_client, officer, rt1, time_machine
):
    from tests.factories import case_in

    time_machine.move_to(timezone.now(), tick=False)  # no session renewal in between
    url = reverse("services:notifications")
    case = case_in("received", officer=officer, rt=rt1)
    notes(officer, 0, 5, case)
    officer_client.get(url)
    small = cost(officer_client, url)
    notes(officer, 5, 145, case)  # 150 in all: the page shows the newest 100
    big = cost(officer_client, url)
    assert small[2].content.decode().count('class="card note ') == 5
    assert big[2].content.decode().count('class="card note ') == 100
    assert small[:2] == big[:2]
    assert big[1] <= NOTIFICATION_TEMPLATES, [t.name for t in big[2].templates]
