"""Emailing notifications to staff who have an address: claim one, then send it."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils import timezone

from services.models import Notification


def send_pending_emails() -> int:
    """Email each notification not yet emailed to someone with an address; claim, then send."""
    sent = 0
    pending = Notification.objects.filter(emailed_at__isnull=True).exclude(recipient__email="")
    for note in pending.select_related("recipient")[:500]:
        claimed = Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue  # another worker has it
        send_mail(
            subject=f"[Layanan Kelurahan] {note.message[:60]}",
            message=f"{note.message}\n\n{note.url}",
            from_email=None,
            recipient_list=[note.recipient.email],
        )
        sent += 1
    return sent
