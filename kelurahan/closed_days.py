"""When an office's closed days change, its open cases' deadlines must follow.

The admin calls ``closed_days_changed`` explicitly from its save and delete hooks (no signal).
The recompute itself belongs to ``services`` (which this app may not import), so the job is
enqueued by its dotted name after the admin's transaction commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task

RECOMPUTE_TASK = "services.tasks.recompute_deadlines_task"
SHORT_MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def short_date(day: date) -> str:
    return f"{day.day} {SHORT_MONTHS[day.month - 1]} {day.year}"


def closed_days_changed(*, office_id: int, reason: str, by=None) -> None:
    """Queue the recompute of ``office_id``'s open deadlines once the change commits."""
    sync = settings.Q_CLUSTER.get("sync", False)
    by_id = getattr(by, "pk", None)
    transaction.on_commit(lambda: async_task(RECOMPUTE_TASK, office_id, reason, by_id, sync=sync))


def describe(added: Iterable = (), removed: Iterable = (), moved: Iterable = ()) -> dict[int, str]:
    """Per office, the change in words: "hari tutup 24 Des 2026 ditambahkan"."""
    parts: dict[int, list[str]] = defaultdict(list)
    for what, rows in (("ditambahkan", added), ("dihapus", removed)):
        by_office: dict[int, list[date]] = defaultdict(list)
        for office_id, day in rows:
            by_office[office_id].append(day)
        for office_id, days in by_office.items():
            listed = ", ".join(short_date(d) for d in sorted(days))
            parts[office_id].append(f"hari tutup {listed} {what}")
    for office_id, old, new in moved:
        parts[office_id].append(f"hari tutup {short_date(old)} dipindah ke {short_date(new)}")
    return {office_id: "; ".join(texts) for office_id, texts in parts.items()}


def notify_changes(*, by=None, added=(), removed=(), moved=()) -> None:
    for office_id, reason in describe(added, removed, moved).items():
        closed_days_changed(office_id=office_id, reason=reason, by=by)
