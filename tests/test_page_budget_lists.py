"""Issue 12's budget for the list pages: templates rendered and queries do not grow with rows.

The test client records every template rendered, each ``{% include %}`` included, so a row
partial rendered per row shows up as one more template per row.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kelurahan.models import RT, OfficeClosedDay
from services.models import Application, Service
from services.sla import WorkingCalendar, national_holidays, time_left
from services.sla.calendar import time_left_at
from services.workflow import S
from tests.factories import OfficeFactory, RTFactory, RWFactory, case_in, received_in_bulk
from verification import workflow

# Session renewals (once a minute) are not the page's queries: tests/conftest.py.
pytestmark = pytest.mark.usefixtures("session_clock_stopped")

# The page, its Jinja2 body (kelurahan.jinja), base and nav: the filter form writes its widgets
# in Python (services.forms PlainSelect), the rows are written out in the body.
QUEUE_TEMPLATES = 4
RT_LIST_TEMPLATES = 4


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


@pytest.mark.django_db
def test_the_rt_chair_list_shows_50_waiting_requests_a_page_the_most_urgent_first(
    client, officer, rt1, rt_chair
):
    """A chair with more requests waiting than a page holds sees the 50 due soonest, the count
    of all of them (heading and menu badge), and a next page with the rest."""
    from verification.models import VerificationRequest
    from verification.selectors import CHAIR_PAGE_SIZE

    now = timezone.now()
    cases = received_in_bulk(55, officer=officer, rt=rt1, due=now + timedelta(hours=5))
    for i, case in enumerate(cases):  # case i is due i hours from now: BLK-000000 first
        Application.objects.filter(pk=case.pk).update(
            state=S.IN_VERIFICATION, verify_due=now + timedelta(hours=i)
        )
    VerificationRequest.objects.bulk_create(
        VerificationRequest(application=case, rt=rt1, created_by=officer) for case in cases
    )
    client.force_login(rt_chair)
    url = reverse("verification:rt_home")

    first = client.get(url).content.decode()
    assert CHAIR_PAGE_SIZE == 50
    assert first.count('class="card request-row"') == 50
    assert '<span class="count">55</span>' in first  # the heading counts all that wait
    assert 'aria-label="55 menunggu"' in first  # and so does the menu's badge
    codes = re.findall(r"KTP · (BLK-\d+)", first)
    assert codes == [f"BLK-{i:06d}" for i in range(50)]
    assert 'href="?halaman=2"' in first

    second = client.get(url, {"halaman": 2}).content.decode()
    assert re.findall(r"KTP · (BLK-\d+)", second) == [f"BLK-{i:06d}" for i in range(50, 55)]
    assert "Halaman 2 dari 2" in second
    # A page past the end or not a number shows the last or the first page, never an error.
    assert client.get(url, {"halaman": 9}).status_code == 200
    assert client.get(url, {"halaman": "x"}).status_code == 200


def options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"(?: selected)?>([^<]*)</option>', select)


@pytest.mark.django_db
def test_the_queue_filters_list_the_services_and_the_offices_rts_as_the_models_name_them(
    officer_client, office, rt1
):
    """The selects print rows read with ``values_list``: the same options, in the same order,
    with the same labels as the models (``__str__``, ``Meta.ordering``) would give."""
    RTFactory(rw=rt1.rw, number=2)
    RTFactory(rw=RWFactory(office=office, number=2), number=1)
    RTFactory(rw=RWFactory(office=OfficeFactory(code="SKB", name="Sukabumi")))  # not listed
    html = officer_client.get(reverse("services:queue")).content.decode()
    assert options(html, "service") == [("", "Semua layanan")] + [
        (s.code, str(s)) for s in Service.objects.all()
    ]
    office_rts = RT.objects.filter(rw__office=office)
    assert options(html, "rt") == [("", "Semua RT")] + [(str(rt.pk), str(rt)) for rt in office_rts]
    assert len(options(html, "rt")) == 4
    chosen = officer_client.get(reverse("services:queue"), {"rt": rt1.pk, "service": "KTP"})
    assert f'<option value="{rt1.pk}" selected>' in chosen.content.decode()
    assert '<option value="KTP" selected>' in chosen.content.decode()


@pytest.mark.django_db
def test_the_queue_counts_the_cases_table_alone_and_the_count_is_the_pages_cases(
    officer_client, officer, rt1, time_machine
):
    """The paginator's COUNT reads the cases table only (the filter's index), not the joins
    the rows print; it still counts exactly the cases the filters select."""
    time_machine.move_to(timezone.now(), tick=False)
    received_in_bulk(57, officer=officer, rt=rt1, due=timezone.now() + timedelta(hours=5))
    rt2 = RTFactory(rw=rt1.rw, number=2)
    Application.objects.filter(code__in=["BLK-000001", "BLK-000002"]).update(rt=rt2)
    url = reverse("services:queue")
    officer_client.get(url)
    for params, total in [({}, 57), ({"rt": rt2.pk}, 2), ({"service": "KK"}, 0)]:
        with CaptureQueriesContext(connection) as queries:
            response = officer_client.get(url, params)
        assert f"{total} permohonan." in response.content.decode()
        counts = [
            q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(")
        ]
        assert len(counts) == 1
        assert "JOIN" not in counts[0], counts[0]


def test_time_left_at_answers_as_time_left_for_every_due():
    """One calendar, one moment, many dues: the memo gives time_left's answer for each."""
    calendar = WorkingCalendar(None, closed_days=[])
    jakarta = ZoneInfo("Asia/Jakarta")
    for now in [
        datetime(2026, 12, 8, 10, 0, tzinfo=jakarta),
        datetime(2026, 12, 11, 15, 30, tzinfo=jakarta),
    ]:
        left = time_left_at(calendar, now)
        dues = [now + timedelta(hours=h) for h in range(-80, 120, 7)] * 2
        assert [left(due) for due in dues] == [time_left(calendar, due, now) for due in dues]


@pytest.mark.django_db
def test_a_closed_day_added_shows_on_the_next_queue_and_rt_list(
    client, officer, rt1, rt_chair, time_machine
):
    """The office's closed days are read on every page (never kept across requests): a day
    closed in the admin shortens the time left on the very next request."""
    jakarta = ZoneInfo("Asia/Jakarta")
    tuesday = datetime(2026, 12, 8, 10, 0, tzinfo=jakarta)
    assert not {tuesday.date() + timedelta(days=d) for d in range(3)} & national_holidays(2026)
    time_machine.move_to(tuesday, tick=False)
    thursday_close = datetime(2026, 12, 10, 16, 0, tzinfo=jakarta)
    received_in_bulk(1, officer=officer, rt=rt1, due=thursday_close)
    case = case_in(S.ARCHIVED, officer=officer, rt=rt1, nik="3271010101900101")
    Application.objects.filter(pk=case.pk).update(verify_due=thursday_close)
    workflow.application_send_to_rt(application=case, by=officer)
    client.force_login(officer)
    queue = reverse("services:queue")
    assert "sisa 2 hari kerja" in client.get(queue).content.decode()
    chair = type(client)()
    chair.force_login(rt_chair)
    rt_home = reverse("verification:rt_home")
    assert "sisa 2 hari kerja" in chair.get(rt_home).content.decode()
    OfficeClosedDay.objects.create(
        office=officer.membership.office, date=tuesday.date() + timedelta(days=1), reason="uji"
    )
    assert "sisa 2 hari kerja" not in client.get(queue).content.decode()
    assert "sisa 1 hari kerja" in client.get(queue).content.decode()
    assert "sisa 1 hari kerja" in chair.get(rt_home).content.decode()
