"""Every SLA breach carries its case's RT (services 0032_breach_rt): the charts' breaches per
RT group the breaches by it without looking up each breach's case, so every writer of a
breach sets it, and a correction of the case's RT moves its breaches with it."""

import importlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.db.models import F

from services.models import SlaBreach
from services.sla import sla_sweep
from services.sla.charts import DateRange, breaches_by_rt
from services.sla.sweep import record_moved_breaches
from tests.factories import ApplicationFactory

WIB = ZoneInfo("Asia/Jakarta")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def unlike_their_case() -> int:
    """Breaches whose RT or office is not their case's."""
    return (
        SlaBreach.objects.exclude(rt_id=F("application__rt_id")).count()
        + SlaBreach.objects.exclude(office_id=F("application__office_id")).count()
    )


@pytest.fixture
def breached(officer, rt1, rt2, time_machine):
    """Two cases of two RTs that missed day 1, recorded by the sweep."""
    time_machine.move_to(at("2026-11-23T09:00"), tick=False)
    cases = [
        ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900021"),
        ApplicationFactory(officer=officer, rt=rt2, nik="3271010101900022"),
    ]
    time_machine.move_to(at("2026-11-23T16:05"), tick=False)
    assert sla_sweep() == 2
    return cases


@pytest.mark.django_db
def test_the_sweep_records_each_breach_with_its_cases_rt(breached, rt1, rt2):
    assert dict(SlaBreach.objects.values_list("application_id", "rt_id")) == {
        breached[0].pk: rt1.pk,
        breached[1].pk: rt2.pk,
    }
    assert unlike_their_case() == 0


@pytest.mark.django_db
def test_a_breach_recorded_behind_the_sweep_carries_its_rt_too(breached, rt2):
    SlaBreach.objects.all().delete()  # as if the deadline had moved behind the sweep
    assert record_moved_breaches([breached[1].pk], at("2026-11-23T16:05")) == 1
    assert SlaBreach.objects.get().rt_id == rt2.pk


@pytest.mark.django_db
def test_correcting_the_cases_rt_moves_its_breaches_and_the_chart_follows(
    breached, officer, rt1, rt2
):
    from services import workflow

    workflow.application_correct(
        application=breached[0], by=officer, changes={"rt": rt2}, reason="salah RT"
    )
    assert unlike_their_case() == 0
    day = at("2026-11-23T00:00").date()
    counts = breaches_by_rt(officer.membership.office, DateRange(day, day))
    assert [(c.label, c.total) for c in counts] == [("RT 002/RW 001", 2)]


@pytest.mark.django_db
def test_the_migration_backfills_each_breach_with_its_cases_rt(breached, rt1, rt2):
    from django.db import connection

    stored = dict(SlaBreach.objects.values_list("pk", "rt_id"))
    SlaBreach.objects.filter(rt=rt2).update(rt=rt1)  # wrong, as an empty column would be
    assert dict(SlaBreach.objects.values_list("pk", "rt_id")) != stored

    class SchemaEditor:
        pass

    SchemaEditor.connection = connection
    importlib.import_module("services.migrations.0032_breach_rt").backfill_rt(apps, SchemaEditor)
    assert dict(SlaBreach.objects.values_list("pk", "rt_id")) == stored


@pytest.mark.django_db
def test_the_bench_seed_gives_every_breach_its_cases_rt():
    from bench.seed import seed_city

    seed_city(200)
    assert SlaBreach.objects.count() > 0
    assert unlike_their_case() == 0
