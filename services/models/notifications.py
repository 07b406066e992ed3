"""Staff notifications (the bell, the digest, their emails)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from services.models.cases import Application


class Notification(models.Model):
    """An in-app message for a staff member (and an email when they have an address).

    ``key`` names the event ("breach:verify:42", "digest:2026-11-23"), so however many times a
    job runs, each person gets one notification per event.
    """

    # No database FK constraints: the sweep writes thousands of these in one statement while
    # holding the write lock, and deferred FK checks at COMMIT doubled its time on
    # PostgreSQL. Django's collector still cascades deletes; the rows point only at rows
    # that existed when the same transaction wrote them.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_constraint=False,
        verbose_name="penerima",
    )
    key = models.CharField("kunci peristiwa", max_length=80)
    kind = models.CharField("jenis", max_length=20)
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name="permohonan",
    )
    message = models.CharField("pesan", max_length=300)
    url = models.CharField("tautan", max_length=200, blank=True)
    created_at = models.DateTimeField("dibuat", default=timezone.now)
    read_at = models.DateTimeField("dibaca", null=True, blank=True)
    emailed_at = models.DateTimeField("dikirim lewat email", null=True, blank=True)

    class Meta:
        verbose_name = "notifikasi"
        verbose_name_plural = "notifikasi"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_event")
        ]
        indexes = [
            # The bell's unread count and the list page.
            models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox"),
            # The bell's page (services.selectors.notifications_for): a member's newest first,
            # read off the index in order, so it stays flat however long their history.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.key}"
