"""Deadlines on cases, the SLA sweep, reminders, notifications, the digest and the schedules."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django_q.models import Schedule

from services import workflow
from services.models import Notification, SlaBreach
from services.notifications import morning_digest
from services.sla import sla_sweep
from tests.factories import ApplicationFactory, OfficerFactory, log_in, received_in_bulk

WIB = ZoneInfo("Asia/Jakarta")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.mark.django_db
def test_intake_stores_the_three_deadlines(officer, rt1, time_machine):
    time_machine.move_to(at("2026-11-20T10:00"), tick=False)  # a Friday
    application = ApplicationFactory(officer=officer, rt=rt1)
    assert application.archive_due == at("2026-11-20T16:00")
    assert application.verify_due == at("2026-11-23T16:00")
    assert application.issue_due == at("2026-11-24T16:00")
    assert application.queue_due == application.archive_due


@pytest.mark.django_db
def test_incomplete_stops_the_clock_and_resubmit_restarts_day_one(officer, rt1, time_machine):
    time_machine.move_to(at("2026-11-23T09:00"), tick=False)
    application = ApplicationFactory(officer=officer, rt=rt1)
    workflow.attachment_reject(
        attachment=application.attachments.first(), by=officer, reason="buram"
    )
    workflow.application_mark_incomplete(application=application, by=officer)
    assert application.queue_due.year == 9999  # no running clock: sorts last
    time_machine.move_to(at("2026-11-25T20:00"), tick=False)
    assert sla_sweep() == 0  # the old archive deadline passed while the clock was stopped
    time_machine.move_to(at("2026-11-26T10:00"), tick=False)
    workflow.application_resubmit(application=application, by=officer)
    assert application.archive_due == at("2026-11-26T16:00")
    assert application.verify_due == at("2026-11-27T16:00")
    assert application.issue_due == at("2026-11-30T16:00")


@pytest.mark.django_db
def test_sweep_run_twice_records_each_breach_once_and_notifies_once(
    officer, supervisor, rt1, time_machine
):
    time_machine.move_to(at("2026-11-23T09:00"), tick=False)
    application = ApplicationFactory(officer=officer, rt=rt1)
    time_machine.move_to(at("2026-11-23T16:05"), tick=False)
    assert sla_sweep() == 1
    assert sla_sweep() == 0
    time_machine.move_to(at("2026-11-23T16:10"), tick=False)
    assert sla_sweep() == 0
    breach = SlaBreach.objects.get()
    assert (breach.application, breach.milestone) == (application, "archive")
    assert breach.due == at("2026-11-23T16:00")
    notes = Notification.objects.filter(application=application)
    assert sorted(notes.values_list("recipient__username", "kind")) == [
        ("lurah", "escalation"),
        ("petugas", "breach"),
    ]


@pytest.mark.django_db
def test_sweep_keeps_running_when_a_resubmitted_case_breaches_the_same_milestone_again(
    officer, supervisor, rt1, time_machine
):
    from services.models import SweepState

    time_machine.move_to(at("2026-11-23T09:00"), tick=False)  # Monday
    case = ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900011")
    time_machine.move_to(at("2026-11-23T16:05"), tick=False)
    assert sla_sweep() == 1  # day 1 missed
    time_machine.move_to(at("2026-11-24T09:00"), tick=False)
    workflow.attachment_reject(attachment=case.attachments.first(), by=officer, reason="buram")
    workflow.application_mark_incomplete(application=case, by=officer)
    other = ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900012")
    time_machine.move_to(at("2026-11-24T10:00"), tick=False)
    workflow.application_resubmit(application=case, by=officer)
    assert case.archive_due == other.archive_due == at("2026-11-24T16:00")

    # Day 1 missed again: the case already has its archive breach; the other case is new.
    time_machine.move_to(at("2026-11-24T16:05"), tick=False)
    assert sla_sweep() == 1
    time_machine.move_to(at("2026-11-25T16:05"), tick=False)
    assert sla_sweep() == 2  # both miss day 2: the sweep did not stop

    assert sorted(SlaBreach.objects.values_list("application__code", "milestone", "due")) == [
        (case.code, "archive", at("2026-11-23T16:00")),  # the first breach stays as it was
        (case.code, "verify", at("2026-11-25T16:00")),
        (other.code, "archive", at("2026-11-24T16:00")),
        (other.code, "verify", at("2026-11-25T16:00")),
    ]
    assert SweepState.objects.get().swept_until == at("2026-11-25T16:05")
    assert Notification.objects.filter(recipient=officer, key=f"breach:archive:{other.pk}").exists()


@pytest.mark.django_db
def test_sweep_after_downtime_catches_up_each_milestone_once(officer, rt1, time_machine):
    time_machine.move_to(at("2026-11-23T09:00"), tick=False)
    ApplicationFactory(officer=officer, rt=rt1)
    time_machine.move_to(at("2026-11-26T09:00"), tick=False)  # three days without a sweep
    assert sla_sweep() == 3
    assert set(SlaBreach.objects.values_list("milestone", flat=True)) == {
        "archive",
        "verify",
        "issue",
    }
    assert sla_sweep() == 0


@pytest.mark.django_db
def test_a_milestone_reached_late_is_still_a_breach(officer, rt1, time_machine):
    time_machine.move_to(at("2026-11-23T09:00"), tick=False)
    application = ApplicationFactory(officer=officer, rt=rt1)
    sla_sweep()
    time_machine.move_to(at("2026-11-23T16:30"), tick=False)
    for attachment in application.attachments.all():
        workflow.attachment_accept(attachment=attachment, by=officer)
    workflow.application_archive(application=application, by=officer)  # 30 minutes late
    time_machine.move_to(at("2026-11-23T16:35"), tick=False)
    assert sla_sweep() == 1
    assert SlaBreach.objects.get().milestone == "archive"


@pytest.mark.django_db
@pytest.mark.parametrize("n", [10, 1000])
def test_sweep_query_count_does_not_grow_with_the_number_of_overdue_cases(
    officer, supervisor, rt1, n, django_assert_num_queries, time_machine
):
    time_machine.move_to(at("2026-11-23T16:30"), tick=False)
    received_in_bulk(n, officer=officer, rt=rt1, due=at("2026-11-23T16:00"))
    # Same number of queries for 10 and 1,000 overdue cases (see the parametrisation).
    with django_assert_num_queries(SWEEP_QUERIES):
        assert sla_sweep() == n
    assert SlaBreach.objects.count() == n
    assert Notification.objects.count() == 2 * n  # officer + supervisor


# Claim (get_or_create + update), three milestone selects, the breach insert, the staff
# lookup, the RT reminder and RT-overdue inserts, the notification insert, the two complaint
# breach inserts (verify, answer), plus the savepoints; on PostgreSQL the sweep's advisory lock.
SWEEP_QUERIES = 15 + (connection.vendor == "postgresql")


@pytest.mark.django_db
def test_rt_chair_is_reminded_once_a_few_hours_before_verify_due(
    officer, rt1, rt_chair, time_machine
):
    from verification.workflow import application_send_to_rt

    time_machine.move_to(at("2026-11-23T09:00"), tick=False)
    application = ApplicationFactory(officer=officer, rt=rt1)
    for attachment in application.attachments.all():
        workflow.attachment_accept(attachment=attachment, by=officer)
    workflow.application_archive(application=application, by=officer)
    application_send_to_rt(application=application, by=officer)
    time_machine.move_to(at("2026-11-24T09:00"), tick=False)
    sla_sweep()
    assert not Notification.objects.filter(kind="rt_reminder").exists()
    time_machine.move_to(at("2026-11-24T13:05"), tick=False)  # verify_due is 24 Nov 16:00
    sla_sweep()
    time_machine.move_to(at("2026-11-24T14:00"), tick=False)
    sla_sweep()
    reminder = Notification.objects.get(kind="rt_reminder")
    assert reminder.recipient == rt_chair and application.code in reminder.message


@pytest.mark.django_db
def test_notification_email_goes_out_once_to_people_with_an_address(
    officer, supervisor, rt1, time_machine
):
    officer.email = "rina@kelurahan.example"
    officer.save()
    time_machine.move_to(at("2026-11-23T09:00"), tick=False)
    ApplicationFactory(officer=officer, rt=rt1)
    time_machine.move_to(at("2026-11-23T16:05"), tick=False)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        sla_sweep()
    with TestCase.captureOnCommitCallbacks(execute=True):
        sla_sweep()
    assert [m.to for m in mail.outbox] == [["rina@kelurahan.example"]]
    assert "terlambat" in mail.outbox[0].subject


@pytest.mark.django_db
def test_morning_digest_is_sent_once_a_day(officer, supervisor, rt1, time_machine):
    time_machine.move_to(at("2026-11-23T09:00"), tick=False)
    ApplicationFactory(officer=officer, rt=rt1)
    time_machine.move_to(at("2026-11-24T07:00"), tick=False)
    morning_digest()
    morning_digest()
    digests = Notification.objects.filter(kind="digest")
    assert digests.count() == 2  # officer and supervisor, once each
    assert "1 sudah terlambat" in digests.first().message


@pytest.mark.django_db
def test_schedules_exist_once_after_migrate():
    sweep = Schedule.objects.get(name="sla_sweep")
    assert sweep.func == "services.tasks.sla_sweep_task" and sweep.minutes == 5
    digest = Schedule.objects.get(name="morning_digest")
    assert digest.schedule_type == Schedule.DAILY
    assert digest.next_run.astimezone(WIB).hour == 7
    assert Schedule.objects.filter(name__in=["sla_sweep", "morning_digest"]).count() == 2


def test_job_cluster_settings_follow_the_django_q2_rules(settings):
    q = settings.Q_CLUSTER
    assert q["retry"] > q["timeout"]
    assert q["max_attempts"] >= 1
    assert q.get("orm") == "default"


# --- pages ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_queue_puts_the_overdue_case_first_with_its_mark(client, officer, rt1, time_machine):
    time_machine.move_to(at("2026-11-23T09:00"), tick=False)
    late = ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900011")
    time_machine.move_to(at("2026-11-24T09:00"), tick=False)
    fresh = ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900012")
    client.force_login(officer)
    page = client.get(reverse("services:queue")).content.decode()
    assert page.index(late.code) < page.index(fresh.code)
    assert "terlambat" in page and "sla-overdue" in page
    assert "sla-due_today" in page  # the fresh one is due at today's close


@pytest.mark.django_db
def test_bell_counts_unread_and_the_list_marks_them_read(
    client, supervisor, officer, rt1, time_machine
):
    time_machine.move_to(at("2026-11-23T09:00"), tick=False)
    ApplicationFactory(officer=officer, rt=rt1)
    time_machine.move_to(at("2026-11-23T16:05"), tick=False)
    sla_sweep()
    log_in(client, supervisor)
    page = client.get(reverse("services:notifications")).content.decode()
    assert 'class="bell-count">1<' in page
    assert "Eskalasi" in page
    client.post(reverse("services:notifications_read"))
    page = client.get(reverse("services:notifications")).content.decode()
    assert 'class="bell-count zero">0<' in page


@pytest.mark.django_db
def test_dashboard_shows_due_overdue_waiting_rt_and_the_on_time_share(
    client, supervisor, officer, rt1, time_machine, django_assert_max_num_queries
):
    time_machine.move_to(at("2026-11-23T09:00"), tick=False)
    ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900011")
    time_machine.move_to(at("2026-11-24T09:00"), tick=False)
    ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900012")
    sla_sweep()
    log_in(client, supervisor)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("services:dashboard"))
    numbers = response.context
    assert numbers["due_today"] == 1
    assert numbers["overdue_total"] == 1
    assert numbers["breaches_this_month"] == 1
    archive = numbers["milestones"][0]
    assert (archive["due"], archive["late"], archive["share"]) == (1, 1, 0)


@pytest.mark.django_db
def test_dashboard_is_for_staff_only(client, rt_chair, other_officer):
    client.force_login(rt_chair)
    assert client.get(reverse("services:dashboard")).status_code == 404
    client.force_login(other_officer)
    assert client.get(reverse("services:dashboard")).status_code == 200


@pytest.mark.django_db
def test_notifications_are_private_to_their_recipient(client, officer, office):
    other = OfficerFactory(username="petugas2", office=office)
    Notification.objects.create(recipient=officer, key="x", kind="breach", message="RAHASIA")
    client.force_login(other)
    assert "RAHASIA" not in client.get(reverse("services:notifications")).content.decode()
