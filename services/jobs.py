"""Enqueueing background jobs: ``enqueue_after_commit`` and the jobs' dotted names.

Writers (workflow, sweep, notifications) import this module, never ``services.tasks``: the
task entry points import the writers, so importing them back would make a circle. The names
are the paths django-q2 stores in its queue and schedules (migrations 0008, 0019 and 0026,
and ``kelurahan.closed_days``, which may not import ``services``, spell some of them out); a test
checks that each one resolves to a function of ``services.tasks``.

May import: Django and django-q2 only.
"""

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task

SLA_SWEEP = "services.tasks.sla_sweep_task"
MORNING_DIGEST = "services.tasks.morning_digest_task"
SEND_NOTIFICATION_EMAILS = "services.tasks.send_notification_emails_task"
RENDER_LETTER = "services.tasks.render_letter_task"
RENDER_BUNDLE = "services.tasks.render_bundle_task"
RECOMPUTE_DEADLINES = "services.tasks.recompute_deadlines_task"
# The resident's gateway/email messages: the ones a step just wrote (by uuid), and the
# scheduled run (migration 0019, every minute) that retries whatever is due.
SEND_RESIDENT_MESSAGES = "services.tasks.send_resident_messages_task"
SEND_DUE_RESIDENT_MESSAGES = "services.tasks.send_due_resident_messages_task"
# UU PDP (services.pdp): the daily retention job and the breach register's 72-hour clock
# (schedules of migration 0027).
PDP_RETENTION = "services.tasks.pdp_retention_task"
PDP_BREACH_SWEEP = "services.tasks.pdp_breach_sweep_task"
# Files kept for failed forms by sessions that never came back (migration 0024, every 10 min).
PURGE_PENDING_UPLOADS = "services.tasks.purge_pending_uploads_task"
# The reconciliation job (migration 0026, every few minutes): re-queues lost PDF renders.
RECONCILE_RENDERS = "services.tasks.reconcile_renders_task"

ALL = (
    SLA_SWEEP,
    MORNING_DIGEST,
    SEND_NOTIFICATION_EMAILS,
    RENDER_LETTER,
    RENDER_BUNDLE,
    RECOMPUTE_DEADLINES,
    SEND_RESIDENT_MESSAGES,
    SEND_DUE_RESIDENT_MESSAGES,
    PDP_RETENTION,
    PDP_BREACH_SWEEP,
    PURGE_PENDING_UPLOADS,
    RECONCILE_RENDERS,
)


def enqueue_after_commit(func: str, *args) -> None:
    """Queue ``func`` once the current transaction commits (never for a rolled-back one)."""
    sync = settings.Q_CLUSTER.get("sync", False)
    transaction.on_commit(lambda: async_task(func, *args, sync=sync))
