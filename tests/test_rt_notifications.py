"""Officers hear the RT chair's decision; the chair hears when their own deadline passed."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.models import ApplicationState, Notification, SweepState
from services.sla import sla_sweep
from tests.factories import case_in, sent_to_rt
from verification import workflow

WIB = ZoneInfo("Asia/Jakarta")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("step", "note", "verb"),
    [
        (workflow.verification_approve, "", "menyetujui"),
        (workflow.verification_return, "foto KK buram", "mengembalikan"),
        (workflow.verification_reject, "pindah ke RT 002", "menolak"),
    ],
)
def test_officers_of_the_office_hear_the_rt_decision(
    officer, supervisor, other_officer, rt1, rt_chair, step, note, verb
):
    request = sent_to_rt(officer=officer, rt=rt1, rt_note="cek KK")
    code = request.application.code
    step(request=request, by=rt_chair, note=note)
    notes = Notification.objects.filter(kind="rt_decision")
    assert list(notes.values_list("recipient", flat=True)) == [officer.pk]
    message = notes.get().message
    assert message.startswith(f"Ketua RT 001/RW 001 {verb} {code} (Siti Rahmawati)")
    assert (note in message) if note else message.endswith(".")
    assert notes.get().url == f"/permohonan/{code}/"


@pytest.mark.django_db
def test_the_supervisor_who_sent_it_hears_too_once(officer, supervisor, rt1, rt_chair):
    application = case_in(ApplicationState.ARCHIVED, officer=officer, rt=rt1)
    request = workflow.application_send_to_rt(application=application, by=supervisor)
    workflow.verification_approve(request=request, by=rt_chair)
    recipients = Notification.objects.filter(kind="rt_decision").values_list("recipient", flat=True)
    assert sorted(recipients) == sorted([officer.pk, supervisor.pk])


@pytest.mark.django_db
def test_the_chair_is_told_once_when_their_deadline_passed(
    officer, rt1, rt_chair, other_rt_chair, time_machine
):
    time_machine.move_to(at("2026-11-23T09:00"), tick=False)  # Monday: verify_due Tue 16:00
    request = sent_to_rt(officer=officer, rt=rt1, rt_note="cek KK")
    decided = sent_to_rt(officer=officer, rt=rt1, rt_note="cek KK", nik="3271010101900011")
    workflow.verification_approve(request=decided, by=rt_chair)
    time_machine.move_to(at("2026-11-24T15:59"), tick=False)
    sla_sweep()
    assert not Notification.objects.filter(kind="rt_overdue").exists()
    time_machine.move_to(at("2026-11-24T16:05"), tick=False)
    sla_sweep()
    time_machine.move_to(at("2026-11-24T16:10"), tick=False)
    sla_sweep()  # a second run does not repeat it
    SweepState.objects.all().delete()
    sla_sweep()  # nor does a replay of the same window (a restored or reset sweep position)
    overdue = Notification.objects.filter(kind="rt_overdue")
    assert overdue.count() == 1
    note = overdue.get()
    assert note.recipient == rt_chair and note.application == request.application
    assert note.message == (
        f"Batas waktu verifikasi Siti Rahmawati ({request.application.code}) sudah lewat. "
        "Mohon segera diputuskan."
    )
