"""Issue 12: a read of a fixed shape compiled once per connection (kelurahan.prepared), as the
case page reads its case: the same case, related rows and annotations as the ORM's own query,
nothing of another office, and no compiling after the first request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kelurahan.models import OfficeClosedDay
from kelurahan.prepared import PreparedQuery
from services.models import Application, MessageChannel, MessageState, ResidentMessage
from services.selectors import _case_page_queryset, get_case_for_page
from services.workflow import S
from tests.factories import ApplicationFactory, OfficeFactory, RTFactory, RWFactory, case_in

pytestmark = pytest.mark.usefixtures("session_clock_stopped")

RELATED = ("service", "rt", "variant", "received_by", "rt_cover_letter_by")
ANNOTATIONS = (
    "page_closed_days",
    "page_rts",
    "page_has_letters",
    "page_has_messages",
    "page_has_rt_requests",  # the RT panel's (verification.panels)
)


def _orm(case):
    """The case as the ORM's own query gives it (what the prepared one must match)."""
    return _case_page_queryset(case.code, case.office_id).get()


def _same(prepared, orm):
    for field in Application._meta.concrete_fields:
        assert getattr(prepared, field.attname) == getattr(orm, field.attname), field.name
    for name in RELATED:
        assert name in prepared._state.fields_cache, f"{name} was not read with the case"
        assert getattr(prepared, name) == getattr(orm, name)
    assert prepared.rt.rw == orm.rt.rw and "rw" in prepared.rt._state.fields_cache
    for name in ANNOTATIONS:
        value = getattr(prepared, name)
        assert value == getattr(orm, name) and type(value) is type(getattr(orm, name)), name
    assert not prepared._state.adding and prepared._state.db == "default"


@pytest.mark.django_db
def test_the_case_page_reads_the_case_the_orm_would_with_its_rows_and_annotations(
    officer, rt1, office
):
    RTFactory(rw=RWFactory(office=office, number=2), number=3)
    OfficeClosedDay.objects.create(office=office, date="2026-12-24", reason="Cuti bersama")
    quiet = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900051")
    issued = case_in(S.ISSUED, officer=officer, rt=rt1, nik="3271014501900052")
    ResidentMessage.objects.filter(application=quiet).delete()
    ResidentMessage.objects.create(
        office=office,
        application=issued,
        step="uji",
        channel=MessageChannel.WHATSAPP,
        recipient=issued.phone,
        text="Surat Anda sudah terbit.",
        state=MessageState.PENDING,
    )
    for case in (quiet, issued):
        prepared = get_case_for_page(officer, case.code)
        _same(prepared, _orm(case))
        assert prepared.office == office
    # Each case its own figures: not the first request's, swapped in wrongly.
    assert get_case_for_page(officer, quiet.code).page_has_letters is False
    assert get_case_for_page(officer, issued.code).page_has_letters is True
    assert get_case_for_page(officer, issued.code).page_has_messages is True
    assert get_case_for_page(officer, quiet.code).page_has_messages is False
    assert get_case_for_page(officer, quiet.code).page_closed_days == "2026-12-24"
    assert len(get_case_for_page(officer, quiet.code).page_rts.split(",")) == 2


@pytest.mark.django_db
def test_a_case_of_another_office_or_an_unknown_code_is_a_404(officer, rt1):
    other = OfficeFactory(code="SKB", name="Sukabumi")
    theirs = ApplicationFactory(
        office=other, rt=RTFactory(rw=RWFactory(office=other)), nik="3271014501900053"
    )
    mine = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900054")
    assert get_case_for_page(officer, mine.code) == mine
    for code in (theirs.code, "BKS-2612-9999", "~placeholder of the case code~", "x' OR '1'='1"):
        with pytest.raises(Http404):
            get_case_for_page(officer, code)


def _as_sql_calls(monkeypatch):
    calls = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        calls.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return calls


@pytest.mark.django_db
def test_the_case_page_compiles_its_case_query_once_not_on_every_request(
    officer_client, officer, rt1, monkeypatch
):
    first = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900055")
    second = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900056")
    url = reverse("services:application_detail", args=[first.code])
    assert officer_client.get(url).status_code == 200
    calls = _as_sql_calls(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        page = officer_client.get(reverse("services:application_detail", args=[second.code]))
    assert page.status_code == 200 and f"<h1>{second.code} " in page.content.decode()
    case_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "services_application"' in q["sql"]
    ]
    assert len(case_reads) == 1 and second.code in str(queries.captured_queries)
    assert Application not in calls  # read by the SQL compiled for the first request
    # and so are its documents and its history (services.selectors.application_detail)
    from services.models import ApplicationEvent, Attachment

    assert Attachment not in calls and ApplicationEvent not in calls


@pytest.mark.django_db
def test_a_placeholder_that_does_not_reach_the_sql_once_is_refused(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900057")
    twice = PreparedQuery(
        Application,
        lambda code: Application.objects.filter(code=code, applicant_name=code),
        code="~p~",
    )
    with pytest.raises(AssertionError, match="one parameter"):
        twice.first(code=case.code)
    reset = PreparedQuery(
        Application, lambda code: Application.objects.filter(code=code), code="~p~"
    )
    assert reset.first(code=case.code) == case
    reset.reset()
    assert reset.first(code="nothing") is None


def _prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_on_postgresql_the_case_and_user_reads_are_prepared_once_and_answer_each_request(
    officer, rt1, django_user_model
):
    """Planning these joins cost PostgreSQL more than running them: the statements are
    prepared on the server, and a prepared statement still reads each request's own row,
    also after a rolled-back savepoint (psycopg forgets its statements on a ROLLBACK)."""
    from django.db import connections, transaction

    from kelurahan.backends import _get_user

    db = connections["default"]

    first = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900058")
    second = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900059")
    other = django_user_model.objects.create_user("petugas-lain", password="x" * 12)
    for _ in range(2):
        for case in (first, second):
            assert get_case_for_page(officer, case.code) == case
        assert _get_user(db, officer.pk) == officer
        assert _get_user(db, other.pk) == other
        assert _get_user(db, other.pk + 1000) is None
        statements = _prepared_statements()
        assert any('FROM "services_application"' in s for s in statements)
        assert any('FROM "auth_user"' in s and "portal_permissions" in s for s in statements)
        try:
            with transaction.atomic():
                assert get_case_for_page(officer, first.code) == first
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass


@pytest.mark.django_db
def test_prepared_rows_read_each_offices_current_rows_converted_as_the_orm_does(
    office, other_office, rt1, rt2, other_rt, application
):
    """The queue's RT filter (services.forms.rt_rows), compiled once: each office gets its
    own RTs in the model's order, an RT added after the first read is in the next, and a
    column Django converts (an aware time, a boolean on SQLite) comes back converted."""
    from kelurahan.prepared import PreparedRows
    from services.forms import rt_rows

    def orm(o):
        return list(
            type(rt1).objects.filter(rw__office=o).values_list("pk", "number", "rw__number")
        )

    assert rt_rows(office) == orm(office) and len(orm(office)) == 2
    assert (
        rt_rows(other_office)
        == orm(other_office)
        == [(other_rt.pk, other_rt.number, other_rt.rw.number)]
    )
    added = RTFactory(rw=rt1.rw, number=99)
    assert (added.pk, 99, rt1.rw.number) in rt_rows(office)
    assert rt_rows(office) == orm(office)

    received = PreparedRows(
        Application,
        lambda code: Application.objects.filter(code=code).values_list("received_at", "is_open"),
        code="~p~",
    )
    ((at, is_open),) = received.rows(code=application.code)
    assert (at, is_open) == (application.received_at, True)
    assert at.tzinfo is not None and type(is_open) is bool  # Django's converters ran
    assert received.rows(code="nothing") == []


@pytest.mark.django_db
def test_the_rt_list_and_the_queue_filters_compile_their_reads_once(
    client, officer, rt1, rt2, rt_chair, other_rt_chair, monkeypatch
):
    """After the first visit, the chair's list (count, first page, last decisions) and the
    queue's RT and service filters and the office's closed days run SQL compiled before; the
    next chair's list, of another RT, still shows that RT's own requests."""
    from django.test import Client

    from kelurahan.models import RT
    from services.models import Service
    from tests.factories import log_in
    from verification.models import VerificationRequest

    officer_client = Client()
    log_in(officer_client, officer)

    mine = case_in(S.IN_VERIFICATION, officer=officer, rt=rt1, nik="3271014501900061")
    theirs = case_in(S.IN_VERIFICATION, officer=officer, rt=rt2, nik="3271014501900062")
    log_in(client, rt_chair)
    assert mine.code in client.get(reverse("verification:rt_home")).content.decode()
    assert officer_client.get(reverse("services:queue")).status_code == 200
    calls = _as_sql_calls(monkeypatch)
    log_in(client, other_rt_chair)
    page = client.get(reverse("verification:rt_home")).content.decode()
    assert theirs.code in page and mine.code not in page
    assert '<span class="count">1</span>' in page
    assert officer_client.get(reverse("services:queue")).status_code == 200
    assert VerificationRequest not in calls
    assert RT not in calls and Service not in calls and OfficeClosedDay not in calls


@pytest.mark.django_db
def test_the_open_queue_as_prepared_is_the_queue_the_orm_reads(
    officer, rt1, other_officer, other_rt
):
    """The queue as an officer opens it (no search, no filter) reads its count and first page
    by prepared SQL: the same cases, in the same order, as the ORM's queue, pages 1 and 2,
    nothing closed and nothing of another office."""
    from datetime import timedelta

    from django.utils import timezone

    from services.selectors import (
        QUEUE_PAGE_SIZE,
        applications_for_officer,
        open_queue_page,
        queue_page,
    )
    from tests.factories import received_in_bulk

    now = timezone.now()
    cases = received_in_bulk(QUEUE_PAGE_SIZE + 5, officer=officer, rt=rt1, due=now)
    for i, case in enumerate(cases):  # due in the reverse order of their codes
        Application.objects.filter(pk=case.pk).update(archive_due=now - timedelta(hours=i))
    Application.objects.filter(pk__in=[c.pk for c in cases[:2]]).update(state=S.COMPLETED)
    case_in(S.RECEIVED, officer=other_officer, rt=other_rt, nik="3271014501900071")
    office = officer.membership.office

    def orm(number):
        applications = applications_for_officer(user=officer)
        return queue_page(applications, office, number, per_page=QUEUE_PAGE_SIZE)

    for number in (1, 2, "x", 9):
        prepared, expected = open_queue_page(office, number), orm(number)
        assert prepared.object_list == expected.object_list
        assert (prepared.number, prepared.paginator.count) == (expected.number, 53)
    first = [row["code"] for row in open_queue_page(office, 1).object_list]
    assert first == [c.code for c in reversed(cases[2:])][:QUEUE_PAGE_SIZE]


@pytest.mark.django_db
def test_the_status_page_compiles_its_reads_once_and_shows_each_links_own_case(
    client, officer, rt1, monkeypatch
):
    """A resident's status link (services.public.status): the case, its public history and its
    complaints are read by SQL compiled for the first visit; the next link, another case,
    shows that case's code, history and complaint, not the first's."""
    from services.models import ApplicationEvent, Complaint
    from tests.factories import complaint_filed

    first = case_in(S.RECEIVED, officer=officer, rt=rt1, nik="3271014501900071")
    second = case_in(S.ARCHIVED, officer=officer, rt=rt1, nik="3271014501900072")
    complaint = complaint_filed(office=officer.membership.office, application=second)
    page = client.get(reverse("services:public_status", args=[first.status_token]))
    assert first.code in page.content.decode()
    calls = _as_sql_calls(monkeypatch)
    page = client.get(reverse("services:public_status", args=[second.status_token]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"kode permohonan <strong>{second.code}</strong>" in html
    assert f"<strong>{first.code}</strong>" not in html
    assert complaint.code in html
    assert "Berkas lengkap, diperiksa petugas" in html  # the second case's archive step
    assert Application not in calls
    assert ApplicationEvent not in calls and Complaint not in calls
    assert client.get(reverse("services:public_status", args=["A" * 22])).status_code == 404
