"""django-q2 tasks: thin wrappers that call the domain functions (STYLE.md "Jobs are thin").

Every task is idempotent: the sweep claims its time window, notifications are unique per
event, emails are claimed one by one before sending.
"""

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task


def enqueue_after_commit(func: str, *args) -> None:
    """Queue ``func`` once the current transaction commits (never for a rolled-back one)."""
    sync = settings.Q_CLUSTER.get("sync", False)
    transaction.on_commit(lambda: async_task(func, *args, sync=sync))


def sla_sweep_task() -> int:
    from services.sla import sla_sweep

    return sla_sweep()


def morning_digest_task() -> int:
    from services.notifications import morning_digest

    return morning_digest()


def send_notification_emails_task() -> int:
    from services.notifications import send_pending_emails

    return send_pending_emails()


def render_letter_task(letter_id: int) -> bool:
    from services.letters import render_letter

    return render_letter(letter_id)


def render_bundle_task(application_id: int) -> bool:
    from services.letters import render_bundle

    return render_bundle(application_id)


def recompute_deadlines_task(office_id: int, reason: str, by_id: int | None = None) -> int:
    """Enqueued by the admin (by name) when an office's closed days change."""
    from django.contrib.auth import get_user_model

    from kelurahan.models import Office
    from services.workflow import deadlines_recompute

    office = Office.objects.filter(pk=office_id).first()
    if office is None:
        return 0
    by = get_user_model().objects.filter(pk=by_id).first() if by_id else None
    return deadlines_recompute(office=office, reason=reason, by=by)
