"""Where the CPU went during a load run (`make bench-city`): per process group, from /proc.

A process's CPU time is its own (utime + stime) while it lives; once it ends and its parent
reaps it, the time moves into the parent's cutime + cstime. Summing utime + stime + cutime +
cstime over the live processes of a group therefore counts every CPU second exactly once, the
ended ones included, as long as a process and the parent that reaps it are in the same group
(PostgreSQL backends under the postmaster, gunicorn workers under their master, the job
cluster's workers under it). The load generator is this process's own child: its time is read
from ``getrusage(RUSAGE_CHILDREN)`` once it has been reaped.
"""

from __future__ import annotations

import os
import re
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

# (group, how a process is recognised): the first that matches wins.
DATABASE, WEB, CLUSTER, REDIS, LOAD, OTHER = (
    "database (PostgreSQL)",
    "web (gunicorn)",
    "job cluster (qcluster)",
    "Redis",
    "load generator (Locust)",
    "everything else",
)


def group_of(comm: str, cmdline: str) -> str:
    if comm == "postgres":
        return DATABASE
    if "gunicorn" in cmdline:
        return WEB
    if "qcluster" in cmdline:
        return CLUSTER
    if comm.startswith("redis-server"):
        return REDIS
    if "locust" in cmdline:
        return LOAD
    return OTHER


def parse_stat(text: str) -> tuple[str, float]:
    """``/proc/PID/stat`` → (comm, CPU clock ticks of the process and its reaped children)."""
    comm = text[text.index("(") + 1 : text.rindex(")")]
    rest = text[text.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state): utime, stime, cutime, cstime are fields 14–17.
    return comm, float(sum(int(x) for x in rest[11:15]))


def machine_ticks(text: str) -> tuple[float, float]:
    """``/proc/stat``'s first line → (busy ticks, all ticks) of every core together."""
    values = [float(x) for x in text.split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass
class Snapshot:
    at: float
    groups: dict[str, float]  # CPU seconds per group
    busy: float  # machine-wide, seconds (all cores)
    total: float
    children: float  # this process's reaped children, CPU seconds
    pids: dict[int, tuple[str, float]] = field(default_factory=dict)


def snapshot(proc: Path = Path("/proc")) -> Snapshot:
    tick = os.sysconf("SC_CLK_TCK")
    me = os.getpid()
    groups: dict[str, float] = {}
    pids = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            comm, ticks = parse_stat((entry / "stat").read_text())
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            cmdline = cmdline.decode("utf-8", "replace")
        except (OSError, ValueError):
            continue  # ended meanwhile
        group = group_of(comm, cmdline)
        groups[group] = groups.get(group, 0.0) + ticks / tick
        pids[int(entry.name)] = (group, ticks / tick)
    busy, total = machine_ticks((proc / "stat").read_text())
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Snapshot(
        at=time.monotonic(),
        groups=groups,
        busy=busy / tick,
        total=total / tick,
        children=usage.ru_utime + usage.ru_stime,
        pids=pids,
    )


def between(before: Snapshot, after: Snapshot, *, load_pid: int | None = None) -> dict:
    """CPU per group over the window, as cores busy on average (1.0 = one core all the time).

    ``load_pid``: the load generator, this process's child, alive at ``before`` and reaped by
    ``after``: its time is ``after.children - before.children`` minus what it had used before.
    """
    wall = after.at - before.at
    cores = os.cpu_count() or 1
    seconds = {
        group: after.groups.get(group, 0.0) - before.groups.get(group, 0.0)
        for group in set(before.groups) | set(after.groups)
    }
    if load_pid is not None and load_pid in before.pids and load_pid not in after.pids:
        # seconds[LOAD] already subtracted what it had used by ``before``.
        seconds[LOAD] = seconds.get(LOAD, 0.0) + after.children - before.children
    seconds = {g: max(s, 0.0) for g, s in seconds.items()}
    return {
        "wall_s": round(wall, 1),
        "cores": cores,
        "machine_busy": round((after.busy - before.busy) / wall, 2) if wall else 0.0,
        "groups": {g: round(s / wall, 3) for g, s in sorted(seconds.items()) if wall},
    }


# --- the database's side: pg_stat_statements, when the server preloads it ------------------------
SELECT_LIST = re.compile(r"^SELECT (?:DISTINCT )?.*? FROM ")


def statements_reset(cursor) -> bool:
    """Start counting statements (False when the server was not started with
    ``shared_preload_libraries=pg_stat_statements``: `make bench-city` starts it so)."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic():  # a savepoint: a refusal leaves the connection usable
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            cursor.execute("SELECT pg_stat_statements_reset()")
    except DatabaseError:
        return False
    return True


def top_statements(cursor, limit: int = 8) -> list[dict]:
    """The statements that took the most database time since the reset."""
    cursor.execute(
        "SELECT calls, total_exec_time, mean_exec_time, rows, query FROM pg_stat_statements"
        " WHERE query NOT ILIKE '%%pg_stat_statements%%'"
        " ORDER BY total_exec_time DESC LIMIT %s",
        [limit],
    )
    return [
        {
            "calls": calls,
            "total_ms": round(total, 1),
            "mean_ms": round(mean, 2),
            "rows": rows,
            # The select list says little; what is read, joined and filtered does.
            "query": SELECT_LIST.sub("SELECT … FROM ", " ".join(query.split()), count=1)[:300],
        }
        for calls, total, mean, rows, query in cursor.fetchall()
    ]
