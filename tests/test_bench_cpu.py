"""bench.cpu: where the CPU went during a `make bench-city` load run. Each process group's
CPU is counted once, an ended process's time included (it moves to the parent that reaps it),
and the table says per request what each group cost. Read from a fake /proc."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from bench import city_load, cpu

TICK = os.sysconf("SC_CLK_TCK")


def _proc(tmp_path, processes: dict, machine=(100, 0, 50, 800, 50)):
    """A /proc with ``processes``: pid → (comm, cmdline, utime, stime, cutime, cstime) in
    seconds; ``machine``: /proc/stat's user nice system idle iowait, in seconds."""
    for pid, (comm, cmdline, *seconds) in processes.items():
        folder = tmp_path / str(pid)
        folder.mkdir(parents=True, exist_ok=True)
        ticks = " ".join(str(int(s * TICK)) for s in seconds)
        # fields 3–13 (state … cmajflt), then utime stime cutime cstime, then the rest.
        (folder / "stat").write_text(f"{pid} ({comm}) S 1 1 1 0 -1 0 0 0 0 0 {ticks} 20 0 1 0\n")
        (folder / "cmdline").write_bytes(cmdline.replace(" ", "\0").encode() + b"\0")
    (tmp_path / "stat").write_text(
        "cpu  " + " ".join(str(int(s * TICK)) for s in machine) + " 0 0 0\ncpu0 1 1 1 1\n"
    )
    return tmp_path


def test_processes_are_grouped_by_what_they_are():
    backend = "postgres: postgres kelurahan 127.0.0.1(5) idle"
    assert cpu.group_of("postgres", backend) == cpu.DATABASE
    assert cpu.group_of("python", "/x/python -m gunicorn kelurahan.wsgi") == cpu.WEB
    assert cpu.group_of("python", "/x/python manage.py qcluster") == cpu.CLUSTER
    assert cpu.group_of("redis-server", "redis-server 127.0.0.1:6379") == cpu.REDIS
    assert cpu.group_of("python", "/x/locust -f bench/locustfile.py") == cpu.LOAD
    # The shell that started the throwaway PostgreSQL is not the database.
    assert cpu.group_of("bash", "bash scripts/with-postgres.sh sh -c ...") == cpu.OTHER


def test_an_ended_backend_is_counted_once_through_its_parent(tmp_path, monkeypatch):
    start = {
        10: ("postgres", "postgres -D data", 1, 1, 0, 0),  # the postmaster
        11: ("postgres", "postgres: backend", 3, 1, 0, 0),  # ends during the run
        20: ("python", "python -m gunicorn", 2, 0, 0, 0),
    }
    before = cpu.snapshot(_proc(tmp_path / "a", start))
    end = {
        # backend 11 ended: its 4 s + 2 s more moved into the postmaster's cutime.
        10: ("postgres", "postgres -D data", 1.5, 1, 6, 0),
        12: ("postgres", "postgres: backend", 1, 0, 0, 0),  # started during the run
        20: ("python", "python -m gunicorn", 9, 1, 0, 0),
    }
    after = cpu.snapshot(_proc(tmp_path / "b", end, machine=(110, 0, 60, 800, 50)))
    after.at = before.at + 10.0
    out = cpu.between(before, after)
    # database: 2 s + 6 s (ended) + 1.5 s … = 9.5 − 6 = 3.5 s more over 10 s.
    assert out["groups"][cpu.DATABASE] == pytest.approx(0.35)
    assert out["groups"][cpu.WEB] == pytest.approx(0.8)
    assert out["machine_busy"] == pytest.approx(2.0)  # 20 busy seconds over 10 s


def test_the_load_generator_is_counted_once_reaped():
    """A real child (named like Locust): its CPU before the window is not counted, its CPU in
    the window is, though it has ended (and been reaped) by the window's end."""
    burn = "import sys,time\nt=time.process_time()\nwhile time.process_time()-t<{}: pass\n"
    child = subprocess.Popen(
        [sys.executable, "-c", burn.format(0.3) + "print('ready', flush=True)\n"
         "sys.stdin.read()\n" + burn.format(0.5), "locust"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    # The first 0.3 s of CPU (and the interpreter's start) happen before the window, however
    # slow the machine: the child says when it is done with them.
    assert child.stdout.readline().strip() == "ready"
    before = cpu.snapshot()
    assert before.pids[child.pid][0] == cpu.LOAD
    child.stdin.write("go")
    child.stdin.close()
    child.wait()
    after = cpu.snapshot()
    out = cpu.between(before, after, load_pid=child.pid)
    seconds = out["groups"][cpu.LOAD] * out["wall_s"]
    assert 0.4 <= seconds <= 0.75  # the 0.5 s inside the window, not the 0.3 s before it


def test_the_table_says_what_each_group_costs_per_request():
    run = {
        "stats": {"Aggregated": {"rps": 20.0}},
        "cpu": {
            "wall_s": 100.0,
            "cores": 2,
            "machine_busy": 1.98,
            "groups": {cpu.WEB: 1.2, cpu.DATABASE: 0.6, cpu.LOAD: 0.1},
        },  # fmt: skip
        "statements": [
            {
                "calls": 1000,
                "total_ms": 5000.0,
                "mean_ms": 5.0,
                "rows": 10,
                "query": "SELECT a | b FROM x",
            }
        ],  # fmt: skip
    }
    text = "\n".join(city_load.render_profile(run))
    assert "1.98 of 2 cores busy" in text
    assert f"| {cpu.WEB} | 1.20 | 60.0 |" in text  # 1.2 cores at 20 req/s: 60 ms each
    assert f"| {cpu.DATABASE} | 0.60 | 30.0 |" in text
    assert text.index(cpu.WEB) < text.index(cpu.DATABASE) < text.index(cpu.LOAD)
    assert "| 1,000 | 5,000 | 5.00 | `SELECT a \\| b FROM x` |" in text


def test_capacity_runs_get_their_own_table_and_do_not_fail_the_run():
    stat = {"method": "GET", "requests": 10, "failures": 0, "p50_ms": 40.0, "p95_ms": 90.0,
            "p99_ms": 900.0, "rps": 5.0}  # fmt: skip
    results = {
        "database": "PostgreSQL 15",
        "machine": "x86_64 · 2 cores",
        "seed": {
            "offices": 1,
            "cases": 10,
            "added": 10,
            "seconds": {"total": 1},
            "database_bytes": 1e9,
        },  # fmt: skip
        "server_ms": {},
        "capacity": {
            "100": {
                "stats": {"officer: queue": stat, "Aggregated": stat},
                "cpu": {"machine_busy": 1.1},
            }
        },  # fmt: skip
    }
    table = city_load.render_table(results)
    assert "| 100 | 5.0 | 0 | 40 | 900 | 1.1 | NO |" in table
    assert city_load.failures(results) == []


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_stat_statements")
def test_statements_are_left_out_when_the_server_does_not_preload_them():
    with connection.cursor() as cursor:
        counting = cpu.statements_reset(cursor)
        if counting:  # a server started with shared_preload_libraries=pg_stat_statements
            cursor.execute("SELECT count(*) FROM services_application")
            assert any("services_application" in s["query"] for s in cpu.top_statements(cursor))
        cursor.execute("SELECT 1")  # the connection is still usable either way
        assert cursor.fetchone() == (1,)
