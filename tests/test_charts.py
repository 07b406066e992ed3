"""The supervisor's charts (/dasbor/<office>/grafik/): each chart's numbers against an
independent count over the same rows, the stage times the workflow stores, the date range,
the CSVs, who may see them, and a query count that does not grow with the cases."""

import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from services import chart_page, workflow
from services.models import Application, ApplicationEvent, Complaint, SlaBreach, SurveyResponse
from services.sla import WorkingCalendar, sla_sweep
from services.sla.charts import (
    AGE_BINS,
    DateRange,
    breaches_by_officer,
    breaches_by_rt,
    ikm_by_month,
    on_time_by_week,
    open_cases_by_age,
    open_complaints_by_age,
    stage_hours_by_service,
)
from services.survey import ELEMENT_CODES, ikm
from tests.factories import (
    ApplicationFactory,
    OfficerFactory,
    RtChairFactory,
    SupervisorFactory,
    SurveyResponseFactory,
    case_in,
    cases_in_bulk,
    closed_day,
    complaint_filed,
    log_in,
    timed_case,
)
from verification import workflow as rt_workflow

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 26, 11, 0, tzinfo=WIB)  # a Thursday
PERIOD = DateRange(date(2026, 10, 5), date(2026, 11, 26))  # the default at NOW: 8 weeks


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def nik(i: int) -> str:
    return f"32710101019{i:05d}"


@pytest.fixture
def month(office, officer, supervisor, rt1, rt2, rt_chair, other_rt_chair, other_officer, other_rt):
    """A month of one office (and a little of another): on time, late, a verify breach
    approved late, cases stuck at the RT and at the desk, a cancellation, complaints and
    survey answers; the sweep run as it would have."""
    closed_day(office, date(2026, 11, 18))  # the office's own closed Wednesday
    second = OfficerFactory(office=office, first_name="Budi", last_name="Santoso")
    timed_case(  # on time
        officer=officer, rt=rt1, nik=nik(1),
        steps={"receive": at("2026-11-02T09:00"), "archive": at("2026-11-02T13:00"),
               "approve": at("2026-11-03T10:00"), "issue": at("2026-11-04T09:00")},
    )  # fmt: skip
    timed_case(  # issued a day late (SITU, the other officer)
        officer=second, rt=rt1, nik=nik(2), service="SITU",
        steps={"receive": at("2026-11-10T09:00"), "archive": at("2026-11-10T10:00"),
               "approve": at("2026-11-11T09:00"), "issue": at("2026-11-13T10:00")},
    )  # fmt: skip
    # The RT answers after its deadline (day 2 is the 19th: the 18th is closed); the sweep
    # on the evening of the 19th records the breach; the letter is still on time.
    slow = timed_case(
        officer=officer, rt=rt2, nik=nik(3),
        steps={"receive": at("2026-11-17T10:00"), "archive": at("2026-11-17T15:00")},
    )  # fmt: skip
    with time_machine.travel(at("2026-11-19T17:00"), tick=False):
        sla_sweep()
    with time_machine.travel(at("2026-11-20T09:00"), tick=False):
        rt_workflow.verification_approve(
            request=slow.verification_requests.get(), by=other_rt_chair
        )
    with time_machine.travel(at("2026-11-20T11:00"), tick=False):
        workflow.application_issue(application=slow, by=officer)
    # Stuck at RT 002 since Monday, and one never archived at the desk.
    timed_case(
        officer=officer, rt=rt2, nik=nik(4),
        steps={"receive": at("2026-11-23T09:00"), "archive": at("2026-11-23T10:00")},
    )  # fmt: skip
    timed_case(officer=second, rt=rt1, nik=nik(5), steps={"receive": at("2026-11-25T09:00")})
    timed_case(officer=officer, rt=rt1, nik=nik(6), steps={"receive": at("2026-11-26T08:30")})
    with time_machine.travel(at("2026-11-24T09:00"), tick=False):
        cancelled = ApplicationFactory(officer=officer, rt=rt1, nik=nik(7))
        workflow.application_cancel(application=cancelled, by=officer, reason="batal")
    for moment in ("2026-11-12T09:00", "2026-11-20T09:00", "2026-11-26T09:00"):
        with time_machine.travel(at(moment), tick=False):
            complaint_filed(office=office)
    answers_on = {
        "2026-10-07": (4,) * 9,
        "2026-10-20": (3,) * 9,
        "2026-11-03": (2, 3, 4, 3, 2, 3, 4, 3, 3),
        "2026-09-30": (1,) * 9,  # before the range
    }
    for day, answers in answers_on.items():
        SurveyResponseFactory(office=office, answers=answers, created_at=at(f"{day}T10:00"))
    # The other office: a late case with its breach, a complaint, an answer; none counts here.
    timed_case(
        officer=other_officer, rt=other_rt, nik=nik(8), steps={"receive": at("2026-11-23T09:00")}
    )
    with time_machine.travel(at("2026-11-25T09:00"), tick=False):
        complaint_filed(office=other_officer.membership.office)
    SurveyResponseFactory(office=other_officer.membership.office, created_at=at("2026-11-03T10:00"))
    with time_machine.travel(NOW, tick=False):
        sla_sweep()
    return office


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


# --- each chart against an independent count over the same rows ---------------------------------
def local_day(value) -> date:
    return timezone.localtime(value).date()


@pytest.mark.django_db
def test_on_time_per_week_counts_each_letter_due_in_its_week(month, now):
    expected = defaultdict(Counter)
    for case in Application.objects.filter(office=month):
        due = local_day(case.issue_due)
        if case.state in ("cancelled", "rejected", "incomplete") or not (
            PERIOD.start <= due <= PERIOD.end
        ):
            continue
        week = due - timedelta(days=due.weekday())
        expected[week]["due"] += 1
        if case.issued_at and case.issued_at <= case.issue_due:
            expected[week]["on_time"] += 1
        elif case.issued_at or case.issue_due < now:
            expected[week]["late"] += 1
    weeks = on_time_by_week(month, PERIOD, now)
    assert [w.week for w in weeks] == PERIOD.weeks() and len(weeks) == 8
    got = {w.week: Counter(due=w.due, on_time=w.on_time, late=w.late) for w in weeks if w.due}
    assert got == {week: +counts for week, counts in expected.items()}
    # The month as built: on time on the 4th and the 20th, late on the 12th (issued on the
    # 13th) and on the 25th (stuck at the RT); Wednesday's and today's are due after the
    # range (the 27th, the 30th); the cancelled one is not counted.
    assert {w.week: (w.on_time, w.late, w.pending) for w in weeks if w.due} == {
        date(2026, 11, 2): (1, 0, 0),
        date(2026, 11, 9): (0, 1, 0),
        date(2026, 11, 16): (1, 0, 0),
        date(2026, 11, 23): (0, 1, 0),
    }
    by_week = {w.week: w for w in weeks}
    assert by_week[date(2026, 11, 9)].share == 0 and by_week[date(2026, 11, 2)].share == 100
    assert by_week[date(2026, 10, 5)].share is None  # nothing due: a gap, not 0%


@pytest.mark.django_db
def test_time_per_stage_is_the_mean_of_the_working_time_between_the_steps(month, now):
    calendar = WorkingCalendar(month)
    start, stop = PERIOD.bounds()
    per_service = defaultdict(lambda: defaultdict(list))
    for case in Application.objects.filter(office=month, issued_at__gte=start, issued_at__lt=stop):
        when = dict(
            ApplicationEvent.objects.filter(application=case).values_list("transition", "at")
        )
        steps = [when["receive"], when["archive"], when["approve"], when["issue"]]
        for key, a, b in zip(("archive", "verify", "issue"), steps, steps[1:], strict=False):
            per_service[case.service.name][key].append(calendar.working_seconds_between(a, b))
    rows = {r.label: r for r in stage_hours_by_service(month, PERIOD)}
    assert set(rows) == {*per_service, "Semua layanan"}
    for name, stages in per_service.items():
        for key, seconds in stages.items():
            assert rows[name].hours(key) == pytest.approx(sum(seconds) / len(seconds) / 3600)
    assert rows["Semua layanan"].letters == 3
    # The slow RT: archived Tuesday 15:00, approved Friday 09:00, the closed Wednesday not
    # counted: 1 h Tuesday + 8 h Thursday + 1 h Friday.
    slow = Application.objects.get(nik=nik(3))
    assert slow.verify_seconds == 10 * 3600


@pytest.mark.django_db
def test_breaches_per_rt_and_per_officer_count_the_breaches_due_in_the_range(month, now):
    start, stop = PERIOD.bounds()
    breaches = SlaBreach.objects.filter(
        application__office=month, due__gte=start, due__lt=stop
    ).select_related("application__rt__rw", "application__received_by")
    by_rt, by_officer = Counter(), Counter()
    for breach in breaches:
        rt = breach.application.rt
        by_rt[(f"RT {rt.number:03d}/RW {rt.rw.number:03d}", breach.milestone)] += 1
        by_officer[(breach.application.received_by.get_full_name(), breach.milestone)] += 1

    def got(rows) -> Counter:
        return Counter({(r.label, m): n for r in rows for m, n in r.by_milestone.items() if n})

    got_rt, got_officer = (
        got(breaches_by_rt(month, PERIOD)),
        got(breaches_by_officer(month, PERIOD)),
    )
    assert got_rt == by_rt and got_officer == by_officer
    # The sweep wrote each breach's office beside it (the chart's index is on it).
    assert not SlaBreach.objects.exclude(office=F("application__office")).exists()
    # RT 002 is the outlier: the late answer, and the case waiting since Monday.
    assert breaches_by_rt(month, PERIOD)[0].label == "RT 002/RW 001"
    assert breaches_by_rt(month, PERIOD)[0].by_milestone["verify"] == 2


@pytest.mark.django_db
def test_open_cases_and_complaints_by_age_in_working_days(month, now):
    calendar = WorkingCalendar(month)

    def expected(rows) -> list[int]:
        counts = [0] * len(AGE_BINS)
        for received in rows:
            age = calendar.working_days_between(local_day(received), now.date())
            for i, (low, high, _label) in enumerate(AGE_BINS):
                if age >= low and (high is None or age <= high):
                    counts[i] += 1
        return counts

    cases = Application.objects.filter(office=month, is_open=True).exclude(state="issued")
    complaints = Complaint.objects.filter(office=month, state__in=["received", "verified"])
    got_cases = [b.count for b in open_cases_by_age(month, now)]
    got_complaints = [b.count for b in open_complaints_by_age(month, now)]
    assert got_cases == expected(cases.values_list("received_at", flat=True))
    assert got_complaints == expected(complaints.values_list("received_at", flat=True))
    # Today's case is 0 days old, Wednesday's 1, Monday's 3 (the 18th closed does not
    # shorten these: it is last week); the complaint of the 12th is 9 working days old
    # (the closed 18th not counted).
    assert got_cases == [1, 1, 0, 1, 0, 0, 0]
    assert got_complaints == [1, 0, 0, 0, 1, 1, 0]


@pytest.mark.django_db
def test_ikm_per_month_is_the_skm_reports_ikm_of_that_months_answers(month, now):
    months = ikm_by_month(month, PERIOD)
    assert [m.month for m in months] == [date(2026, 10, 1), date(2026, 11, 1)]
    start, stop = PERIOD.bounds()
    for m in months:
        rows = SurveyResponse.objects.filter(
            office=month, created_at__gte=start, created_at__lt=stop,
            created_at__month=m.month.month,
        ).values_list(*ELEMENT_CODES)  # fmt: skip
        assert m.result.n == len(rows)
        assert m.ikm == ikm(rows).ikm_rounded
    assert str(months[0].ikm) == "87.50" and months[0].result.grade == "B"  # (100 + 75) / 2
    assert months[1].result.n == 1  # the other office's answer is not here


# --- the workflow stores each stage's working seconds -------------------------------------------
@pytest.mark.django_db
def test_each_step_that_ends_a_stage_stores_its_working_seconds(officer, rt1, rt_chair):
    case = timed_case(
        officer=officer, rt=rt1,
        steps={"receive": at("2026-11-20T15:00"), "archive": at("2026-11-23T09:30"),
               "approve": at("2026-11-23T15:00"), "issue": at("2026-11-24T08:15")},
    )  # fmt: skip
    # Friday 15:00 → Monday 09:30: 1 h + 1.5 h; Monday 09:30 → 15:00; 15:00 → Tuesday 08:15.
    assert case.archive_seconds == int(2.5 * 3600)
    assert case.verify_seconds == int(5.5 * 3600)
    assert case.issue_seconds == int(1.25 * 3600)


@pytest.mark.django_db
def test_a_reopened_case_counts_its_rt_stage_from_the_reopen(officer, supervisor, rt1, rt_chair):
    case = timed_case(
        officer=officer, rt=rt1,
        steps={"receive": at("2026-11-23T09:00"), "archive": at("2026-11-23T10:00")},
    )  # fmt: skip
    with time_machine.travel(at("2026-11-23T11:00"), tick=False):
        rt_workflow.verification_reject(
            request=case.verification_requests.get(), by=rt_chair, note="bukan warga"
        )
    with time_machine.travel(at("2026-11-25T09:00"), tick=False):
        rt_workflow.application_reopen_and_send_to_rt(
            application=case, by=supervisor, reason="warga RT ini"
        )
    with time_machine.travel(at("2026-11-25T11:00"), tick=False):
        rt_workflow.verification_approve(
            request=case.verification_requests.get(state="pending"), by=rt_chair
        )
    case.refresh_from_db()
    assert case.verify_seconds == 2 * 3600


@pytest.mark.django_db
def test_the_migration_backfills_the_stage_times_of_existing_cases(month):
    import importlib

    from django.apps import apps

    stored = dict(
        Application.objects.values_list("pk", "verify_seconds").filter(verify_seconds__isnull=False)
    )
    Application.objects.update(archive_seconds=None, verify_seconds=None, issue_seconds=None)
    importlib.import_module("services.migrations.0023_stage_times").backfill(apps, None)
    again = dict(
        Application.objects.values_list("pk", "verify_seconds").filter(verify_seconds__isnull=False)
    )
    assert again == stored and len(stored) == 3


# --- the page, its date range, its CSVs, who sees it ---------------------------------------------
def url(office_code: str = "BKS", **query) -> str:
    path = reverse("services:charts", args=[office_code])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.django_db
def test_the_page_draws_each_chart_as_an_svg_image_with_its_table(client, month, supervisor, now):
    log_in(client, supervisor)
    response = client.get(url())
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert html.count('role="img"') == 7 and html.count("<table") == 7
    for chart in chart_page.charts(month, PERIOD, now):
        assert f'aria-labelledby="svg-judul-{chart.key} svg-ket-{chart.key}"' in html
        assert f'<title id="svg-judul-{chart.key}">{chart.title}</title>' in html
        assert reverse("services:chart_csv", args=["BKS", chart.key]) in html
    assert "5 Okt 2026 – 26 Nov 2026" in html  # the default range: the last 8 weeks
    assert "RT 002/RW 001" in html and "Budi Santoso" in html
    assert "<script" not in html.split("<main", 1)[-1]  # no chart library
    # Coordinates are written as SVG reads them, never in the locale's "49,7".
    assert not re.search(r'(?:x|y|x1|x2|y1|y2|width|height|cx|cy)="-?\d+,\d', html)


@pytest.mark.django_db
def test_the_date_range_narrows_every_chart_in_it(client, month, supervisor, now):
    log_in(client, supervisor)
    response = client.get(url(dari="2026-11-09", sampai="2026-11-15"))
    charts = {c.key: c for c in response.context["charts"]}
    assert response.context["period"] == DateRange(date(2026, 11, 9), date(2026, 11, 15))
    assert [row[0] for row in charts["tepat-waktu"].rows] == ["9 Nov 2026"]
    assert charts["tepat-waktu"].rows[0][1:] == ["1", "0", "1", "0", "0,0%"]
    assert charts["lama-tahap"].rows[-1][:2] == ["Semua layanan", "1"]  # issued on the 13th
    # The one breach due that week: the letter due on the 12th, issued on the 13th.
    assert charts["pelanggaran-rt"].rows == [["RT 001/RW 001", "0", "0", "1", "1"]]
    assert [row[0] for row in charts["ikm"].rows] == ["Nov 2026"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"dari": "2026-11-20", "sampai": "2026-11-10"}, "Tanggal awal harus sebelum"),
        ({"dari": "2026-11-01", "sampai": "2026-11-27"}, "tidak boleh setelah hari ini"),
        ({"dari": "2025-01-01", "sampai": "2026-11-26"}, "paling panjang satu tahun"),
        ({"dari": "kemarin", "sampai": "2026-11-26"}, "Tanggal tidak dikenali"),
    ],
)
@pytest.mark.django_db
def test_a_wrong_range_says_why_in_indonesian_and_shows_the_default(
    client, supervisor, now, query, message
):
    log_in(client, supervisor)
    response = client.get(url(**query))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["period"] == PERIOD
    csv = client.get(reverse("services:chart_csv", args=["BKS", "ikm"]), query)
    assert csv.status_code == 400 and message in csv.content.decode()


@pytest.mark.django_db
def test_each_csv_is_its_table(client, month, supervisor, now):
    import csv
    import io

    log_in(client, supervisor)
    query = {"dari": "2026-10-05", "sampai": "2026-11-26"}
    for chart in chart_page.charts(month, PERIOD, now):
        response = client.get(reverse("services:chart_csv", args=["BKS", chart.key]), query)
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert f"{chart.key}-BKS-20261005-20261126.csv" in response["Content-Disposition"]
        text = response.content.decode("utf-8")
        assert text.startswith("\ufeff")
        assert list(csv.reader(io.StringIO(text[1:]))) == [chart.headers, *chart.rows]
    rt = client.get(reverse("services:chart_csv", args=["BKS", "pelanggaran-rt"]), query)
    assert "RT 002/RW 001,0,2,1,3" in rt.content.decode()
    assert client.get(reverse("services:chart_csv", args=["BKS", "tidak-ada"])).status_code == 404


@pytest.mark.django_db
def test_only_the_offices_supervisor_sees_its_charts(
    client, office, officer, rt_chair, other_office, now
):
    other_supervisor = SupervisorFactory(office=other_office)
    csv_url = reverse("services:chart_csv", args=["BKS", "ikm"])
    for user in (officer, rt_chair, other_supervisor):
        log_in(client, user)
        assert client.get(url()).status_code == 404, user
        assert client.get(csv_url).status_code == 404, user
    log_in(client, other_supervisor)
    assert client.get(url("KBR")).status_code == 200  # their own office
    assert client.get(url("XXX")).status_code == 404
    client.logout()
    assert client.get(url()).status_code == 302  # to the login page


@pytest.mark.django_db
def test_the_dashboard_links_the_charts_for_the_supervisor_only(client, officer, supervisor):
    log_in(client, supervisor)
    assert url() in client.get(reverse("services:dashboard")).content.decode()
    log_in(client, officer)
    assert url() not in client.get(reverse("services:dashboard")).content.decode()


# --- the query count does not grow with the cases -----------------------------------------------
@pytest.mark.django_db
def test_the_page_costs_the_same_queries_with_10_and_1000_cases(
    client, office, officer, supervisor, rt1, rt2, django_assert_max_num_queries, now
):
    RtChairFactory(rt=rt1)
    start = at("2026-10-06T08:00")
    cases_in_bulk(10, officer=officer, rts=[rt1, rt2], start=start)
    log_in(client, supervisor)
    client.get(url())  # warm the caches (content types, sessions)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url())
        assert response.status_code == 200
        return len(queries), {c.key: c for c in response.context["charts"]}

    small, charts = count()
    assert charts["tepat-waktu"].rows and sum(int(r[1]) for r in charts["tepat-waktu"].rows) == 10
    cases_in_bulk(990, officer=officer, rts=[rt1, rt2], start=start, first=10)
    assert Application.objects.count() == 1000
    big, charts = count()
    assert small == big
    # Session, user, the TOTP device, membership, the bell, the office's closed days, and one
    # per chart.
    with django_assert_max_num_queries(13):
        client.get(url())
    # The big page did count the thousand rows: every letter due, every fifth case breached.
    assert sum(int(r[1]) for r in charts["tepat-waktu"].rows) == 1000
    assert sum(int(r[-1]) for r in charts["pelanggaran-rt"].rows) == 200
    assert charts["lama-tahap"].rows[-1][:2] == [
        "Semua layanan",
        str(Application.objects.filter(issued_at__isnull=False).count()),
    ]


@pytest.mark.django_db
def test_a_case_in_every_state_is_counted_once_on_the_charts(
    client, officer, supervisor, rt1, rt_chair, now
):
    """No state falls through: the age chart counts exactly the open cases not yet issued."""
    for i, state in enumerate(
        ["received", "incomplete", "archived", "in_verification", "verified", "issued",
         "rejected", "cancelled"]
    ):  # fmt: skip
        case_in(state, officer=officer, rt=rt1, nik=nik(20 + i))
    bins = open_cases_by_age(officer.membership.office, now)
    assert sum(b.count for b in bins) == 5 == bins[0].count


@pytest.mark.django_db
def test_the_age_in_working_days_skips_the_offices_own_closed_day(officer, rt1, now):
    """Received Tuesday, the office closed on Wednesday: on Thursday the case is 1 working
    day old, not 2 (and the complaint of Tuesday too)."""
    office = officer.membership.office
    closed_day(office, date(2026, 11, 25))
    timed_case(officer=officer, rt=rt1, steps={"receive": at("2026-11-24T10:00")})
    with time_machine.travel(at("2026-11-24T10:00"), tick=False):
        complaint_filed(office=office)
    for bins in (open_cases_by_age(office, now), open_complaints_by_age(office, now)):
        assert [b.count for b in bins] == [0, 1, 0, 0, 0, 0, 0]


@pytest.mark.django_db
def test_several_offices_side_by_side_add_up_to_each_office_alone(month, other_office, now):
    """Issue 17's camat and city pages: one call over several offices is each office's
    numbers added (their own calendars; RTs named with their office)."""
    both = [month, other_office]
    for fetch in (
        lambda o: [w.due for w in on_time_by_week(o, PERIOD, now)],
        lambda o: [b.count for b in open_cases_by_age(o, now)],
        lambda o: [b.count for b in open_complaints_by_age(o, now)],
    ):
        alone = [fetch(month), fetch(other_office)]
        assert fetch(both) == [a + b for a, b in zip(*alone, strict=True)]
    labels = {r.label for r in breaches_by_rt(both, PERIOD)}
    assert {"BKS RT 002/RW 001", "KBR RT 009/RW 007"} <= labels
    assert sum(m.result.n for m in ikm_by_month(both, PERIOD)) == 4


@pytest.mark.django_db
def test_breaches_per_rt_read_the_breaches_not_their_cases(month, office):
    """The breach carries its case's RT: the per-RT query joins RT, RW and office rows only,
    never the cases (at 5M cases on PostgreSQL that join was a key lookup per breach)."""
    with CaptureQueriesContext(connection) as queries:
        breaches_by_rt(office, PERIOD)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert "services_application" not in sql, sql


@pytest.mark.django_db
def test_on_postgresql_every_chart_query_can_be_served_by_an_index(month, office, now):
    """On PostgreSQL, with sequential scans priced out (the test tables are tiny), no query
    of the charts page is left with a table scan of the cases, breaches, complaints or
    survey answers (the dashboard's own: tests/test_dashboard_numbers.py)."""
    if connection.vendor != "postgresql":
        pytest.skip("the plan is read with PostgreSQL's EXPLAIN")
    with CaptureQueriesContext(connection) as queries:
        chart_page.charts(office, PERIOD, now)
    assert len(queries.captured_queries) >= len(chart_page.CHARTS)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for table in (
                "services_application",
                "services_slabreach",
                "services_complaint",
                "services_surveyresponse",
            ):
                assert f"Seq Scan on {table}" not in plan, (query["sql"], plan)
