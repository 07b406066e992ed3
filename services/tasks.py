"""django-q2 tasks: thin entry points that call the domain functions (STYLE.md "Jobs are thin").

django-q2 finds them by dotted name (``services.jobs`` holds the names; the schedules of
migration 0008 store two of them), so they stay here under these names. Nothing in the project
imports this module, which is why it may import every writer at the top.

Every task is idempotent: the sweep claims its time window, notifications are unique per
event, emails are claimed one by one before sending, and so are the resident's messages (a
conditional UPDATE per message).
"""

from django.contrib.auth import get_user_model

from kelurahan.models import Office
from services.documents.pending import purge_expired
from services.letters.render import render_bundle, render_letter
from services.letters.renders import reconcile_renders
from services.notifications import morning_digest, send_pending_emails
from services.notifications.sending import send_due_resident_messages, send_resident_messages
from services.pdp.breaches import breach_sweep
from services.pdp.retention import retention_sweep
from services.sla import sla_sweep
from services.workflow import deadlines_recompute


def sla_sweep_task() -> int:
    return sla_sweep()


def morning_digest_task() -> int:
    return morning_digest()


def send_notification_emails_task() -> int:
    return send_pending_emails()


def render_letter_task(letter_id: int) -> bool:
    return render_letter(letter_id)


def render_bundle_task(application_id: int) -> bool:
    return render_bundle(application_id)


def recompute_deadlines_task(office_id: int, reason: str, by_id: int | None = None) -> int:
    """Enqueued by the admin (by name) when an office's closed days change."""
    office = Office.objects.filter(pk=office_id).first()
    if office is None:
        return 0
    by = get_user_model().objects.filter(pk=by_id).first() if by_id else None
    return deadlines_recompute(office=office, reason=reason, by=by)


def send_resident_messages_task(uuids: list[str]) -> int:
    """Queued after a step wrote gateway/email messages: try each once now."""
    return send_resident_messages(uuids)


def send_due_resident_messages_task() -> int:
    """Every minute: retry the messages whose next attempt is due."""
    return send_due_resident_messages()


def pdp_retention_task() -> int:
    """Every night: files of long-closed cases deleted, older ones anonymised (UU PDP)."""
    result = retention_sweep()
    return result.files_deleted + result.anonymised


def pdp_breach_sweep_task() -> int:
    """Every 15 minutes: the breach register's 24-hour warning and overdue alert."""
    return breach_sweep()


def purge_pending_uploads_task() -> int:
    """Every 10 minutes: delete files kept for failed forms past their time (any session)."""
    return purge_expired()


def reconcile_renders_task() -> int:
    """Every few minutes: queue again the PDFs whose render job was lost."""
    return reconcile_renders()
