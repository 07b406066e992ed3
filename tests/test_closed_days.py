"""An office closed day added, moved or removed in the admin moves the open deadlines (a job)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from kelurahan.models import OfficeClosedDay
from services import workflow
from services.models import Application, ApplicationState
from tests.factories import AdminFactory, ApplicationFactory, log_in, received_in_bulk

S = ApplicationState
WIB = ZoneInfo("Asia/Jakarta")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.fixture
def admin_client(client, monday_case):
    # Logged in after the clock moved, or the session would have expired.
    admin = AdminFactory(username="pengelola", email="a@example.org", password="x")
    log_in(client, admin)
    return client


@pytest.fixture
def monday_case(officer, rt1, time_machine):
    """Received Monday 7 Dec 2026 09:00: due Mon 7, Tue 8 and Wed 9 at 16:00."""
    time_machine.move_to(at("2026-12-07T09:00"), tick=False)
    application = ApplicationFactory(officer=officer, rt=rt1)
    assert application.verify_due == at("2026-12-08T16:00")
    return application


def add_closed_day(admin_client, office, day: str, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:kelurahan_officeclosedday_add"),
            {"office": office.pk, "date": day, "reason": "banjir"},
        )
    assert response.status_code == 302 and "login" not in response["Location"]
    return OfficeClosedDay.objects.get(office=office, date=day)


@pytest.mark.django_db
def test_adding_a_closed_day_moves_the_open_deadlines_with_an_event(
    admin_client, office, monday_case, django_capture_on_commit_callbacks
):
    add_closed_day(admin_client, office, "2026-12-08", django_capture_on_commit_callbacks)
    monday_case.refresh_from_db()
    assert monday_case.archive_due == at("2026-12-07T16:00")  # day 1 is not moved
    assert monday_case.verify_due == at("2026-12-09T16:00")
    assert monday_case.issue_due == at("2026-12-10T16:00")
    event = monday_case.events.get(transition="adjust_deadlines")
    assert event.note == (
        "Hari tutup 8 Des 2026 ditambahkan. Hari 2: 8 Des 2026 → 9 Des 2026; "
        "Hari 3: 9 Des 2026 → 10 Des 2026."
    )
    assert event.by.username == "pengelola"
    assert event.source == event.target == S.RECEIVED


@pytest.mark.django_db
def test_removing_it_moves_them_back_and_a_second_run_changes_nothing(
    admin_client, office, monday_case, django_capture_on_commit_callbacks
):
    day = add_closed_day(admin_client, office, "2026-12-08", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:kelurahan_officeclosedday_delete", args=[day.pk]), {"post": "yes"}
        )
    monday_case.refresh_from_db()
    assert monday_case.verify_due == at("2026-12-08T16:00")
    assert monday_case.issue_due == at("2026-12-09T16:00")
    notes = list(
        monday_case.events.filter(transition="adjust_deadlines").values_list("note", flat=True)
    )
    assert notes[-1].startswith("Hari tutup 8 Des 2026 dihapus.")
    # Idempotent: the job run again (a redelivery) finds nothing to move.
    assert workflow.deadlines_recompute(office=office, reason="ulang") == 0
    assert monday_case.events.filter(transition="adjust_deadlines").count() == 2


@pytest.mark.django_db
def test_bulk_delete_from_the_list_recomputes_too(
    admin_client, office, monday_case, django_capture_on_commit_callbacks
):
    add_closed_day(admin_client, office, "2026-12-08", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:kelurahan_officeclosedday_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": list(office.closed_days.values_list("pk", flat=True)),
                "post": "yes",
            },
        )
    assert not office.closed_days.exists()
    monday_case.refresh_from_db()
    assert monday_case.verify_due == at("2026-12-08T16:00")


@pytest.mark.django_db
def test_the_office_inline_recomputes_on_save(
    admin_client, office, monday_case, django_capture_on_commit_callbacks
):
    url = reverse("admin:kelurahan_office_change", args=[office.pk])
    data = {
        "code": office.code,
        "name": office.name,
        "kecamatan_ref": office.kecamatan_ref_id,
        "address": office.address,
        "phone": "",
        "lurah_name": office.lurah_name,
        "lurah_nip": office.lurah_nip,
        "signatory_form": "",
        "signatory_name": "",
        "signatory_title": "",
        "signatory_nip": "",
        "letterhead": "",
        "rws-TOTAL_FORMS": "1",
        "rws-INITIAL_FORMS": "1",
        "rws-0-id": office.rws.get().pk,
        "rws-0-office": office.pk,
        "rws-0-number": "1",
        "closed_days-TOTAL_FORMS": "1",
        "closed_days-INITIAL_FORMS": "0",
        "closed_days-0-date": "2026-12-08",
        "closed_days-0-reason": "kerja bakti",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302 and "login" not in response["Location"], (
        response.content.decode()[:3000]
    )
    monday_case.refresh_from_db()
    assert monday_case.verify_due == at("2026-12-09T16:00")


@pytest.mark.django_db
def test_reached_milestones_keep_their_deadline_and_closed_cases_are_untouched(
    officer, office, rt1, monday_case, time_machine
):
    for attachment in monday_case.attachments.all():
        workflow.attachment_accept(attachment=attachment, by=officer)
    workflow.application_archive(application=monday_case, by=officer)  # day 1 met on Monday
    cancelled = ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900011")
    workflow.application_cancel(application=cancelled, by=officer, reason="batal")
    OfficeClosedDay.objects.create(office=office, date=date(2026, 12, 7), reason="banjir")
    assert workflow.deadlines_recompute(office=office, reason="hari tutup 7 Des") == 1
    monday_case.refresh_from_db()
    assert monday_case.archive_due == at("2026-12-07T16:00")  # reached: not moved
    assert monday_case.verify_due == at("2026-12-09T16:00")  # day 1 is now Tuesday
    assert monday_case.issue_due == at("2026-12-10T16:00")
    cancelled_due = Application.objects.get(pk=cancelled.pk).verify_due
    assert cancelled_due == at("2026-12-08T16:00")


@pytest.mark.django_db
def test_recompute_starts_from_the_resubmission_not_the_intake(
    officer, office, monday_case, time_machine
):
    workflow.attachment_reject(
        attachment=monday_case.attachments.first(), by=officer, reason="buram"
    )
    workflow.application_mark_incomplete(application=monday_case, by=officer)
    time_machine.move_to(at("2026-12-10T09:00"), tick=False)  # Thursday
    workflow.application_resubmit(application=monday_case, by=officer)
    assert monday_case.verify_due == at("2026-12-11T16:00")
    OfficeClosedDay.objects.create(office=office, date=date(2026, 12, 11), reason="rapat")
    workflow.deadlines_recompute(office=office, reason="hari tutup 11 Des ditambahkan")
    monday_case.refresh_from_db()
    assert monday_case.archive_due == at("2026-12-10T16:00")
    assert monday_case.verify_due == at("2026-12-14T16:00")  # Friday closed: Monday


@pytest.mark.django_db
def test_recompute_touches_only_the_office_of_the_closed_day(
    officer, other_officer, office, other_office, other_rt, monday_case
):
    theirs = ApplicationFactory(officer=other_officer, rt=other_rt)
    OfficeClosedDay.objects.create(office=other_office, date=date(2026, 12, 8), reason="x")
    assert workflow.deadlines_recompute(office=office, reason="x") == 0
    assert workflow.deadlines_recompute(office=other_office, reason="x") == 1
    theirs.refresh_from_db()
    monday_case.refresh_from_db()
    assert theirs.verify_due == at("2026-12-09T16:00")
    assert monday_case.verify_due == at("2026-12-08T16:00")


@pytest.mark.django_db
def test_recompute_query_count_does_not_grow_with_the_cases(
    officer, office, rt1, monday_case, django_assert_max_num_queries
):
    received_in_bulk(60, officer=officer, rt=rt1, due=at("2026-12-07T16:00"))
    OfficeClosedDay.objects.create(office=office, date=date(2026, 12, 8), reason="x")
    # Select (with the rows locked), the closed days, one UPDATE per new set of deadlines,
    # one INSERT of the events, the sweep position (and, had the sweep run, up to three
    # breach inserts): 61 cases, no query per case.
    with django_assert_max_num_queries(8):
        changed = workflow.deadlines_recompute(office=office, reason="x")
    assert changed == 61
    assert Application.objects.filter(verify_due=at("2026-12-09T16:00")).count() == 61


@pytest.mark.django_db
def test_moving_a_closed_day_in_the_admin_names_both_dates(
    admin_client, office, monday_case, django_capture_on_commit_callbacks
):
    day = add_closed_day(admin_client, office, "2026-12-08", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:kelurahan_officeclosedday_change", args=[day.pk]),
            {"office": office.pk, "date": "2026-12-09", "reason": "banjir"},
        )
    assert response.status_code == 302
    monday_case.refresh_from_db()
    assert monday_case.verify_due == at("2026-12-08T16:00")  # Tuesday open again
    assert monday_case.issue_due == at("2026-12-10T16:00")  # Wednesday closed
    note = monday_case.events.filter(transition="adjust_deadlines").latest("id").note
    assert note.startswith("Hari tutup 8 Des 2026 dipindah ke 9 Des 2026.")


@pytest.mark.django_db
def test_a_deadline_moved_behind_the_sweep_is_recorded_as_breached_once(
    officer, office, rt1, time_machine
):
    from services.models import Notification, SlaBreach
    from services.sla import sla_sweep

    wrong = OfficeClosedDay.objects.create(office=office, date=date(2026, 12, 8), reason="salah")
    time_machine.move_to(at("2026-12-07T09:00"), tick=False)
    application = ApplicationFactory(officer=officer, rt=rt1)
    for attachment in application.attachments.all():
        workflow.attachment_accept(attachment=attachment, by=officer)
    workflow.application_archive(application=application, by=officer)
    assert application.issue_due == at("2026-12-10T16:00")
    time_machine.move_to(at("2026-12-10T10:00"), tick=False)
    sla_sweep()  # the RT's day 2 (Wed 9) passed: one breach
    assert list(SlaBreach.objects.values_list("milestone", flat=True)) == ["verify"]
    wrong.delete()  # Tuesday was open after all: day 3 was yesterday, already swept
    workflow.deadlines_recompute(office=office, reason="hari tutup 8 Des 2026 dihapus")
    issue = SlaBreach.objects.get(milestone="issue")
    assert issue.due == at("2026-12-09T16:00")
    assert Notification.objects.filter(key=f"breach:issue:{application.pk}").count() == 1
    workflow.deadlines_recompute(office=office, reason="ulang")
    sla_sweep()
    assert SlaBreach.objects.count() == 2


@pytest.mark.django_db
def test_migration_fills_the_clock_start_from_the_last_resubmission(officer, rt1, time_machine):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("services.migrations.0015_corrections")
    time_machine.move_to(at("2026-12-07T09:00"), tick=False)
    resubmitted = ApplicationFactory(officer=officer, rt=rt1)
    untouched = ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900011")
    resubmitted.events.create(transition="resubmit", at=at("2026-12-09T10:00"))
    resubmitted.events.create(transition="resubmit", at=at("2026-12-10T11:00"))
    Application.objects.update(sla_started_at=None)  # as before the field existed
    migration.fill_sla_start(apps, None)
    assert Application.objects.get(pk=resubmitted.pk).sla_started_at == at("2026-12-10T11:00")
    assert Application.objects.get(pk=untouched.pk).sla_started_at is None  # = received_at
