"""The queue's one search box: codes (whole or a part), names, phone numbers and the NIK."""

import pytest
from django.db import connection

from services.models import Application
from services.selectors import applications_for_officer, looks_like_nik, phone_fragment
from tests.factories import ApplicationFactory

QUEUE = "/permohonan/"


def found(response) -> str:
    return response.content.decode()


@pytest.fixture
def case(officer, rt1):
    # ApplicationFactory stores the phone as +6281234567890.
    return ApplicationFactory(officer=officer, rt=rt1, docs=False)


@pytest.fixture
def other(officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1, docs=False, nik="3271010101900003")
    Application.objects.filter(pk=application.pk).update(
        phone="+6289876543210", applicant_name="Budi Santoso"
    )
    return application


def test_phone_fragments_are_put_in_the_stored_form():
    assert phone_fragment("0812-3456") == "+628123456"
    assert phone_fragment("+62 812 3456") == "+628123456"
    assert phone_fragment("62812") == "+62812"
    assert phone_fragment("3456 7890") == "34567890"
    assert looks_like_nik("3271 0145 0190 0002") and not looks_like_nik("081234567890")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["0812-3456-7890", "+62 812 3456 7890", "081234567890", "3456 7890", "6281234"]
)
def test_a_phone_number_however_typed_finds_the_case(officer_client, case, other, typed):
    page = found(officer_client.get(QUEUE, {"q": typed}))
    assert case.code in page and other.code not in page


@pytest.mark.django_db
def test_a_part_of_the_code_finds_the_case(officer_client, case, other):
    serial = case.code.rsplit("-", 1)[1]  # BKS-2612-0001 -> 0001
    for typed in (serial, case.code.split("-", 1)[1], case.code.lower()):
        page = found(officer_client.get(QUEUE, {"q": typed}))
        assert case.code in page and other.code not in page, typed


@pytest.mark.django_db
def test_a_name_still_finds_the_case(officer_client, case, other):
    page = found(officer_client.get(QUEUE, {"q": "santo"}))
    assert other.code in page and case.code not in page


@pytest.mark.django_db
def test_a_posted_search_that_is_no_nik_goes_to_its_get_address(officer_client, case):
    response = officer_client.post(QUEUE, {"q": "0812", "state": "all"})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?state=all&q=0812"


@pytest.mark.django_db
def test_a_nik_in_the_box_is_searched_by_post_and_never_redirected(officer_client, case, other):
    response = officer_client.post(QUEUE, {"q": "3271-0145-0190-0002"})
    assert response.status_code == 200
    page = found(response)
    assert case.code in page and other.code not in page and "Hasil pencarian NIK" in page
    assert case.nik not in response.wsgi_request.get_full_path()


@pytest.mark.django_db
def test_a_nik_in_a_get_address_is_refused(officer_client, case):
    response = officer_client.get(QUEUE, {"q": case.nik})
    page = found(response)
    assert "NIK tidak dicari lewat alamat halaman" in page
    assert "Hasil pencarian NIK" not in page


@pytest.mark.django_db
def test_an_invalid_nik_gets_the_nik_message(officer_client, case):
    response = officer_client.post(QUEUE, {"q": "3271019901900002"})  # month 99
    assert response.status_code == 200
    assert response.context["filters"].errors["q"]


@pytest.mark.django_db
def test_search_never_reaches_another_office(client, case, other_officer):
    client.force_login(other_officer)
    assert case.code not in found(client.get(QUEUE, {"q": "0812-3456"}))
    assert case.code not in found(client.post(QUEUE, {"q": case.nik}))


@pytest.mark.django_db
def test_search_query_count_does_not_grow_with_the_matches(
    officer_client, officer, rt1, django_assert_max_num_queries, time_machine
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    officer_client.get(QUEUE)

    def fill(n):
        for i in range(Application.objects.count(), n):
            ApplicationFactory(
                officer=officer, rt=rt1, nik=f"3271010101{900000 + i:06d}"[:16], docs=False
            )

    fill(3)
    with CaptureQueriesContext(connection) as small:
        officer_client.get(QUEUE, {"q": "0812 3456"})
    fill(60)
    for params in ({"q": "0812 3456"}, {"q": "rahma"}, {"q": "-0"}):
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = officer_client.get(QUEUE, params)
        assert "60 permohonan" in found(response), params
    with django_assert_max_num_queries(len(small.captured_queries)):
        officer_client.post(QUEUE, {"q": "3271010101900010"})


@pytest.mark.django_db
def test_a_phone_search_is_served_by_the_queue_index(officer, case):
    qs = applications_for_officer(user=officer, q="0812 3456")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = qs.explain()
    if connection.vendor == "sqlite":
        assert "application_open_queue" in plan, plan
    else:
        # On a handful of rows PostgreSQL may pick any of the open-case partial indexes;
        # what matters is that the office's open rows come from an index, not a scan.
        assert "Seq Scan on services_application" not in plan, plan
        assert "is_open" in plan or "application_open_queue" in plan, plan
    # Every state: one of the office's indexes, never a scan of the whole table.
    plan = applications_for_officer(user=officer, q="0812", state="all").explain()
    assert "SCAN services_application" not in plan, plan  # SQLite
    assert "Seq Scan on services_application" not in plan, plan  # PostgreSQL
