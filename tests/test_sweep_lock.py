"""One SLA sweep at a time (issue 17 part 2): two sweeps started together never both run.

On PostgreSQL the second returns at once and logs that it skipped (the advisory lock of
services.sla.sweep); the lock is released when the first commits, raises, or its connection
dies. On SQLite the write lock serialises the two and the window claim leaves the second
nothing to do. Each sweep runs in a thread of its own, so on its own database connection.
"""

import logging
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from services.models import Notification, SlaBreach
from services.sla import sla_sweep
from services.sla import sweep as sweep_module
from tests.factories import ApplicationFactory

postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the advisory lock is PostgreSQL's"
)


def overdue_case(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1)
    type(case).objects.filter(pk=case.pk).update(archive_due=timezone.now() - timedelta(minutes=30))
    return case


class HeldSweep:
    """A sweep in a thread that stops inside its transaction (after the lock, before it
    records anything) until released; ``fail`` makes it raise there instead of going on."""

    def __init__(self, monkeypatch, now, fail: bool = False):
        self.inside = threading.Event()
        self.release = threading.Event()
        self.result = None
        self.error = None
        self.now = now
        real = sweep_module._record_breaches

        def held(since, until, application_ids=None):
            if threading.current_thread() is self.thread:
                self.inside.set()
                assert self.release.wait(30)
                if fail:
                    raise RuntimeError("the worker crashed mid-sweep")
            return real(since, until, application_ids)

        monkeypatch.setattr(sweep_module, "_record_breaches", held)
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            self.result = sla_sweep(now=self.now)
        except Exception as exc:  # noqa: BLE001 - handed to the test
            self.error = exc
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.inside.wait(30), "the first sweep never got inside its transaction"
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(30)


def sweep_in_thread(now) -> tuple[threading.Thread, dict]:
    out = {}

    def run():
        try:
            out["result"] = sla_sweep(now=now)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sweep_started_while_another_runs_records_nothing_twice(
    officer, supervisor, rt1, monkeypatch
):
    """Both databases: the same moment swept twice at once gives one breach, one set of
    notifications."""
    case = overdue_case(officer, rt1)
    now = timezone.now()
    with HeldSweep(monkeypatch, now) as first:
        second, out = sweep_in_thread(now)
        # PostgreSQL: the second returns while the first still holds the lock. SQLite: it
        # waits for the write lock; let the first go on after a moment.
        second.join(2 if connection.vendor == "postgresql" else 0.2)
    second.join(30)
    assert first.error is None and first.result == 1
    assert out["result"] == 0
    assert SlaBreach.objects.filter(application=case).count() == 1
    assert Notification.objects.filter(kind="breach").count() == 1
    assert Notification.objects.filter(kind="escalation").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_the_second_sweep_returns_at_once_and_logs_that_it_skipped(
    officer, rt1, monkeypatch, caplog
):
    overdue_case(officer, rt1)
    caplog.set_level(logging.INFO, logger="services.sla.sweep")
    with HeldSweep(monkeypatch, timezone.now()) as first:
        # A later moment: without the lock this sweep would claim a window of its own.
        second, out = sweep_in_thread(timezone.now() + timedelta(minutes=1))
        second.join(10)
        assert not second.is_alive(), "the second sweep waited for the first"
        assert out["result"] == 0
        assert not first.release.is_set()  # the first was still inside its transaction
        assert any("skipped" in r.getMessage() for r in caplog.records)
        assert not SlaBreach.objects.exists()
    assert first.result == 1
    assert SlaBreach.objects.count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_a_sweep_that_raised_released_the_lock(officer, rt1, monkeypatch):
    """The failed sweep's connection stays open (this thread's): only the rollback frees it."""
    case = overdue_case(officer, rt1)

    def crash(*args, **kwargs):
        raise RuntimeError("the sweep failed mid-way")

    real = sweep_module._record_breaches
    monkeypatch.setattr(sweep_module, "_record_breaches", crash)
    with pytest.raises(RuntimeError):
        sla_sweep()
    monkeypatch.setattr(sweep_module, "_record_breaches", real)
    assert not SlaBreach.objects.exists()  # rolled back, window included
    other, out = sweep_in_thread(timezone.now())
    other.join(30)
    assert out["result"] == 1
    assert SlaBreach.objects.filter(application=case).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_a_sweep_whose_connection_died_released_the_lock(officer, rt1, monkeypatch):
    """A worker killed mid-sweep: its backend ends (here terminated), and the lock with it."""
    overdue_case(officer, rt1)
    pids = {}
    real_take = sweep_module._take_sweep_lock

    def take_and_note():
        pids[threading.current_thread().name] = connection.connection.info.backend_pid
        return real_take()

    monkeypatch.setattr(sweep_module, "_take_sweep_lock", take_and_note)
    held = HeldSweep(monkeypatch, timezone.now())
    held.thread.name = "doomed"
    with held:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pids["doomed"]])
            assert cursor.fetchone()[0]
            # pg_terminate_backend only sends the signal: wait until that backend has ended
            # (on a loaded machine it can still hold the lock a moment later).
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pids["doomed"]]
                )
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.05)
        assert sla_sweep() == 1  # the lock was free again while the dead sweep's thread waited
    assert held.error is not None  # its connection was gone when it went on
    assert SlaBreach.objects.count() == 1
