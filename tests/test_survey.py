"""The SKM survey: the resident's one response per application, paper questionnaires, and the
supervisor's report (page, CSV, PDF)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import datetime
from html.parser import HTMLParser

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from services.models import ApplicationState, SurveyResponse
from services.survey import ELEMENT_CODES, USED, Period, survey_submit
from services.workflow import WorkflowError
from tests.factories import (
    SupervisorFactory,
    SurveyResponseFactory,
    case_in,
    log_in,
    online_response,
)

S = ApplicationState
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.get_default_timezone())


def survey_url(case) -> str:
    return reverse("services:public_survey", args=[case.status_token])


def filled(answers=(4, 3, 3, 4, 3, 3, 4, 2, 3), **extra) -> dict:
    data = dict(zip(ELEMENT_CODES, answers, strict=True))
    data.update(sex="P", age_band="20_29", education="sma", occupation="pelajar")
    data.update(extra)
    return data


@pytest.fixture
def completed(officer, rt1, rt_chair):
    return case_in(S.COMPLETED, officer=officer, rt=rt1)


# --- the resident ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_completed_case_invites_its_resident_to_the_survey(client, completed):
    page = client.get(reverse("services:public_status", args=[completed.status_token]))

    assert page.status_code == 200
    assert "Isi survei kepuasan" in page.content.decode()
    assert survey_url(completed) in page.content.decode()


@pytest.mark.django_db
def test_a_case_not_handed_over_yet_has_no_invitation_and_no_survey(client, officer, rt1, rt_chair):
    issued = case_in(S.ISSUED, officer=officer, rt=rt1)

    page = client.get(reverse("services:public_status", args=[issued.status_token]))
    assert "Isi survei kepuasan" not in page.content.decode()
    response = client.get(survey_url(issued))
    assert response.status_code == 404
    assert "setelah surat diserahkan" in response.content.decode()
    with pytest.raises(WorkflowError):
        survey_submit(application=issued, answers=filled(), profile={})
    assert SurveyResponse.objects.count() == 0


@pytest.mark.django_db
def test_the_survey_asks_the_nine_elements_in_the_regulations_words(client, completed):
    page = client.get(survey_url(completed)).content.decode()

    assert page.count('type="radio"') == 9 * 4 + 2 + 6 + 6 + 5  # U1–U9, then the profile
    for words in ("Sangat sesuai", "Tidak mudah", "Sangat cepat", "Gratis", "Sangat kompeten"):
        assert words in page
    assert "Dikelola dengan baik" in page and "Sangat baik" in page


@pytest.mark.django_db
def test_the_resident_answers_once_and_the_link_then_says_so(client, completed):
    response = client.post(survey_url(completed), filled(suggestion="Ruang tunggu panas."))

    assert response.status_code == 302
    assert response["Location"] == reverse("services:public_status", args=[completed.status_token])
    stored = SurveyResponse.objects.get()
    assert stored.answers == (4, 3, 3, 4, 3, 3, 4, 2, 3)
    assert (stored.channel, stored.application, stored.office) == (
        "online",
        completed,
        completed.office,
    )
    assert (stored.service, stored.sex, stored.age_band) == (completed.service, "P", "20_29")
    assert stored.suggestion == "Ruang tunggu panas."
    status = client.get(response["Location"]).content.decode()
    assert "Terima kasih" in status and "Isi survei kepuasan" not in status

    again = client.get(survey_url(completed))
    assert again.status_code == 410
    assert USED in again.content.decode()
    posted_again = client.post(survey_url(completed), filled((1,) * 9))
    assert posted_again.status_code == 410
    assert SurveyResponse.objects.get().answers == stored.answers


@pytest.mark.django_db
def test_two_submissions_racing_store_one_response(completed):
    # Both passed the page's "not answered yet" check; the unique column decides.
    online_response(completed)
    with pytest.raises(WorkflowError, match="sudah diisi"):
        online_response(completed, answers=(1,) * 9)

    assert SurveyResponse.objects.filter(application=completed).count() == 1
    assert SurveyResponse.objects.get().answers == (4,) * 9


@pytest.mark.django_db
def test_a_missing_answer_is_named_and_nothing_is_stored(client, completed):
    data = filled()
    del data["u5"]
    response = client.post(survey_url(completed), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Pilih salah satu jawaban." in page
    assert SurveyResponse.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_survey_token_is_a_404(client):
    assert client.get(reverse("services:public_survey", args=["x" * 30])).status_code == 404
    assert client.get("/s/%00abc/survei/").status_code == 404


# --- paper questionnaires -------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_officer_enters_a_paper_questionnaire_for_their_office(officer_client, officer):
    url = reverse("services:skm_paper")
    response = officer_client.post(url, {**filled(), "service": "KK", "sex": ""})

    assert response.status_code == 302 and response["Location"] == url
    stored = SurveyResponse.objects.get()
    assert (stored.channel, stored.application, stored.office) == (
        "kertas",
        None,
        officer.membership.office,
    )
    assert stored.service.code == "KK" and stored.sex == ""  # left blank on paper


@pytest.mark.django_db
def test_a_paper_questionnaire_needs_its_service_and_answers(officer_client):
    data = filled()
    del data["u9"]
    response = officer_client.post(reverse("services:skm_paper"), data)

    assert response.status_code == 200
    assert "Pilih layanannya." in response.content.decode()
    assert SurveyResponse.objects.count() == 0


@pytest.mark.django_db
def test_an_rt_chair_and_an_outsider_do_not_reach_the_paper_form(client, rt_chair):
    client.force_login(rt_chair)
    assert client.get(reverse("services:skm_paper")).status_code == 404


# --- the report -----------------------------------------------------------------------------------
class Cells(HTMLParser):
    """The text of each row of every <table class="… skm-table …"> of a page, in order."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_table = self._cell = False
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and "skm-table" in (dict(attrs).get("class") or ""):
            self._in_table = True
        elif self._in_table and tag == "tr":
            self._row = []
        elif self._in_table and tag in ("td", "th") and self._row is not None:
            self._cell = True
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag in ("td", "th"):
            self._cell = False

    def handle_data(self, data):
        if self._cell and self._row is not None:
            self._row[-1] += data.strip()


@pytest.fixture
def responses(office, completed):
    with time_machine.travel(NOW, tick=False):
        rows = [
            (4, 3, 3, 4, 3, 3, 4, 2, 3),
            (3, 3, 2, 4, 3, 4, 4, 3, 3),
            (4, 4, 3, 4, 4, 3, 3, 2, 2),
        ]
        for i, answers in enumerate(rows):
            SurveyResponseFactory(
                office=office,
                answers=answers,
                sex="L" if i else "P",
                suggestion="Antrean lebih tertib." if i == 0 else "",
            )
        online_response(completed, answers=(3, 2, 2, 4, 3, 3, 4, 3, 3), suggestion="Cepat.")
    return completed


@pytest.mark.django_db
def test_the_report_shows_the_worked_example(client, supervisor, responses):
    log_in(client, supervisor)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("services:skm_report")).content.decode()

    # The worked example of test_survey_ikm: NRR 3.50 … 2.75, IKM 79.17, grade B.
    assert "Semester II (Juli–Desember) 2026" in page
    table = Cells()
    table.feed(page)
    assert table.rows[1] == ["U1", "Persyaratan", "14", "3,50", "0,389"]
    assert ["IKM", "79,17"] in table.rows
    assert ["Mutu pelayanan", "B (Baik)"] in table.rows
    assert "IKM = (Σ NRR × 1/9) × 25" in page
    assert "Antrean lebih tertib." in page and "Cepat." in page
    # Anonymous to staff: no code or name beside the answers.
    assert responses.code not in page and responses.applicant_name not in page


@pytest.mark.django_db
def test_the_csv_matches_the_page(client, supervisor, responses):
    log_in(client, supervisor)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("services:skm_report"), {"layanan": "KTP"}).content.decode()
        download = client.get(reverse("services:skm_report_csv"), {"layanan": "KTP"})

    assert download["Content-Type"].startswith("text/csv")
    assert 'filename="skm-BKS-KTP-2026-S2.csv"' in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    table = Cells()
    table.feed(page)
    # Every row of every table on the page is a row of the CSV, in the same order.
    assert [r for r in table.rows if r] == [r for r in rows if r in table.rows]
    assert len([r for r in rows if r in table.rows]) == len(table.rows)
    assert ["Jumlah responden", "4"] in rows
    assert ["Saran dan masukan"] in rows and ["Cepat."] in rows
    assert responses.code not in download.content.decode("utf-8-sig")


@pytest.mark.django_db
def test_the_period_and_service_filter_the_report(client, supervisor, office):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=NOW.tzinfo), tick=False):
        SurveyResponseFactory(office=office, answers=(1,) * 9)
    with time_machine.travel(NOW, tick=False):
        SurveyResponseFactory(office=office, answers=(4,) * 9)
        log_in(client, supervisor)
        first = client.get(reverse("services:skm_report"), {"periode": "2026-S1"})
        year = client.get(reverse("services:skm_report"), {"periode": "2026"})
        kk = client.get(reverse("services:skm_report"), {"layanan": "KK"})

    assert ["IKM", "25,00"] in _rows(first)
    assert ["IKM", "62,50"] in _rows(year)  # (1×9 + 4×9) ÷ 2 = 22.5; 22.5 × 25/9 = 62.50
    assert ["IKM", "–"] in _rows(kk)


def _rows(response) -> list[list[str]]:
    table = Cells()
    table.feed(response.content.decode())
    return table.rows


@pytest.mark.django_db
def test_the_report_is_the_supervisors_and_of_their_office_only(
    client, officer, supervisor, other_office, office
):
    SurveyResponseFactory(office=other_office, answers=(1,) * 9)
    client.force_login(officer)
    for name in ("skm_report", "skm_report_csv", "skm_report_pdf"):
        assert client.get(reverse(f"services:{name}")).status_code == 404
    log_in(client, SupervisorFactory(office=office))
    assert ["IKM", "–"] in _rows(client.get(reverse("services:skm_report")))


@pytest.mark.django_db
def test_the_report_costs_the_same_queries_for_many_responses(
    client, supervisor, office, django_assert_max_num_queries
):
    log_in(client, supervisor)
    with time_machine.travel(NOW, tick=False):
        SurveyResponseFactory.create_batch(3, office=office)
        # 13: the supervisor's verified second factor is one read of their device per page.
        with django_assert_max_num_queries(13) as few:
            client.get(reverse("services:skm_report"))
        SurveyResponseFactory.create_batch(60, office=office, suggestion="Bagus.")
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(reverse("services:skm_report"))


@pytest.mark.django_db
def test_the_pdf_is_one_a4_page_per_table(client, supervisor, responses, tmp_path):
    log_in(client, supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("services:skm_report_pdf"))

    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "skm.pdf"
    pdf.write_bytes(response.content)
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+3\b", info)
    assert "595.276 x 841.89 pts (A4)" in info
    pages = [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-layout", pdf, "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in (1, 2, 3)
    ]
    assert "Laporan Survei Kepuasan Masyarakat" in pages[0] and "79,17" in pages[0]
    assert "IKM = (Σ NRR × 1/9) × 25" in pages[0]
    assert "Profil responden" in pages[1] and "Pendidikan terakhir" in pages[1]
    assert "Saran dan masukan" in pages[2] and "Antrean lebih tertib." in pages[2]


def test_a_period_is_a_semester_by_default():
    today = datetime(2026, 11, 20).date()
    assert Period.parse(None, today).key == "2026-S2"
    assert Period.parse("2025-S1", today).label == "Semester I (Januari–Juni) 2025"
    assert Period.parse("2025", today).key == "2025"
    assert Period.parse("rubbish", today).key == "2026-S2"
    assert Period.parse("9999", today).key == "2026-S2"  # no year 10000 to 500 on
    assert Period.parse("2026-S3", today).key == "2026-S2"


@pytest.mark.django_db
def test_seed_demo_adds_enough_responses_for_a_report_once(settings):
    from django.core.management import call_command

    from kelurahan.models import Office
    from services.survey import survey_report

    settings.DEBUG = True
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo")
        call_command("seed_demo")
        office = Office.objects.get(code="BKS")
        report = survey_report(office)

    assert SurveyResponse.objects.filter(office=office).count() == 48
    assert report.result.n == 48 and report.result.grade in "ABCD"
    assert len(report.suggestions) == 12
    assert {row[1] for t in report.profiles for row in t.rows} != {0}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_tabs_submitting_at_once_store_one_response(officer, rt1, rt_chair):
    import threading

    from django.db import connection

    from services.models import Application

    case = case_in(S.COMPLETED, officer=officer, rt=rt1)
    barrier = threading.Barrier(2)
    results = []

    def run(answer):
        try:
            barrier.wait(timeout=10)
            online_response(Application.objects.get(pk=case.pk), answers=(answer,) * 9)
            results.append("ok")
        except WorkflowError as exc:
            results.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in (2, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == sorted(["ok", USED]), results
    assert SurveyResponse.objects.filter(application=case).count() == 1


@pytest.mark.django_db
def test_a_nik_typed_into_a_suggestion_is_masked(completed):
    stored = online_response(completed, suggestion="Saya 3271014501900002, mohon dipercepat.")
    assert stored.suggestion == "Saya 327101******0002, mohon dipercepat."
