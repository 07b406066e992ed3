"""`make bench-city`: the city seed (bench.city) on a small scale, and the verdict of a run
(bench.city_load.failures): the seed must leave a database as valid as the portal's own
(every index and constraint back, every case's state consistent with its dates and rows),
and a run must fail on an error, a slow page or a single-office page slower at scale.

The seed is PostgreSQL only (server-side generate_series); on SQLite those tests skip.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from bench import city, city_load
from kelurahan.models import Kecamatan, Office, Oversight, OversightRole
from services.models import Application, ApplicationState, Letter

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="bench.city seeds PostgreSQL only"
)


def _schema() -> set:
    """Every index and constraint of the tables the seed loads: the indexes by name, table,
    columns, uniqueness and whether partial (a rebuilt partial index's predicate prints its
    array casts differently), the constraints by name and definition, and validated."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, indrelid::regclass::text, indkey::text,"
            " indisunique, indpred IS NOT NULL, indisvalid FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[])",
            [city.LOADED],
        )
        rows = set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint"
            " WHERE conrelid = ANY(%s::regclass[])",
            [city.LOADED],
        )
        return rows | set(cursor.fetchall())


@postgres_only
@pytest.mark.django_db
def test_a_small_city_is_seeded_whole_and_consistent():
    before = _schema()
    report = city.seed(3, 3000, log=lambda _line: None)

    assert (report.offices, report.cases, report.added) == (3, 3000, 3000)
    assert Application.objects.count() == 3000
    assert report.rows["services_complaint"] == 3000 // city.COMPLAINTS_PER_CASES
    for table in city.LOADED:
        assert report.rows[table] > 0, table
    # Every office in a kecamatan of the city; the city's 10 kecamatan exist.
    assert Kecamatan.objects.filter(city=city.CITY).count() == city.KECAMATAN
    assert not Office.objects.filter(code__startswith="B", kecamatan_ref=None).exists()
    # A camat for each kecamatan and two city supervisors oversee them.
    assert report.overseers == city.KECAMATAN + city.CITY_SUPERVISORS
    assert Oversight.objects.filter(role=OversightRole.KECAMATAN).count() == city.KECAMATAN
    # Every state is there, open cases a few per cent, as in an office's year.
    states = set(Application.objects.values_list("state", flat=True))
    assert states == set(ApplicationState.values)
    assert 0.01 < Application.objects.filter(is_open=True).count() / 3000 < 0.08
    issued = Application.objects.filter(state__in=["issued", "completed"]).count()
    assert Letter.objects.count() == issued
    assert city.city_invariants() == dict.fromkeys(city.INVARIANTS, 0)
    # The same indexes and constraints as before the load, all validated.
    assert _schema() == before
    assert report.database_bytes > 0


@postgres_only
@pytest.mark.django_db
def test_the_seed_tops_up_and_the_rebuilt_constraints_hold():
    city.seed(2, 1000, log=lambda _line: None)
    report = city.seed(3, 2500, log=lambda _line: None)
    assert (report.offices, report.cases, report.added) == (3, 2500, 1500)
    assert Application.objects.count() == 2500
    assert Application.objects.filter(office__code="B002").exists()
    assert city.city_invariants() == dict.fromkeys(city.INVARIANTS, 0)
    # The unique constraints and foreign keys were created again: they refuse bad rows.
    case = Application.objects.order_by("id").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=case.pk + 1).update(code=case.code)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE services_letter SET application_id = -1"
            " WHERE id = (SELECT min(id) FROM services_letter)"
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@postgres_only
@pytest.mark.django_db
def test_the_invariants_catch_a_case_whose_dates_do_not_fit_its_state():
    city.seed(2, 800, log=lambda _line: None)
    received = Application.objects.filter(state="received").first()
    Application.objects.filter(pk=received.pk).update(archived_at=received.received_at)
    issued = Application.objects.filter(state="completed").first()
    Letter.objects.filter(application=issued).update(
        application=Application.objects.filter(state="verified").first()
    )
    broken = city.city_invariants()
    assert broken["milestones unlike the state"] == 1
    assert broken["letter of a case not issued"] == 1
    assert broken["issued case without a letter"] == 1


def _run(p99=120.0, failures=0, method="GET", server_ms=5.0):
    stat = {"method": method, "requests": 100, "failures": failures, "rps": 1.0,
            "p50_ms": 40.0, "p95_ms": 90.0, "p99_ms": p99, "max_ms": 400.0}  # fmt: skip
    return {
        "database": "PostgreSQL 15",
        "machine": "x86_64 · 2 cores",
        "seed": {
            "offices": 100,
            "cases": 5_000_000,
            "added": 0,
            "database_bytes": 1e10,
            "seconds": {"total": 900.0},
        },  # fmt: skip
        "locust": {
            "postgresql": {
                "users": {"officer": 1},
                "duration_s": 60,
                "gunicorn_workers": 4,
                "uptime": {"start": "load average: 1.0, 1.0, 1.0"},
                "stats": {"officer: queue": stat, "Aggregated": stat},
            }  # fmt: skip
        },
        "server_ms": {"officer queue": server_ms, "ok (floor)": 1.0},
        "baseline": {"cases": 100_000, "offices": 10, "server_ms": {"officer queue": 5.0}},
    }


def test_a_run_that_meets_its_targets_passes():
    results = _run()
    assert city_load.failures(results) == []
    assert "| NO |" not in city_load.render_table(results)


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"p99": 300.0}, "officer: queue: p99 300 ms"),
        ({"failures": 1}, "officer: queue: 1 errors"),
        ({"server_ms": 6.1}, "server_ms officer queue"),
    ],
)
def test_a_run_fails_on_a_slow_page_an_error_or_a_slower_office(change, expected):
    results = _run(**change)
    assert any(expected in line for line in city_load.failures(results))
    assert "| NO |" in city_load.render_table(results)


def test_a_slow_step_is_reported_but_only_pages_have_the_p99_target():
    assert city_load.failures(_run(p99=2000.0, method="POST")) == []


def test_the_user_mix_adds_up():
    for users in (7, 40, 500):
        counts = city_load.counts_for(users)
        assert sum(counts.values()) == users
    assert city_load.counts_for(500) == {
        "officer": 200, "rt_chair": 140, "supervisor": 90, "camat": 10, "city_supervisor": 10,
        "resident": 50,
    }  # fmt: skip
