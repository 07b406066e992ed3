"""The RT verification queue: the kelurahan asks the Ketua RT to confirm a case (day 2)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from kelurahan import limits
from kelurahan.models import RT
from services.models import Application


def _uuid():
    import uuid

    return uuid.uuid4()


class RequestState(models.TextChoices):
    PENDING = "pending", "Menunggu keputusan"
    APPROVED = "approved", "Disetujui"
    REJECTED = "rejected", "Ditolak"
    RETURNED = "returned", "Dikembalikan"
    # Not a chair's decision: the officer corrected the applicant's RT while the request was
    # pending, so it was closed and a new one sent to the right RT. The old chair no longer
    # sees it.
    REROUTED = "rerouted", "Dialihkan ke RT lain"


class VerificationRequest(models.Model):
    """One request to an RT chair about one application.

    pending → approved / rejected / returned, decided once (or → rerouted when the officer
    corrects the applicant's RT meanwhile) (a conditional UPDATE on
    ``state='pending'`` lets exactly one decision through). A returned case that comes back
    gets a new request; the old one stays as history.
    """

    uuid = models.UUIDField("UUID", default=_uuid, unique=True, editable=False)
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="verification_requests",
        verbose_name="permohonan",
    )
    rt = models.ForeignKey(
        RT, verbose_name="RT", on_delete=models.PROTECT, related_name="verification_requests"
    )
    state = models.CharField(
        "status", max_length=10, choices=RequestState.choices, default=RequestState.PENDING
    )
    officer_note = models.TextField(
        "catatan petugas", blank=True, **limits.text_limit(limits.NOTE_MAX)
    )
    needs_neighbours = models.BooleanField("perlu kesaksian tetangga", default=False)
    neighbour_reason = models.CharField("alasan perlu tetangga", max_length=240, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="dikirim oleh",
    )
    created_at = models.DateTimeField("dikirim", default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="diputuskan oleh",
    )
    decided_at = models.DateTimeField("diputuskan", null=True, blank=True)
    note = models.TextField("catatan Ketua RT", blank=True, **limits.text_limit(limits.NOTE_MAX))
    gave_cover_letter = models.BooleanField(
        "persetujuan menjadi pengantar RT digital", default=False
    )

    class Meta:
        verbose_name = "permintaan verifikasi RT"
        verbose_name_plural = "permintaan verifikasi RT"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=RequestState.values), name="verification_state_valid"
            ),
            # A case waits on at most one RT decision at a time.
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(state="pending"),
                name="verification_one_pending_per_application",
            ),
            models.CheckConstraint(
                condition=models.Q(state="pending")
                | models.Q(decided_by__isnull=False, decided_at__isnull=False),
                name="verification_decision_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["rejected", "returned"]) | ~models.Q(note=""),
                name="verification_reject_return_has_reason",
            ),
        ]
        indexes = [
            # The RT chair's list: pending requests of one RT, oldest first; and their
            # recent decisions.
            models.Index(fields=["rt", "state", "created_at"], name="verification_rt_queue"),
            models.Index(fields=["rt", "decided_at"], name="verification_rt_decided"),
        ]

    def __str__(self) -> str:
        return f"{self.application.code} → {self.rt} ({self.get_state_display()})"


class NeighbourAttestation(models.Model):
    """A neighbour's statement that the applicant lives where they say (when needed)."""

    request = models.ForeignKey(
        VerificationRequest,
        on_delete=models.CASCADE,
        related_name="attestations",
        verbose_name="permintaan verifikasi",
    )
    name = models.CharField("nama tetangga", max_length=120)
    address = models.CharField("rumah/alamat", max_length=200)
    relation = models.CharField("hubungan dengan pemohon", max_length=120)
    statement = models.TextField("keterangan", **limits.text_limit(limits.NOTE_MAX))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="dicatat oleh",
    )
    recorded_at = models.DateTimeField("dicatat", default=timezone.now)

    class Meta:
        verbose_name = "kesaksian tetangga"
        verbose_name_plural = "kesaksian tetangga"
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relation})"
