"""What ``/healthz`` reports: the job backlog, and whatever checks the apps above register.

Anonymous and cheap: a fixed handful of aggregate queries (no per-row work), and numbers only,
never a name, code or NIK. Each check returns its numbers and whether they are within the
thresholds in settings (``HEALTH_*``); the page answers 503 when one is not, so monitoring
notices a stopped job cluster (the backlog grows and ages) or lost renders. ``?live=1`` answers
200 without a query: for a load balancer that should keep a node serving pages while the job
side is in trouble.

``services`` registers its checks (the documents still without a PDF) in its
``AppConfig.ready()``: kelurahan may not import it. The registry is filled at start-up and never
changes afterwards.

May import: Django and django-q2 only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django_q.conf import Conf
from django_q.models import OrmQ, Task

Check = Callable[[datetime], dict]
_checks: dict[str, Check] = {}


def register_health_check(name: str, check: Check) -> None:
    """``check(now)`` → its numbers plus ``ok``; registering a name again replaces it."""
    _checks[name] = check


def job_backlog(now: datetime) -> dict:
    """Tasks waiting in the broker, the age of the oldest, and failures in the last hour."""
    failed = Task.objects.filter(success=False, stopped__gte=now - timedelta(hours=1)).count()
    if Conf.ORM:
        # The ORM broker keeps a task's enqueue time in `lock` until a worker takes it (then
        # `lock` moves into the future for the retry window): waiting = lock in the past.
        waiting = Q(key=Conf.CLUSTER_NAME, lock__lte=now)
        row = OrmQ.objects.aggregate(
            queued=Count("id", filter=waiting), oldest=Min("lock", filter=waiting)
        )
        queued = row["queued"]
        oldest = int((now - row["oldest"]).total_seconds()) if row["oldest"] else 0
    else:
        from django_q.brokers import get_broker

        queued, oldest = get_broker().queue_size(), None
    return {
        "queued": queued,
        "oldest_queued_seconds": oldest,
        "failed_last_hour": failed,
        "ok": queued <= settings.HEALTH_MAX_QUEUED
        and (oldest or 0) <= settings.HEALTH_MAX_QUEUE_AGE_SECONDS
        and failed <= settings.HEALTH_MAX_FAILED_PER_HOUR,
    }


register_health_check("jobs", job_backlog)


def report(now: datetime) -> dict:
    checks = {name: check(now) for name, check in _checks.items()}
    ok = all(c["ok"] for c in checks.values())
    return {"status": "ok" if ok else "fail", "checks": checks}
