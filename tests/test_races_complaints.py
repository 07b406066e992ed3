"""Complaints under concurrency (two officers at once: one wins), the office's closed days in
their deadlines, and their line in the morning digest."""

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from kelurahan.models import OfficeClosedDay
from services import complaints
from services.models import Complaint, Notification, ResidentMessage
from services.notifications import morning_digest
from services.workflow import WorkflowError
from tests.factories import OfficerFactory, complaint_filed

WIB = ZoneInfo("Asia/Jakarta")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def race(*steps) -> list[str]:
    """Run the steps at the same moment in threads; each result "ok" or its refusal."""
    barrier = threading.Barrier(len(steps))
    results = []

    def run(step):
        try:
            barrier.wait(timeout=10)
            step()
            results.append("ok")
        except WorkflowError as exc:
            results.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_officers_answering_at_once_one_wins_and_one_message_goes_out(office):
    first, second = OfficerFactory(office=office), OfficerFactory(office=office)
    complaint = complaint_filed(office=office)
    complaints.complaint_verify(complaint=complaint, by=first)

    def answer(by, words):
        return lambda: complaints.complaint_answer(
            complaint=Complaint.objects.get(pk=complaint.pk), by=by, answer=words
        )

    results = race(answer(first, "Jawaban pertama."), answer(second, "Jawaban kedua."))

    assert results.count("ok") == 1, results
    complaint.refresh_from_db()
    assert complaint.answer in {"Jawaban pertama.", "Jawaban kedua."}
    assert list(complaint.events.values_list("transition", flat=True)) == [
        "file",
        "verify",
        "answer",
    ]
    sent = ResidentMessage.objects.filter(complaint=complaint, step="complaint_answer")
    assert [m.text.count(complaint.answer) for m in sent] == [1]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_double_click_on_verify_verifies_once(office):
    officer = OfficerFactory(office=office)
    complaint = complaint_filed(office=office)

    def verify():
        complaints.complaint_verify(complaint=Complaint.objects.get(pk=complaint.pk), by=officer)

    results = race(verify, verify)

    assert results.count("ok") == 1, results
    assert list(complaint.events.values_list("transition", flat=True)) == ["file", "verify"]


@pytest.mark.django_db
def test_an_office_closed_day_moves_the_deadline(officer, time_machine):
    office = officer.membership.office
    OfficeClosedDay.objects.create(office=office, date=date(2026, 11, 24), reason="Rapat")
    time_machine.move_to(at("2026-11-23T10:00"), tick=False)  # Monday
    complaint = complaint_filed(office=office)
    # Day 1 Monday, Tuesday closed, day 2 Wednesday, day 3 Thursday.
    assert complaint.verify_due == at("2026-11-26T16:00")


@pytest.mark.django_db
def test_the_morning_digest_counts_the_complaints_once_a_day(officer, supervisor, time_machine):
    time_machine.move_to(at("2026-11-23T10:00"), tick=False)
    complaint_filed(office=officer.membership.office)  # verify by Wednesday 25
    time_machine.move_to(at("2026-11-26T07:00"), tick=False)
    morning_digest()
    morning_digest()
    rows = Notification.objects.filter(key="digest-complaints:2026-11-26")
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["lurah", "petugas"]
    assert rows.first().message == "Pengaduan hari ini: 0 jatuh tempo, 1 sudah terlambat."
    assert rows.first().url == "/pengaduan/kelola/"
