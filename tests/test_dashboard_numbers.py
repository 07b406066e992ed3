"""The dashboard's month counts agree with a naive count, whatever query computes them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.models import Application, Milestone
from services.sla.reports import dashboard_numbers
from tests.factories import ApplicationFactory

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=WIB)
MONTH_START = datetime(2026, 11, 1, tzinfo=WIB)
FIELDS = {"archive": "archive_due", "verify": "verify_due", "issue": "issue_due"}


@pytest.mark.django_db
def test_milestones_due_this_month_match_a_naive_count(officer, rt1, time_machine):
    time_machine.move_to(NOW - timedelta(days=40), tick=False)
    other = ApplicationFactory(nik="3271010101900099")  # another office: never counted
    cases = [
        ApplicationFactory(officer=officer, rt=rt1, nik=f"32710101019000{i:02d}") for i in range(6)
    ]
    # Each case gets its own mix: this month, before it, after now, or none.
    moments = [
        MONTH_START - timedelta(hours=1),
        MONTH_START,
        NOW - timedelta(days=3),
        NOW,
        NOW + timedelta(hours=1),
        None,
    ]
    for i, case in enumerate(cases):
        Application.objects.filter(pk=case.pk).update(
            archive_due=moments[i % 6],
            verify_due=moments[(i + 2) % 6],
            issue_due=moments[(i + 4) % 6],
        )
    Application.objects.filter(pk=other.pk).update(
        archive_due=NOW - timedelta(days=1), verify_due=NOW, issue_due=NOW
    )

    numbers = dashboard_numbers(officer.membership.office, NOW)

    due = {m.value: row["due"] for m, row in zip(Milestone, numbers["milestones"], strict=True)}
    mine = Application.objects.filter(office=officer.membership.office)
    for milestone, field in FIELDS.items():
        naive = sum(
            1
            for value in mine.values_list(field, flat=True)
            if value is not None and MONTH_START <= value <= NOW
        )
        # MONTH_START, three days ago and now are in the month; each field takes each moment once.
        assert due[milestone] == naive == 3, milestone


@pytest.mark.django_db
def test_overdue_and_due_today_per_state_match_a_naive_count(officer, rt1, time_machine):
    """Each open case counted once by its state: overdue (due before now) or due later
    today; not a case due tomorrow, a closed case, or another office's."""
    from services.workflow import S

    time_machine.move_to(NOW - timedelta(days=10), tick=False)
    other = ApplicationFactory(nik="3271010101900097")  # another office: never counted
    states = [S.RECEIVED, S.RECEIVED, S.ARCHIVED, S.IN_VERIFICATION, S.COMPLETED, S.RECEIVED]
    dues = [
        NOW - timedelta(days=2),  # overdue
        NOW + timedelta(hours=3),  # later today
        NOW - timedelta(minutes=1),  # overdue
        NOW + timedelta(hours=1),  # later today
        NOW - timedelta(days=1),  # closed: not counted
        NOW + timedelta(days=1),  # tomorrow: not counted
    ]
    for i, (state, due) in enumerate(zip(states, dues, strict=True)):
        case = ApplicationFactory(officer=officer, rt=rt1, nik=f"32710101019001{i:02d}")
        Application.objects.filter(pk=case.pk).update(
            state=state, archive_due=due, verify_due=due, issue_due=due
        )
    Application.objects.filter(pk=other.pk).update(archive_due=NOW - timedelta(days=1))

    numbers = dashboard_numbers(officer.membership.office, NOW)

    assert numbers["overdue_by_state"] == {S.RECEIVED: 1, S.ARCHIVED: 1}
    assert numbers["overdue_total"] == 2
    assert numbers["due_today"] == 2


@pytest.mark.django_db
def test_the_month_counts_read_the_month_not_the_offices_history(officer):
    """Flat in the number of cases: each milestone's range is counted on its own index,
    from the index alone (an OR of the three ranges had to read each case's row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("the plan is read with SQLite's EXPLAIN QUERY PLAN")
    with CaptureQueriesContext(connection) as queries:
        dashboard_numbers(officer.membership.office, NOW)
    (sql,) = [q["sql"] for q in queries.captured_queries if "archive_due" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " | ".join(row[-1] for row in cursor.fetchall())
    for index in ("archive_due", "verify_due", "issue_due"):
        assert f"USING COVERING INDEX application_office_{index}" in plan, plan


@pytest.mark.django_db
def test_on_postgresql_every_dashboard_query_can_be_served_by_an_index(officer):
    """On PostgreSQL: with sequential scans priced out (the test tables are tiny, so the
    planner would rightly scan them), no dashboard query is left with a table scan of the
    cases or breaches. Which index PostgreSQL picks depends on the table's statistics (on
    empty tables it takes the office's state index for the month counts), so the index
    names are read on SQLite above and on the bench's PostgreSQL, not here."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the plan is read with PostgreSQL's EXPLAIN")
    with CaptureQueriesContext(connection) as queries:
        dashboard_numbers(officer.membership.office, NOW)
    plans = {}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans[query["sql"]] = "\n".join(row[0] for row in cursor.fetchall())
    for sql, plan in plans.items():
        for table in ("services_application", "services_slabreach"):
            assert f"Seq Scan on {table}" not in plan, (sql, plan)


@pytest.mark.django_db
def test_on_postgresql_the_raw_month_and_rt_counts_are_prepared_and_read_each_call(
    officer, rt1, time_machine
):
    """Planning them cost PostgreSQL as much as running them: they are prepared on the
    server, and a prepared statement still counts each call's own month."""
    from django.db import connection

    from services.sla.reports import MONTH_SQL, WAITING_RT_SQL

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    time_machine.move_to(NOW - timedelta(days=1), tick=False)
    case = ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900098")
    Application.objects.filter(pk=case.pk).update(archive_due=NOW - timedelta(days=2))
    office = officer.membership.office
    this_month = dashboard_numbers(office, NOW)["milestones"][0]["due"]
    next_month = dashboard_numbers(office, NOW + timedelta(days=30))["milestones"][0]["due"]
    assert (this_month, next_month) == (1, 0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [" ".join(row[0].split()) for row in cursor.fetchall()]
    for sql in (MONTH_SQL, WAITING_RT_SQL):
        assert any(" ".join(sql.split())[:60] in s for s in statements), sql[:60]


@pytest.mark.django_db
def test_on_postgresql_the_counts_by_state_are_read_from_the_index_alone(officer):
    """The overdue and due-today counts per state read only (office, state, queue_due), the
    columns of ``application_by_state`` (they count queue_due, not id): with every plan that
    visits the table priced out, PostgreSQL still answers them with an index-only scan.
    Counting ids made it fetch the page of every open case due, 1,400 pages at 100k cases."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the plan is read with PostgreSQL's EXPLAIN")
    with CaptureQueriesContext(connection) as queries:
        dashboard_numbers(officer.membership.office, NOW)
    (sql,) = [q["sql"] for q in queries.captured_queries if 'AS "overdue"' in q["sql"]]
    with connection.cursor() as cursor:
        for plan in ("seqscan", "bitmapscan", "indexscan"):
            cursor.execute(f"SET LOCAL enable_{plan} = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using application_by_state" in plan, plan


@pytest.mark.django_db
def test_on_postgresql_the_cases_and_breaches_are_autovacuumed_after_2_percent_changed():
    """Migration 0033: autovacuum visits the cases and the breaches after 2% of their rows
    changed (not PostgreSQL's 20%), so the pages of the open cases, the newest rows, are
    marked all-visible and the index-only counts above stay index-only in production."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL storage parameter")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)",
            [["services_application", "services_slabreach"]],
        )
        options = dict(cursor.fetchall())
    for table in ("services_application", "services_slabreach"):
        assert set(options[table] or []) >= {
            "autovacuum_vacuum_scale_factor=0.02",
            "autovacuum_vacuum_insert_scale_factor=0.02",
            "autovacuum_analyze_scale_factor=0.02",
        }, table


def reset_autovacuum():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE services_application RESET (autovacuum_enabled)")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_the_bench_measures_a_vacuumed_database(request, officer, rt1):
    """bench.measure.settle() after the bench's bulk load: a VACUUM on PostgreSQL, as
    autovacuum keeps a live database, so every page of the cases' table is marked all-visible
    and the dashboard's index-only counts read no table page (before it, "Heap Fetches"
    counted one per case: the bench timed the load). Checked on the visibility map itself,
    which ANALYZE counts into pg_class, not on a plan that 30 rows leave to the planner's
    whim."""
    from django.db import connection

    from bench.measure import settle

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's visibility map")
    with connection.cursor() as cursor:  # autovacuum visiting the table now would pass for settle
        cursor.execute("ALTER TABLE services_application SET (autovacuum_enabled = false)")
    request.addfinalizer(reset_autovacuum)
    for i in range(30):
        ApplicationFactory(officer=officer, rt=rt1, nik=f"32710101019001{i:02d}")

    def pages(analyze: bool = False) -> tuple[int, int]:
        """The cases' table: its pages and those the visibility map marks all-visible."""
        with connection.cursor() as cursor:
            if analyze:
                cursor.execute("ANALYZE services_application")
            cursor.execute(
                "SELECT relpages, relallvisible FROM pg_class"
                " WHERE relname = 'services_application'"
            )
            return cursor.fetchone()

    total, visible = pages(analyze=True)  # just written: no page is all-visible yet
    assert total > 0 and visible < total, (total, visible)
    settle()
    total, visible = pages()
    assert total > 0 and visible == total, (total, visible)
