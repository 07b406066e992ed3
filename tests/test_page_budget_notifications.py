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

# The page, its Jinja2 body (the list), base and nav; every note is written out in the body.
NOTIFICATION_TEMPLATES = 4


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


def _bell_page_sql(officer) -> str:
    from services.selectors import notifications_for

    with CaptureQueriesContext(connection) as queries:
        notifications_for(officer)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    return sql


@pytest.mark.django_db
def test_the_bell_page_reads_the_members_newest_notes_off_their_index(officer, other_officer):
    """SQLite: the page's query walks notification_recent in order, no sort of the member's
    whole history (a temp B-tree), so it stays flat however many notes they have."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's EXPLAIN QUERY PLAN; PostgreSQL's below")
    notes(officer, 0, 30)
    notes(other_officer, 0, 30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("EXPLAIN QUERY PLAN " + _bell_page_sql(officer))
        plan = " | ".join(row[-1] for row in cursor.fetchall())
    assert "USING INDEX notification_recent" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


@pytest.mark.django_db
def test_on_postgresql_the_bell_page_is_an_index_scan_without_a_sort(officer, other_officer):
    """PostgreSQL, with table scans and sorts priced out (the test tables are tiny, so the
    planner would rightly scan and sort them): the member's newest notes can come off an
    index in order; without one there is a Sort node over their whole history."""
    if connection.vendor != "postgresql":
        pytest.skip("the plan is read with PostgreSQL's EXPLAIN")
    notes(officer, 0, 30)
    notes(other_officer, 0, 30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE services_notification")
        for kind in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{kind} = off")
        cursor.execute("EXPLAIN " + _bell_page_sql(officer))
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on services_notification" not in plan, plan
    assert "Sort" not in plan, plan
    assert "notification_recent" in plan, plan
