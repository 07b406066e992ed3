"""The access log (SECURITY.md G43; issue 15 point 10): every page or file that shows a
resident's data writes who/when/what (never the NIK itself), and the supervisor can read it —
for the office, and for one case ("siapa yang melihat data saya")."""

import pytest
from django.urls import reverse

from services.models import AccessLog
from tests.factories import (
    NIK,
    AdminFactory,
    SupervisorFactory,
    case_in,
    clean_jpeg,
    complaint_filed,
    log_in,
    sent_to_rt,
)


def actions(application) -> list[str]:
    return list(
        AccessLog.objects.filter(application=application)
        .order_by("pk")
        .values_list("action", flat=True)
    )


@pytest.mark.django_db
def test_g43_the_receipt_is_logged(officer_client, officer, rt1):
    application = case_in("received", officer=officer, rt=rt1)
    assert (
        officer_client.get(
            reverse("services:application_receipt", args=[application.code])
        ).status_code
        == 200
    )
    assert actions(application) == ["view_receipt"]
    row = AccessLog.objects.get(application=application)
    assert row.user == officer
    # The row says who and what, never the NIK (no column holds it).
    assert NIK not in " ".join(str(getattr(row, f.attname)) for f in AccessLog._meta.fields)


@pytest.mark.django_db
def test_g43_a_thumbnail_is_logged_like_the_document(officer_client, officer, rt1):
    application = case_in("received", officer=officer, rt=rt1)
    attachment = application.attachments.first()
    args = [application.code, attachment.uuid]
    assert (
        officer_client.get(reverse("services:attachment_thumbnail", args=args)).status_code == 200
    )
    assert officer_client.get(reverse("services:attachment_file", args=args)).status_code == 200
    assert actions(application) == ["view_thumbnail", "view_document"]
    assert set(AccessLog.objects.values_list("attachment", flat=True)) == {attachment.pk}


@pytest.mark.django_db
def test_g43_the_rt_request_page_is_logged(client, officer, rt1, rt_chair):
    request = sent_to_rt(officer=officer, rt=rt1)
    log_in(client, rt_chair)
    assert client.get(reverse("verification:request", args=[request.uuid])).status_code == 200
    assert actions(request.application) == ["rt_view_request"]
    assert AccessLog.objects.get().user == rt_chair


@pytest.mark.django_db
def test_g43_an_admin_change_page_of_a_case_is_logged(client, officer, rt1):
    application = case_in("received", officer=officer, rt=rt1)
    admin = AdminFactory()
    log_in(client, admin)
    url = reverse("admin:services_application_change", args=[application.pk])
    assert client.get(url).status_code == 200
    assert actions(application) == ["admin_view"]
    # The list does not show the resident's data: no row.
    client.get(reverse("admin:services_application_changelist"))
    assert actions(application) == ["admin_view"]


@pytest.mark.django_db
def test_the_supervisor_reads_who_viewed_a_case(client, officer_client, officer, supervisor, rt1):
    application = case_in("received", officer=officer, rt=rt1)
    officer_client.get(reverse("services:application_detail", args=[application.code]))
    officer_client.get(reverse("services:application_receipt", args=[application.code]))
    log_in(client, supervisor)
    page = client.get(reverse("services:application_access_log", args=[application.code]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Membuka halaman permohonan" in text and "Membuka tanda terima" in text
    assert officer.get_full_name() in text or officer.username in text
    assert "Siti Rahmawati" in text  # whose data
    assert NIK not in text
    assert page["Cache-Control"].count("no-store")


@pytest.mark.django_db
def test_the_office_log_filters_by_member_and_lists_only_this_office(
    client, officer_client, officer, supervisor, rt1, other_officer, other_rt
):
    mine = case_in("received", officer=officer, rt=rt1)
    theirs = case_in("received", officer=other_officer, rt=other_rt)
    officer_client.get(reverse("services:application_detail", args=[mine.code]))
    log_in(client, other_officer)
    client.get(reverse("services:application_detail", args=[theirs.code]))
    log_in(client, supervisor)
    text = client.get(reverse("services:access_log")).content.decode()
    assert mine.code in text and theirs.code not in text
    filtered = client.get(
        reverse("services:access_log"), {"pengguna": supervisor.pk}
    ).content.decode()
    assert mine.code not in filtered and "Tidak ada catatan akses" in filtered


@pytest.mark.django_db
def test_the_office_log_refuses_a_reversed_date_range(client, supervisor):
    log_in(client, supervisor)
    page = client.get(
        reverse("services:access_log"), {"dari": "2026-12-10", "sampai": "2026-12-01"}
    )
    assert page.status_code == 200
    assert "harus sebelum" in page.content.decode()


@pytest.mark.django_db
def test_only_a_supervisor_of_the_office_reads_the_access_log(
    client, officer, rt1, rt_chair, other_office
):
    application = case_in("received", officer=officer, rt=rt1)
    other_supervisor = SupervisorFactory(office=other_office)
    for user in (officer, rt_chair, other_supervisor):
        log_in(client, user)
        case_log = reverse("services:application_access_log", args=[application.code])
        assert client.get(case_log).status_code == 404
    for user in (officer, rt_chair):
        log_in(client, user)
        assert client.get(reverse("services:access_log")).status_code == 404


@pytest.mark.django_db
def test_the_access_log_pages_do_not_query_per_row(
    client, officer_client, officer, supervisor, rt1, django_assert_max_num_queries
):
    application = case_in("received", officer=officer, rt=rt1)
    attachment = application.attachments.first()
    log_in(client, supervisor)

    def views(n):
        for _ in range(n):
            officer_client.get(
                reverse("services:attachment_thumbnail", args=[application.code, attachment.uuid])
            )

    views(2)
    with django_assert_max_num_queries(16) as few:
        client.get(reverse("services:access_log"))
        client.get(reverse("services:application_access_log", args=[application.code]))
    baseline = len(few)  # read now: the next request clears Django's query log
    views(40)
    with django_assert_max_num_queries(baseline):
        client.get(reverse("services:access_log"))
        client.get(reverse("services:application_access_log", args=[application.code]))


@pytest.mark.django_db
def test_g43_a_complaint_page_and_its_photo_are_logged_and_listed(
    client, officer_client, officer, supervisor, office
):
    complaint = complaint_filed(office=office, photo=clean_jpeg("foto.jpg"))
    officer_client.get(reverse("services:complaint_detail", args=[complaint.code]))
    officer_client.get(reverse("services:complaint_photo", args=[complaint.code]))
    rows = AccessLog.objects.filter(complaint=complaint).order_by("pk")
    assert list(rows.values_list("action", flat=True)) == ["view_complaint", "view_complaint_photo"]
    assert set(rows.values_list("user", flat=True)) == {officer.pk}
    log_in(client, supervisor)
    text = client.get(reverse("services:access_log")).content.decode()
    assert complaint.code in text and "Membuka foto pengaduan" in text
