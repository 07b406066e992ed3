"""After a migration adds an index to an analysed SQLite database, the index gets statistics
(kelurahan.planner_stats), so the planner keeps the queue on its own index."""

import pytest
from django.db import connection

from kelurahan.planner_stats import analyse_new_indexes
from services.models import Application
from tests.factories import ApplicationFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner statistics"),
]


def _stat_indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'services_application'")
        return {name for (name,) in cursor.fetchall()}


def test_a_database_never_analysed_is_left_alone():
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    assert analyse_new_indexes() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone() is None


def test_an_index_added_after_analyze_is_analysed_and_the_queue_keeps_its_index():
    office = ApplicationFactory.create_batch(3)[0].office
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        # As if application_waiting_rt had come with a migration after ANALYZE ran.
        cursor.execute("DELETE FROM sqlite_stat1 WHERE idx = 'application_waiting_rt'")
    assert "application_waiting_rt" not in _stat_indexes()

    assert "application_waiting_rt" in analyse_new_indexes()

    assert "application_waiting_rt" in _stat_indexes()
    # Indexes with rows are done once (an empty one gets no row and is re-read, for nothing).
    assert "application_waiting_rt" not in analyse_new_indexes()
    rows = Application.objects.filter(office=office, is_open=True).order_by("queue_due", "id")
    with connection.cursor() as cursor:
        sql, params = rows.query.sql_with_params()
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(step[-1]) for step in cursor.fetchall())
    assert "application_open_queue" in plan and "TEMP B-TREE" not in plan, plan


def test_migrate_runs_it(monkeypatch):
    from django.core.management import call_command

    called = []
    monkeypatch.setattr(
        "kelurahan.planner_stats.connections",
        type("C", (), {"__getitem__": lambda self, using: called.append(using) or connection})(),
    )
    call_command("migrate", verbosity=0)
    assert called == ["default"]
