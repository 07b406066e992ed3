"""Issue 12's budget for the list pages: templates rendered and queries do not grow with rows.

The test client records every template rendered, each ``{% include %}`` included, so a row
partial rendered per row shows up as one more template per row.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from services.models import Application
from services.workflow import S
from tests.factories import case_in, received_in_bulk
from verification import workflow

# Session renewals (once a minute) are not the page's queries: tests/conftest.py.
pytestmark = pytest.mark.usefixtures("session_clock_stopped")

# The page, base and nav: the filter form writes its widgets in Python (services.forms
# PlainSelect), the rows are written out in the page.
QUEUE_TEMPLATES = 3
RT_LIST_TEMPLATES = 3


def cost(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries), len(response.templates), response


@pytest.mark.django_db
def test_the_queue_renders_the_same_templates_and_queries_for_5_and_50_rows(
    officer_client, officer, rt1, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)  # no session renewal in between
    url = reverse("services:queue")
    due = timezone.now() + timedelta(hours=5)
    received_in_bulk(5, officer=officer, rt=rt1, due=due)
    officer_client.get(url)
    small = cost(officer_client, url)
    Application.objects.filter(code__startswith="BLK-").delete()
    received_in_bulk(60, officer=officer, rt=rt1, due=due)
    big = cost(officer_client, url)
    assert big[2].content.decode().count('data-label="Kode"') == 50
    assert small[:2] == big[:2]
    assert big[1] <= QUEUE_TEMPLATES, [t.name for t in big[2].templates]


@pytest.mark.django_db
def test_the_rt_chair_list_renders_the_same_templates_and_queries_for_1_and_8_requests(
    client, officer, rt1, rt_chair
):
    url = reverse("verification:rt_home")
    client.force_login(rt_chair)

    def send(n, start):
        for i in range(start, start + n):
            case = case_in(S.ARCHIVED, officer=officer, rt=rt1, nik=f"32710101019001{i:02d}")
            workflow.application_send_to_rt(application=case, by=officer)

    send(1, 0)
    client.get(url)
    small = cost(client, url)
    send(7, 1)
    big = cost(client, url)
    assert big[2].content.decode().count('class="card request-row"') == 8
    assert small[:2] == big[:2]
    assert big[1] <= RT_LIST_TEMPLATES, [t.name for t in big[2].templates]
