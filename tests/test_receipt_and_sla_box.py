"""The receipt names what is missing and the promised date; a stopped clock shows no old dates."""

import pytest
from django.urls import reverse
from django.utils import timezone

from services import workflow
from services.models import Application, ApplicationState
from services.requirements import requirement_statuses
from tests.factories import ApplicationFactory

DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
MONTHS = "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"


def indonesian_date(when) -> str:
    local = timezone.localtime(when)
    return f"{DAYS[local.weekday()]}, {local.day} {MONTHS.split()[local.month - 1]} {local.year}"


def receipt(client, application) -> str:
    url = reverse("services:application_receipt", args=[application.code])
    return client.get(url).content.decode()


@pytest.mark.django_db
def test_the_receipt_lists_the_missing_documents_and_the_promised_date(
    officer_client, officer, rt1
):
    application = ApplicationFactory(officer=officer, rt=rt1, docs=False)
    statuses = requirement_statuses(application)
    missing = [s.requirement.label for s in statuses if not s.satisfied]
    assert missing
    page = receipt(officer_client, application)
    assert "Berkas yang masih kurang" in page
    listed = page.split('<ul class="missing">')[1].split("</ul>")[0]
    assert all(f"<li>{label}</li>" in listed for label in missing)
    assert indonesian_date(application.issue_due) in page
    assert "bila berkas yang kurang diserahkan hari ini" in page


@pytest.mark.django_db
def test_a_complete_intake_has_no_missing_list_and_a_firm_date(officer_client, application):
    page = receipt(officer_client, application)
    assert "Berkas yang masih kurang" not in page  # received, waiting to be checked: not missing
    assert f"<strong>{indonesian_date(application.issue_due)}</strong>" in page
    assert "bila berkas yang kurang" not in page


@pytest.mark.django_db
def test_the_promised_date_is_the_day_of_issue_due_in_indonesian(officer_client, application):
    # Thursday 26 November 2026, 16:00 in Palembang (WIB).
    due = timezone.make_aware(timezone.datetime(2026, 11, 26, 16, 0))
    Application.objects.filter(pk=application.pk).update(issue_due=due)
    assert "Kamis, 26 November 2026" in receipt(officer_client, application)


@pytest.mark.django_db
def test_while_the_clock_is_stopped_no_old_dates_are_shown(officer_client, officer, application):
    first = application.attachments.first()
    workflow.attachment_reject(attachment=first, by=officer, reason="buram")
    workflow.application_mark_incomplete(application=application, by=officer)
    application.refresh_from_db()
    assert application.state == ApplicationState.INCOMPLETE
    old_date = indonesian_date(application.issue_due)

    page = officer_client.get(application.get_absolute_url()).content.decode()
    box = page.split('id="h-sla"')[1].split("</section>")[0]
    assert "Jam layanan berhenti" in box
    assert box.count("akan dihitung ulang") == 3
    assert "paling lambat" not in box

    page = receipt(officer_client, application)
    assert old_date not in page
    assert "dihitung ulang" in page
    assert first.requirement.label in page.split('<ul class="missing">')[1]


@pytest.mark.django_db
def test_a_running_clock_shows_the_three_dates(officer_client, application):
    page = officer_client.get(application.get_absolute_url()).content.decode()
    box = page.split('id="h-sla"')[1].split("</section>")[0]
    assert box.count("paling lambat") == 3
    assert "akan dihitung ulang" not in box
