"""Numbered, verifiable letters (the output letter and the digital RT cover letter)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from kelurahan.models import Office
from services.models.cases import Application


class LetterKind(models.TextChoices):
    OUTPUT = "output", "Surat hasil layanan"
    RT_COVER = "rt_cover", "Surat pengantar RT digital"


def _letter_token() -> str:
    return secrets.token_urlsafe(24)


class Letter(models.Model):
    """A numbered, verifiable letter. Its PDF is rendered once and never overwritten: a
    correction is a new letter, and the old one is revoked."""

    application = models.ForeignKey(
        Application, verbose_name="permohonan", on_delete=models.PROTECT, related_name="letters"
    )
    office = models.ForeignKey(
        Office, verbose_name="kantor", on_delete=models.PROTECT, related_name="letters"
    )
    kind = models.CharField(
        "jenis surat", max_length=10, choices=LetterKind.choices, default=LetterKind.OUTPUT
    )
    number = models.CharField("nomor surat", max_length=80)
    counter_key = models.CharField("kunci penghitung", max_length=60)
    seq = models.PositiveIntegerField("nomor urut")
    issued_at = models.DateTimeField("tanggal surat", default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="diterbitkan oleh",
    )
    token = models.CharField(
        "token verifikasi", max_length=40, unique=True, default=_letter_token, editable=False
    )
    # Copied at issue, so later changes to the office never alter an issued letter.
    signatory_form = models.CharField("bentuk tanda tangan", max_length=4, blank=True)
    signatory_name = models.CharField("nama penanda tangan", max_length=120)
    signatory_title = models.CharField("jabatan penanda tangan", max_length=120)
    signatory_nip = models.CharField("NIP penanda tangan", max_length=18, blank=True)
    pdf = models.FileField("PDF", upload_to="letters/", blank=True, max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    revoked_at = models.DateTimeField("dicabut", null=True, blank=True)
    revoked_reason = models.CharField("alasan pencabutan", max_length=240, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="dicabut oleh",
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name="menggantikan surat",
    )

    class Meta:
        verbose_name = "surat"
        verbose_name_plural = "surat"
        ordering = ["-issued_at", "-id"]
        permissions = [("revoke_letter", "Mencabut surat")]
        constraints = [
            # The counter gives each number once; this makes a duplicate impossible anyway.
            models.UniqueConstraint(fields=["office", "number"], name="letter_unique_number"),
            models.UniqueConstraint(
                fields=["office", "counter_key", "seq"], name="letter_unique_seq"
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | ~models.Q(revoked_reason=""),
                name="letter_revocation_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    @property
    def is_rendered(self) -> bool:
        return bool(self.sha256)


class RenderKind(models.TextChoices):
    LETTER = "letter", "Surat"
    BUNDLE = "bundle", "Berkas arsip"


class DocumentRender(models.Model):
    """One PDF a job must make: a letter's, or a case's archive bundle (services.letters.renders).

    Written with the request, in the step's transaction. The render job claims it
    (``started_at``, a lease as long as the job timeout: at most one render in flight) and
    closes it (``done_at``) in the transaction that stores the file. The reconciliation job
    re-queues a row still open ``RENDER_RETRY_MINUTES`` after it was last queued (a conditional
    UPDATE on ``queued_at``, so two runs re-queue it once), and after ``RENDER_MAX_REQUEUES``
    re-queues gives up (``gave_up_at``) and alerts the office's supervisors.
    """

    kind = models.CharField("jenis", max_length=10, choices=RenderKind.choices)
    application = models.ForeignKey(
        Application, verbose_name="permohonan", on_delete=models.CASCADE, related_name="renders"
    )
    letter = models.ForeignKey(
        Letter,
        verbose_name="surat",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="renders",
    )
    requested_at = models.DateTimeField("diminta", default=timezone.now)
    queued_at = models.DateTimeField("terakhir diantrekan", default=timezone.now)
    started_at = models.DateTimeField("sedang dibuat sejak", null=True, blank=True)
    requeues = models.PositiveSmallIntegerField("diantrekan ulang", default=0)
    gave_up_at = models.DateTimeField("dihentikan", null=True, blank=True)
    done_at = models.DateTimeField("selesai", null=True, blank=True)

    class Meta:
        verbose_name = "pembuatan dokumen"
        verbose_name_plural = "pembuatan dokumen"
        ordering = ["requested_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["letter", "bundle"]), name="render_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="letter", letter__isnull=False)
                | models.Q(kind="bundle", letter__isnull=True),
                name="render_letter_only_for_letters",
            ),
            # One row per document: a second request (archiving again) finds the first.
            models.UniqueConstraint(
                fields=["letter"],
                condition=models.Q(letter__isnull=False),
                name="render_once_per_letter",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(kind="bundle"),
                name="render_once_per_bundle",
            ),
        ]
        indexes = [
            # The open rows: the reconciliation sweep, the dashboard count and /healthz read
            # only these, however many documents were ever made.
            models.Index(
                fields=["requested_at"],
                condition=models.Q(done_at__isnull=True),
                name="render_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.application_id}"
