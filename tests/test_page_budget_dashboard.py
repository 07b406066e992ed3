"""Issue 12's budget for the dashboard: its queries and templates do not grow with the
office's cases (its aggregates are one query each, whatever the number of cases)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from services.models import Application
from services.workflow import S
from tests.factories import case_in, log_in, received_in_bulk

# Session renewals (once a minute) are not the page's queries: tests/conftest.py.
pytestmark = pytest.mark.usefixtures("session_clock_stopped")

# The page, its Jinja2 body, base and nav.
DASHBOARD_TEMPLATES = 4
# Session, user, TOTP device, membership, bell, the aggregates (5) and the unrendered count.
DASHBOARD_QUERIES = 11


def cost(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries), len(response.templates), response


@pytest.mark.django_db
def test_the_dashboard_runs_the_same_queries_and_templates_for_5_and_60_cases(
    client, supervisor, officer, rt1, rt2, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)  # no session renewal in between
    log_in(client, supervisor)
    url = reverse("services:dashboard")
    overdue = timezone.now() - timedelta(hours=5)
    received_in_bulk(5, officer=officer, rt=rt1, due=overdue)
    case_in(S.IN_VERIFICATION, officer=officer, rt=rt1, nik="3271010101900201")
    client.get(url)
    small = cost(client, url)
    Application.objects.filter(code__startswith="BLK-").delete()
    received_in_bulk(60, officer=officer, rt=rt1, due=overdue)
    for i in range(3):
        case_in(S.IN_VERIFICATION, officer=officer, rt=rt2, nik=f"327101010190030{i}")
    big = cost(client, url)
    assert "<h1>Dasbor layanan</h1>" in big[2].content.decode()
    assert small[:2] == big[:2]
    assert big[0] <= DASHBOARD_QUERIES
    assert big[1] <= DASHBOARD_TEMPLATES, [t.name for t in big[2].templates]
