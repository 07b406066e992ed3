"""The SLA's records: breached milestones and where the sweep got to."""

from django.db import models
from django.utils import timezone

from kelurahan.models import Office
from services.models.cases import Application


class Milestone(models.TextChoices):
    ARCHIVE = "archive", "Hari 1: arsip"
    VERIFY = "verify", "Hari 2: verifikasi RT"
    ISSUE = "issue", "Hari 3: surat terbit"


class SlaBreach(models.Model):
    """A milestone of one application that passed its deadline; recorded once."""

    application = models.ForeignKey(
        Application, verbose_name="permohonan", on_delete=models.CASCADE, related_name="breaches"
    )
    # The case's office, copied by the sweep's INSERT … SELECT: the charts count one office's
    # breaches in a date range on (office, due) without walking the office's cases.
    office = models.ForeignKey(
        Office,
        verbose_name="kantor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # The case's RT, copied by every writer (the sweep's INSERT … SELECT, the bench seeds): the
    # charts' breaches per RT group the office's breaches by it without looking up each case.
    rt = models.ForeignKey(
        "kelurahan.RT",
        verbose_name="RT",
        on_delete=models.PROTECT,
        related_name="+",
    )
    milestone = models.CharField("tahap", max_length=10, choices=Milestone.choices)
    due = models.DateTimeField("batas waktu")
    detected = models.DateTimeField("terdeteksi", default=timezone.now)

    class Meta:
        verbose_name = "pelanggaran SLA"
        verbose_name_plural = "pelanggaran SLA"
        ordering = ["-detected"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "milestone"], name="slabreach_once_per_milestone"
            ),
            models.CheckConstraint(
                condition=models.Q(milestone__in=Milestone.values), name="slabreach_milestone_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["detected"], name="slabreach_by_detected"),
            # The charts' breaches per RT and per officer: one office's milestones due in a
            # date range.
            models.Index(fields=["office", "due"], name="slabreach_office_due"),
            # The dashboard's breaches detected this month, one office.
            models.Index(fields=["office", "detected"], name="slabreach_office_detected"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.milestone} {self.due:%Y-%m-%d %H:%M}"


class SweepState(models.Model):
    """Where the SLA sweep got to: it looks only at deadlines passed since ``swept_until``."""

    name = models.CharField("nama", max_length=40, primary_key=True)
    swept_until = models.DateTimeField("disapu sampai")

    class Meta:
        verbose_name = "posisi sapuan SLA"
        verbose_name_plural = "posisi sapuan SLA"

    def __str__(self) -> str:
        return f"{self.name} @ {self.swept_until:%Y-%m-%d %H:%M}"
