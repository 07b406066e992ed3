"""UU PDP 27/2022: the register of personal-data breaches (Pasal 46).

A breach must be notified in writing to the data subjects and to the agency within 3 × 24
hours of its discovery — clock hours, weekends and holidays included, unlike the service SLA's
working days. ``services.pdp.breaches`` warns the supervisors a day before that deadline and
again when it passes, once each.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from kelurahan.models import Office

NOTIFY_WITHIN = timedelta(hours=72)


class DataBreach(models.Model):
    office = models.ForeignKey(
        Office,
        verbose_name="kantor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Kosong: seluruh portal (semua kantor).",
    )
    title = models.CharField("judul", max_length=160)
    discovered_at = models.DateTimeField("diketahui", default=timezone.now)
    occurred = models.CharField(
        "kapan dan bagaimana terjadi", max_length=1000, help_text="Waktu dan cara kejadian."
    )
    data_affected = models.CharField(
        "data pribadi yang terungkap",
        max_length=1000,
        help_text="Jenis data (mis. NIK, alamat, foto KTP) dan perkiraan jumlah orang.",
    )
    subjects_count = models.PositiveIntegerField("jumlah subjek data", default=0)
    remedy = models.CharField(
        "upaya penanganan dan pemulihan", max_length=1000, help_text="Apa yang sudah dilakukan."
    )
    notify_due = models.DateTimeField("batas pemberitahuan (3 × 24 jam)", editable=False)
    subjects_notified_at = models.DateTimeField("subjek data diberi tahu", null=True, blank=True)
    agency_notified_at = models.DateTimeField("lembaga PDP diberi tahu", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="dicatat oleh",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # Set by the sweep's conditional UPDATE: each alert goes out once, however often it runs.
    warned_at = models.DateTimeField("peringatan 24 jam terkirim", null=True, blank=True)
    overdue_at = models.DateTimeField("peringatan lewat batas terkirim", null=True, blank=True)

    class Meta:
        verbose_name = "insiden kebocoran data"
        verbose_name_plural = "register kebocoran data (UU PDP)"
        ordering = ["-discovered_at"]
        indexes = [models.Index(fields=["notify_due"], name="databreach_by_due")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # Clock hours from discovery: the SLA calendar's working days do not apply.
        self.notify_due = self.discovered_at + NOTIFY_WITHIN
        super().save(*args, **kwargs)

    @property
    def fully_notified(self) -> bool:
        return self.subjects_notified_at is not None and self.agency_notified_at is not None

    def notice_text(self) -> str:
        """The written notice (Pasal 46(2)): what data, when and how, and the remedy."""
        where = f"Kelurahan {self.office.name}" if self.office_id else "portal layanan kelurahan"
        return (
            f"Pemberitahuan kegagalan pelindungan data pribadi — {where}\n\n"
            f"Data pribadi yang terungkap: {self.data_affected}\n"
            f"Kapan dan bagaimana terjadi: {self.occurred}\n"
            f"Upaya penanganan dan pemulihan: {self.remedy}\n\n"
            f"Diketahui pada {timezone.localtime(self.discovered_at):%d-%m-%Y %H:%M}; "
            "pemberitahuan ini disampaikan paling lambat 3 × 24 jam sejak itu "
            "(UU 27/2022 Pasal 46)."
        )
