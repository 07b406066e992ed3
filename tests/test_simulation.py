"""manage.py simulate: working days of an office replayed through the real workflow.

The runs commit for real (transactional tests): the jobs a step queues after commit (the
letter's PDF, which a hand-over waits for) run as they would in the office.
"""

import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from kelurahan.models import Role
from services.models import (
    Application,
    ApplicationEvent,
    ComplaintBreach,
    Letter,
    Notification,
    ResidentMessage,
    SlaBreach,
    SurveyResponse,
    SweepState,
)
from services.notifications import gateway
from services.sla import WorkingCalendar
from services.sla.charts import DateRange, breaches_by_rt
from simulation import engine
from simulation.engine import Config, Delay, Simulation, SimulationError, next_due, simulate
from simulation.report import build_report, render_text
from tests.factories import staffed_office
from verification.models import NeighbourAttestation, RequestState, VerificationRequest

# Monday 2 November 2026: a week with no holiday.
WEEK = date(2026, 11, 2)
TRANSACTIONAL = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def tables(report: dict) -> dict:
    return {key: report[key] for key in ("summary", "milestones", "services", "rts")}


@TRANSACTIONAL
def test_a_default_week_finishes_95_percent_within_3_working_days(tmp_path, capsys):
    office = staffed_office(code="SIM")
    path = tmp_path / "week.json"

    call_command(
        "simulate", "--office", "SIM", "--days", "5", "--start", WEEK.isoformat(), "--no-pdf",
        "--json", str(path),
    )  # fmt: skip

    out = capsys.readouterr().out
    report = json.loads(path.read_text())
    within = report["summary"]["within_3_days"]
    assert within["due"] >= 60  # about 30 a day; those received Mon-Wed are due in the week
    assert within["share"] >= 95
    share = f"{within['share']:.1f}".replace(".", ",")
    assert f"Surat terbit dalam 3 hari kerja: {share}%" in out
    assert report["summary"]["refused_steps"] == 0
    assert "Per tahap" in out and "Per layanan" in out and "Per RT" in out
    # What the month leaves is what the real steps leave.
    cases = Application.objects.filter(office=office)
    assert cases.count() == report["summary"]["cases"]
    assert ApplicationEvent.objects.filter(application__office=office, transition="receive")
    completed = cases.filter(state="completed")
    assert {c.delivery for c in completed} == {"pickup", "courier", "electronic"}
    assert completed.filter(downloaded_at__isnull=False).exists()
    assert all(letter.is_rendered for letter in Letter.objects.filter(application__in=completed))
    # The officers sent each step's WhatsApp message as they went (click-to-chat).
    messages = ResidentMessage.objects.filter(application__in=completed)
    assert messages.filter(state="sent").count() >= 3 * completed.count()
    assert not messages.filter(state="pending").exists()
    assert cases.filter(events__transition="resubmit").exists()
    assert NeighbourAttestation.objects.filter(request__application__office=office).exists()
    assert (
        SurveyResponse.objects.filter(office=office).count()
        == (report["summary"]["survey"]["responses"])
    )
    assert sum(report["summary"]["complaints"].values()) >= 1
    # Every timestamp lies in the simulated week, not today.
    received = cases.values_list("received_at", flat=True)
    assert min(received).date() >= WEEK and max(received).date() < WEEK + timedelta(days=5)


@TRANSACTIONAL
def test_an_unresponsive_chair_breaches_day_2_once_and_the_supervisor_hears_of_it(settings):
    # An automatic gateway configured: a simulated month still sends no resident anything.
    settings.RESIDENT_MESSAGE_BACKEND = "services.notifications.gateway.LocmemBackend"
    office = staffed_office(code="SIM")
    config = Config(days=3, start=WEEK, per_day=12, unresponsive_rt="001/001", pdf=False)

    outcome = simulate(config, [office])

    report = build_report(outcome, config.as_dict())
    silent = outcome.unresponsive[0]
    assert (silent.number, silent.rw.number) == (1, 1)
    calendar = WorkingCalendar(office)
    waiting = Application.objects.filter(rt=silent, verify_due__lte=outcome.end)
    waiting = waiting.filter(state="in_verification")
    assert waiting.count() >= 3
    supervisor = office.members.get(role=Role.SUPERVISOR).user
    interval = timedelta(minutes=outcome.sweep_minutes)
    for case in waiting:
        breaches = SlaBreach.objects.filter(application=case, milestone="verify")
        assert breaches.count() == 1
        breach = breaches.get()
        day_1 = calendar.start_day(case.sla_started_at)
        assert calendar.local(breach.due).date() == calendar.next_working_day(day_1)  # day 2
        assert breach.due <= breach.detected <= breach.due + interval
        escalation = Notification.objects.get(
            recipient=supervisor, kind="escalation", key=f"breach:verify:{case.pk}"
        )
        assert escalation.created_at <= case.verify_due + interval
    assert VerificationRequest.objects.filter(rt=silent, state=RequestState.PENDING).exists()
    assert gateway.outbox == []
    messages = ResidentMessage.objects.filter(application__office=office)
    assert messages.exists() and not messages.filter(channel="gateway").exists()
    rows = {row["rt"]: row for row in report["rts"]}
    assert set(rows) == {"001/001", "002/001", "001/002"}
    others = [row for name, row in rows.items() if name != "001/001"]
    assert rows["001/001"]["share_on_time"] == 0
    assert all(row["share_on_time"] >= 90 for row in others)
    assert rows["001/001"]["breaches"] > max(row["breaches"] for row in others)
    assert rows["001/001"]["hours"]["rt"]["median"] > 2 * max(
        row["hours"]["rt"]["median"] for row in others
    )
    # The supervisor's charts show that RT as the outlier: first in breaches per RT, with
    # every verify breach of the run, and the charts page (the same numbers) says so too.
    period = DateRange(timezone.localdate(outcome.start), timezone.localdate(outcome.end))
    by_rt = breaches_by_rt(office, period)
    assert by_rt[0].label == "RT 001/RW 001"
    assert (
        by_rt[0].by_milestone.get("verify", 0)
        == SlaBreach.objects.filter(application__rt=silent, milestone="verify").count()
    )
    assert all(row.total < by_rt[0].total for row in by_rt[1:])


@TRANSACTIONAL
def test_the_same_seed_gives_the_same_tables_and_another_seed_other_ones():
    """Three small runs, each of its own office in its own week (one database, and the
    sweep never goes back in time): same parameters, same calendar, so only the seed may
    make them differ."""
    reports = []
    for week, seed in ((0, 7), (1, 7), (2, 8)):
        office = staffed_office()
        start = WEEK + timedelta(weeks=week)
        config = Config(days=2, start=start, per_day=8, complaints_per_day=1, pdf=False, seed=seed)
        reports.append(build_report(simulate(config, [office]), config.as_dict()))

    first, again, other = (tables(r) for r in reports)
    assert first == again
    assert render_text({**reports[0], "period": reports[1]["period"]}) == render_text(reports[1])
    assert other != first


@TRANSACTIONAL
def test_a_sweep_tick_left_out_is_one_that_would_have_written_nothing(monkeypatch):
    """The engine skips the ticks whose window holds no deadline; with the sweep run at
    every tick, each of those ticks indeed records and notifies nothing."""
    office = staffed_office(code="SIM")
    real_sweep = engine.sla_sweep
    idle, busy = [], []

    def counts():
        return (
            SlaBreach.objects.count(),
            ComplaintBreach.objects.count(),
            Notification.objects.count(),
        )

    def watched_sweep():
        swept = SweepState.objects.filter(name="sla").first()
        due = next_due(swept.swept_until) if swept else next_due(sim.outcome.start)
        before = counts()
        real_sweep()
        skipped = due is None or due > timezone.now()
        (idle if skipped else busy).append(counts() != before)

    monkeypatch.setattr(engine, "sla_sweep", watched_sweep)
    config = Config(
        days=2, start=WEEK, per_day=6, complaints_per_day=2, unresponsive_rt="", pdf=False
    )
    sim = Simulation(config, [office])
    sim.every_tick = True
    sim.run()

    assert len(idle) > 400 and not any(idle)
    assert any(busy)  # the silent chair's deadlines fell due, and those ticks wrote


@TRANSACTIONAL
def test_a_run_refuses_a_period_the_sweep_has_already_passed():
    office = staffed_office(code="SIM")
    SweepState.objects.create(name="sla", swept_until=timezone.now())

    with pytest.raises(SimulationError, match="sudah disapu SLA"):
        simulate(Config(days=1, start=WEEK), [office])
    with pytest.raises(CommandError, match="Kantor tidak ditemukan: XYZ"):
        call_command("simulate", "--office", "XYZ")


def test_bad_parameters_get_an_indonesian_message():
    with pytest.raises(SimulationError, match="Sebaran jeda"):
        Delay.parse("normal:3")
    with pytest.raises(SimulationError, match="di antara 0 dan 1"):
        Config(incomplete=1.5).check()
    assert Delay.parse("lognormal:4,0.8") == Delay("lognormal", 4, 0.8)
    assert str(Delay.parse("exp:4")) == "exp:4"
