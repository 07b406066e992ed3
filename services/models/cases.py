"""The cases: applications (with their FSM), attachments, the audit trail and the access log."""

import secrets
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from kelurahan import limits
from kelurahan.models import RT, Office
from services.models.catalogue import Requirement, Service, ServiceVariant


class ApplicationState(models.TextChoices):
    RECEIVED = "received", "Diterima"
    INCOMPLETE = "incomplete", "Belum lengkap"
    ARCHIVED = "archived", "Diarsipkan"
    IN_VERIFICATION = "in_verification", "Verifikasi RT"
    VERIFIED = "verified", "Terverifikasi"
    REJECTED = "rejected", "Ditolak"
    ISSUED = "issued", "Surat terbit"
    COMPLETED = "completed", "Selesai"
    CANCELLED = "cancelled", "Dibatalkan"


S = ApplicationState
# A case is open until it is completed, rejected or cancelled.
OPEN_STATES = [S.RECEIVED, S.INCOMPLETE, S.ARCHIVED, S.IN_VERIFICATION, S.VERIFIED, S.ISSUED]
CLOSED_STATES = [S.COMPLETED, S.REJECTED, S.CANCELLED]


# The sort key of cases whose clock is not running (see Application.queue_due).
QUEUE_LAST = datetime(9999, 12, 31, tzinfo=UTC)


class Channel(models.TextChoices):
    WALK_IN = "walk_in", "Datang langsung"
    WHATSAPP = "whatsapp", "WhatsApp"
    ASSISTED = "assisted", "Dibantu tetangga/Ketua RT"


class Delivery(models.TextChoices):
    PICKUP = "pickup", "Diambil di kantor kelurahan"
    COURIER = "courier", "Dikirim kurir"
    # Only for services that allow it (Service.electronic_delivery): the resident downloads
    # the letter's PDF from the status page; the first download completes the case.
    ELECTRONIC = "electronic", "Diunduh sendiri lewat tautan status"


def _default_uuid():
    return uuid.uuid4()


def _status_token() -> str:
    # 128 random bits, 22 URL-safe characters: the resident's status link (services.public).
    return secrets.token_urlsafe(16)


class Application(ConcurrentTransitionMixin, models.Model):
    """A resident's application for one service.

    Transitions (django-fsm-2; run them only through the workflow modules):
      received --archive--> archived          received --mark_incomplete--> incomplete
      incomplete --resubmit--> received       open, not yet issued --cancel--> cancelled
      archived --send_to_rt--> in_verification            (verification.workflow)
      in_verification --approve--> verified   --reject--> rejected
      in_verification --return_to_applicant--> incomplete (the RT chair's decisions)
      rejected --reopen--> archived           (a supervisor; verification.workflow sends it
                                               to the RT again in the same transaction)
    The letter steps (issue, hand_over) join with the letters.
    """

    code = models.CharField("kode permohonan", max_length=24, unique=True, editable=False)
    status_token = models.CharField(
        "token halaman status", max_length=40, unique=True, default=_status_token, editable=False
    )
    office = models.ForeignKey(
        Office, verbose_name="kantor", on_delete=models.PROTECT, related_name="applications"
    )
    service = models.ForeignKey(
        Service, verbose_name="layanan", on_delete=models.PROTECT, related_name="applications"
    )
    state = FSMField(
        "status",
        max_length=20,
        choices=ApplicationState.choices,
        default=S.RECEIVED,
        protected=True,
    )
    is_open = models.GeneratedField(
        expression=models.Case(
            models.When(state__in=OPEN_STATES, then=models.Value(True)),
            default=models.Value(False),
            output_field=models.BooleanField(),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name="masih berjalan",
    )

    applicant_name = models.CharField("nama pemohon", max_length=120)
    nik = models.CharField("NIK", max_length=16)
    kk_number = models.CharField("nomor KK", max_length=16, blank=True)
    phone = models.CharField("nomor WhatsApp/telepon", max_length=20)
    email = models.EmailField("email", blank=True)
    address = models.TextField("alamat", **limits.text_limit(limits.ADDRESS_MAX))
    rt = models.ForeignKey(
        RT, verbose_name="RT", on_delete=models.PROTECT, related_name="applications"
    )

    channel = models.CharField(
        "jalur", max_length=20, choices=Channel.choices, default=Channel.WALK_IN
    )
    assisted_by = models.CharField(
        "dibantu oleh",
        max_length=160,
        blank=True,
        help_text="Nama dan hubungan orang yang membantu, mis. 'Bu Sri (tetangga)'.",
    )
    assisted_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Ketua RT yang mengajukan lewat portal, bila ada.",
        verbose_name="Ketua RT yang mengajukan",
    )
    delivery = models.CharField(
        "pengambilan hasil", max_length=10, choices=Delivery.choices, default=Delivery.PICKUP
    )
    delivery_address = models.TextField(
        "alamat pengiriman", blank=True, **limits.text_limit(limits.ADDRESS_MAX)
    )
    purpose = models.CharField("keperluan", max_length=240, blank=True)
    variant = models.ForeignKey(
        ServiceVariant,
        verbose_name="jenis permohonan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    # The service's data fields as answered at intake ({code: value}, see ServiceField).
    extra = models.JSONField("data tambahan", default=dict, blank=True)

    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="dicatat oleh",
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField("diterima", default=timezone.now)
    # When the running SLA clock started: intake, the last resubmit or reopen. Empty means
    # received_at (rows written before this field, and bulk-seeded ones). Deadlines are
    # recomputed from it when the office's closed days change (services.workflow).
    sla_started_at = models.DateTimeField("mulai hitung SLA", null=True, blank=True)
    # SLA milestones (filled by services.sla at intake and on resubmit).
    archive_due = models.DateTimeField("batas arsip", null=True, blank=True)
    verify_due = models.DateTimeField("batas verifikasi", null=True, blank=True)
    issue_due = models.DateTimeField("batas terbit", null=True, blank=True)
    # Milestones reached.
    archived_at = models.DateTimeField("diarsipkan", null=True, blank=True)
    sent_to_rt_at = models.DateTimeField("dikirim ke RT", null=True, blank=True)
    verified_at = models.DateTimeField("diverifikasi", null=True, blank=True)
    issued_at = models.DateTimeField("surat terbit", null=True, blank=True)
    completed_at = models.DateTimeField("selesai", null=True, blank=True)
    closed_at = models.DateTimeField("ditutup", null=True, blank=True)
    # Working seconds each SLA stage took, written by the step that ends it (arsip, verifikasi
    # RT, terbit: services.sla.stages); the charts sum them in SQL (services.sla.charts).
    archive_seconds = models.PositiveIntegerField(
        "lama tahap arsip (detik kerja)", null=True, blank=True
    )
    verify_seconds = models.PositiveIntegerField(
        "lama verifikasi RT (detik kerja)", null=True, blank=True
    )
    issue_seconds = models.PositiveIntegerField(
        "lama terbit surat (detik kerja)", null=True, blank=True
    )
    updated_at = models.DateTimeField("diubah", auto_now=True)
    # The deadline that matters now, for sorting the queue: the milestone the case waits for.
    # Cases with no running clock (waiting on the applicant, or for hand-over) sort last.
    queue_due = models.GeneratedField(
        expression=models.Case(
            models.When(state=S.RECEIVED, then=models.F("archive_due")),
            models.When(state__in=[S.ARCHIVED, S.IN_VERIFICATION], then=models.F("verify_due")),
            models.When(state=S.VERIFIED, then=models.F("issue_due")),
            default=models.Value(QUEUE_LAST),
            output_field=models.DateTimeField(),
        ),
        output_field=models.DateTimeField(),
        db_persist=True,
        verbose_name="batas tahap berikutnya",
    )
    # Hand-over of the output (issued -> completed).
    handed_over_to = models.CharField("diterima oleh", max_length=160, blank=True)
    courier_name = models.CharField("kurir", max_length=120, blank=True)
    courier_receipt = models.CharField("nomor resi", max_length=60, blank=True)
    # Electronic delivery: when the resident first downloaded the letter from the status page
    # (services.workflow.application_download_by_resident); later downloads leave it alone.
    downloaded_at = models.DateTimeField("diunduh pemohon", null=True, blank=True)
    # The archive bundle (cover sheet + accepted documents) for offices with paper files.
    bundle = models.FileField(
        "berkas arsip (PDF)", upload_to="bundles/", blank=True, max_length=200
    )
    bundle_sha256 = models.CharField("SHA-256 berkas arsip", max_length=64, blank=True)
    # The "pengantar RT digital": the RT chair's approval in the portal standing in for the
    # uploaded cover letter, where the service allows it.
    rt_cover_letter_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="pengantar RT digital oleh",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rt_cover_letter_at = models.DateTimeField("pengantar RT digital", null=True, blank=True)
    # UU PDP retention (services.pdp.retention): when the closed case's files were deleted,
    # and when its personal data were replaced (its letters' numbers and hashes stay).
    documents_deleted_at = models.DateTimeField("berkas dihapus (retensi)", null=True, blank=True)
    anonymised_at = models.DateTimeField("data pribadi dihapus (retensi)", null=True, blank=True)

    class Meta:
        verbose_name = "permohonan"
        verbose_name_plural = "permohonan"
        permissions = [
            ("receive_application", "Mencatat permohonan baru"),
            ("check_attachment", "Memeriksa berkas persyaratan"),
            ("archive_application", "Mengarsipkan permohonan"),
            ("mark_incomplete_application", "Menandai permohonan belum lengkap"),
            ("resubmit_application", "Mengajukan ulang permohonan"),
            ("cancel_application", "Membatalkan permohonan"),
            ("send_to_rt_application", "Mengirim permohonan ke Ketua RT"),
            ("verify_application", "Memutuskan verifikasi RT"),
            ("submit_assisted_application", "Mengajukan permohonan atas nama warga RT-nya"),
            ("issue_application", "Menerbitkan surat"),
            ("hand_over_application", "Menyerahkan surat kepada pemohon"),
            ("correct_application", "Mengoreksi data pemohon"),
            ("reopen_application", "Membuka kembali permohonan yang ditolak Ketua RT"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ApplicationState.values),
                name="application_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="application_channel_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(delivery=Delivery.COURIER) | ~models.Q(delivery_address=""),
                name="application_courier_needs_address",
            ),
            # The applicant's addresses are printed on the letter: a bulk write (bulk_create,
            # update(), a raw INSERT) cannot bypass their limit either (SECURITY.md J63).
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("address"), limits.ADDRESS_MAX),
                name="application_address_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("delivery_address"), limits.ADDRESS_MAX),
                name="application_delivery_address_length",
            ),
            # One open application per person and service in an office (double clicks, repeats).
            models.UniqueConstraint(
                fields=["office", "nik", "service"],
                condition=models.Q(state__in=OPEN_STATES),
                name="application_one_open_per_nik_service",
            ),
        ]
        indexes = [
            # The officer's queue: open cases of one office, the most urgent first. A partial
            # index on the generated flag fits the query on SQLite and PostgreSQL alike (a
            # `state IN (...)` condition is parameterised and SQLite then ignores the index).
            models.Index(
                fields=["office", "queue_due", "id"],
                condition=models.Q(is_open=True),
                name="application_open_queue",
            ),
            # The SLA sweep: open cases whose milestone fell due since its last run.
            models.Index(
                fields=["archive_due"],
                condition=models.Q(is_open=True),
                name="app_open_archive_due",
            ),
            models.Index(
                fields=["verify_due"], condition=models.Q(is_open=True), name="app_open_verify_due"
            ),
            models.Index(
                fields=["issue_due"], condition=models.Q(is_open=True), name="app_open_issue_due"
            ),
            # The "all states" queue and state filters.
            models.Index(fields=["office", "state", "queue_due"], name="application_by_state"),
            # The dashboard's cases waiting at each RT: counted per RT from the index alone.
            models.Index(
                fields=["office", "state", "rt", "sent_to_rt_at"],
                condition=models.Q(is_open=True),
                name="application_waiting_rt",
            ),
            # Search by NIK (POST) within an office.
            # The retention job (services.pdp.retention) walks closed cases by closing time,
            # each stage only among the rows it has not done yet.
            models.Index(
                fields=["closed_at"],
                condition=models.Q(closed_at__isnull=False, documents_deleted_at__isnull=True),
                name="application_files_to_retire",
            ),
            models.Index(
                fields=["closed_at"],
                condition=models.Q(closed_at__isnull=False, anonymised_at__isnull=True),
                name="application_data_to_retire",
            ),
            models.Index(fields=["office", "nik"], name="application_by_nik"),
            # The charts (services.sla.charts): on time per week by the letter's deadline,
            # and time per stage of the letters issued in a date range. Partial (NOT NULL,
            # which a range on the column implies): SQLite's planner, without statistics,
            # would otherwise take any (office, …) index for a query on the office alone.
            models.Index(
                fields=["office", "issue_due"],
                condition=models.Q(issue_due__isnull=False),
                name="application_office_issue_due",
            ),
            # The dashboard's milestones due this month (services.sla.reports): one range
            # per milestone, OR-ed in one query; each range walks only this month's rows.
            models.Index(
                fields=["office", "archive_due"],
                condition=models.Q(archive_due__isnull=False),
                name="application_office_archive_due",
            ),
            models.Index(
                fields=["office", "verify_due"],
                condition=models.Q(verify_due__isnull=False),
                name="application_office_verify_due",
            ),
            models.Index(
                fields=["office", "issued_at"],
                condition=models.Q(issued_at__isnull=False),
                name="application_office_issued",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.applicant_name}"

    def get_absolute_url(self) -> str:
        return reverse("services:application_detail", args=[self.code])

    # --- transitions: the single definition of which step is allowed from where ---------
    @transition(
        state, source=S.RECEIVED, target=S.ARCHIVED, permission="services.archive_application"
    )
    def archive(self) -> None:
        self.archived_at = timezone.now()

    @transition(
        state,
        source=S.RECEIVED,
        target=S.INCOMPLETE,
        permission="services.mark_incomplete_application",
    )
    def mark_incomplete(self) -> None:
        """The SLA clock stops while the applicant sends what is missing."""

    @transition(
        state, source=S.INCOMPLETE, target=S.RECEIVED, permission="services.resubmit_application"
    )
    def resubmit(self) -> None:
        """The missing documents came in: the case is back at day 1 (services.sla)."""

    @transition(
        state,
        source=S.ARCHIVED,
        target=S.IN_VERIFICATION,
        permission="services.send_to_rt_application",
    )
    def send_to_rt(self) -> None:
        self.sent_to_rt_at = timezone.now()

    @transition(
        state, source=S.IN_VERIFICATION, target=S.VERIFIED, permission="services.verify_application"
    )
    def approve(self, *, cover_letter_by=None) -> None:
        self.verified_at = timezone.now()
        if cover_letter_by is not None:
            self.rt_cover_letter_by = cover_letter_by
            self.rt_cover_letter_at = self.verified_at

    @transition(
        state, source=S.IN_VERIFICATION, target=S.REJECTED, permission="services.verify_application"
    )
    def reject(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        state,
        source=S.IN_VERIFICATION,
        target=S.INCOMPLETE,
        permission="services.verify_application",
    )
    def return_to_applicant(self) -> None:
        """The RT found a wrong document: the applicant fixes it, the clock stops."""

    @transition(
        state, source=S.REJECTED, target=S.ARCHIVED, permission="services.reopen_application"
    )
    def reopen(self) -> None:
        """A supervisor takes back an RT rejection (e.g. the resident lives in another RT)."""
        self.closed_at = None

    @transition(state, source=S.VERIFIED, target=S.ISSUED, permission="services.issue_application")
    def issue(self) -> None:
        self.issued_at = timezone.now()

    @transition(
        state, source=S.ISSUED, target=S.COMPLETED, permission="services.hand_over_application"
    )
    def hand_over(self) -> None:
        self.completed_at = self.closed_at = timezone.now()

    @transition(
        state,
        source=[s for s in OPEN_STATES if s != S.ISSUED],
        target=S.CANCELLED,
        permission="services.cancel_application",
    )
    def cancel(self) -> None:
        self.closed_at = timezone.now()


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Named by UUID only: nothing the applicant typed reaches the file system.
    ext = filename.rsplit(".", 1)[-1]
    return f"attachments/{instance.uploaded_at:%Y/%m}/{instance.uuid}.{ext}"


def thumbnail_path(instance: "Attachment", filename: str) -> str:
    return f"thumbnails/{instance.uploaded_at:%Y/%m}/{instance.uuid}.jpg"


class Verdict(models.TextChoices):
    PENDING = "pending", "Belum diperiksa"
    ACCEPTED = "accepted", "Diterima"
    REJECTED = "rejected", "Ditolak"


class Attachment(models.Model):
    """One file sent for one requirement (a requirement may have several, e.g. two pages)."""

    uuid = models.UUIDField("UUID", default=_default_uuid, unique=True, editable=False)
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name="permohonan",
    )
    requirement = models.ForeignKey(
        Requirement, verbose_name="persyaratan", on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField("berkas", upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(
        "gambar kecil", upload_to=thumbnail_path, max_length=200, blank=True
    )
    content_type = models.CharField("jenis berkas", max_length=40)
    size = models.PositiveIntegerField("ukuran (byte)")
    sha256 = models.CharField("SHA-256", max_length=64)
    original_name = models.CharField("nama berkas asli", max_length=100)
    verdict = models.CharField(
        "hasil pemeriksaan", max_length=10, choices=Verdict.choices, default=Verdict.PENDING
    )
    verdict_reason = models.CharField("alasan ditolak", max_length=240, blank=True)
    verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="diperiksa oleh",
    )
    verdict_at = models.DateTimeField("diperiksa", null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="diunggah oleh",
    )
    uploaded_at = models.DateTimeField("diunggah", default=timezone.now)

    class Meta:
        verbose_name = "berkas"
        verbose_name_plural = "berkas"
        ordering = ["requirement__order", "uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict__in=Verdict.values), name="attachment_verdict_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(verdict=Verdict.REJECTED) | ~models.Q(verdict_reason=""),
                name="attachment_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requirement} — {self.original_name}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ApplicationEvent(models.Model):
    """The audit trail: one row per state change or document step, written in its transaction."""

    application = models.ForeignKey(
        Application, verbose_name="permohonan", on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField("waktu", default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="oleh",
    )
    transition = models.CharField("langkah", max_length=40)
    source = models.CharField("dari status", max_length=20, blank=True)
    target = models.CharField("ke status", max_length=20, blank=True)
    note = models.TextField("catatan", blank=True, **limits.text_limit(limits.AUDIT_NOTE_MAX))

    class Meta:
        verbose_name = "riwayat"
        verbose_name_plural = "riwayat"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["application", "at"], name="event_by_application")]

    def __str__(self) -> str:
        # Shown as each row's title in the admin's history inline.
        return f"{self.label} — {timezone.localtime(self.at):%d-%m-%Y %H:%M}"

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.transition, self.transition)


EVENT_LABELS = {
    "receive": "Permohonan dicatat",
    "upload": "Berkas diunggah",
    "accept_document": "Berkas diterima",
    "reject_document": "Berkas ditolak",
    "mark_incomplete": "Ditandai belum lengkap",
    "resubmit": "Diajukan ulang",
    "archive": "Diarsipkan",
    "cancel": "Dibatalkan",
    "send_to_rt": "Dikirim ke Ketua RT untuk verifikasi",
    "approve": "Disetujui Ketua RT",
    "reject": "Ditolak Ketua RT",
    "return_to_applicant": "Dikembalikan Ketua RT",
    "neighbour_attestation": "Kesaksian tetangga dicatat",
    "issue": "Surat diterbitkan",
    "hand_over": "Surat diserahkan",
    "revoke_letter": "Surat dicabut",
    "reissue": "Surat diterbitkan ulang",
    "correct": "Data pemohon dikoreksi",
    "reroute": "Permintaan verifikasi dialihkan ke RT lain",
    "reopen": "Dibuka kembali",
    "issue_replacement": "Surat pengganti diterbitkan",
    "adjust_deadlines": "Batas waktu disesuaikan",
    "message_sent": "Pesan WhatsApp ke pemohon dikirim",
    "render_requeue": "Dokumen belum jadi, dibuat ulang",
    "render_gave_up": "Dokumen gagal dibuat, supervisor diberi tahu",
    "shorten_text": "Isian terlalu panjang dipotong (batas panjang isian)",
}


class AccessLog(models.Model):
    """Who viewed whose application or document (UU PDP); holds no NIK itself.

    ``user`` is empty for the resident downloading their letter through the status link
    (``resident_download_letter``): no account, the link is the key.
    """

    at = models.DateTimeField("waktu", default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="pengguna",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Kosong: pemohon sendiri, lewat tautan halaman status.",
    )
    # One of the two: a case (its page, documents, letter) or a complaint (its page, photo).
    application = models.ForeignKey(
        Application,
        verbose_name="permohonan",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    complaint = models.ForeignKey(
        "services.Complaint",
        verbose_name="pengaduan",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    attachment = models.ForeignKey(
        Attachment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="berkas",
    )
    action = models.CharField("tindakan", max_length=30)

    class Meta:
        verbose_name = "log akses"
        verbose_name_plural = "log akses"
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(application__isnull=False) | models.Q(complaint__isnull=False),
                name="accesslog_names_what_was_seen",
            )
        ]

    def __str__(self) -> str:
        seen = self.application_id or f"pengaduan {self.complaint_id}"
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {seen}"
