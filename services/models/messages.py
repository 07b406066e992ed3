"""The resident's outbox: messages the workflow writes at each step that matters to them.

``ResidentMessage`` is one message on one channel (WhatsApp click-to-chat, email, a gateway),
written by the workflow in the step's own transaction, so a step that fails leaves no message;
``state`` says where it is (pending, sent, failed after its attempts, dropped when the contact
it was for was corrected away); ``sent_at``/``sent_by`` record when it went out (the officer's
click, or the sending job with the provider's reference). Gateway and email rows are sent by a
job (``services.notifications.sending``): ``next_attempt_at`` is when it is due, ``attempts``
how many times it was claimed. ``MessageTemplate`` holds the text per step, editable in the
admin; the text may use only the placeholders of ``PLACEHOLDERS`` (none of them reaches the
NIK, the KK number, the address or any secret).
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kelurahan import limits
from kelurahan.models import Office
from services.models.cases import Application
from services.models.complaints import Complaint


class MessageChannel(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp (klik untuk kirim)"
    EMAIL = "email", "Email"
    GATEWAY = "gateway", "Gateway WhatsApp/SMS"


class MessageStep(models.TextChoices):
    """The steps a resident is told about (the ApplicationEvent transition names)."""

    RECEIVE = "receive", "Permohonan diterima"
    MARK_INCOMPLETE = "mark_incomplete", "Berkas belum lengkap"
    RETURN_TO_APPLICANT = "return_to_applicant", "Dikembalikan Ketua RT"
    APPROVE = "approve", "Disetujui Ketua RT"
    ISSUE = "issue", "Surat sudah jadi"
    HAND_OVER = "hand_over", "Surat diserahkan"
    CANCEL = "cancel", "Permohonan dibatalkan"
    REJECT = "reject", "Ditolak Ketua RT"
    REOPEN = "reopen", "Dibuka kembali"
    # Complaints (services.complaints): the reporter is told of receipt, answer, dismissal.
    COMPLAINT_RECEIVE = "complaint_receive", "Pengaduan diterima"
    COMPLAINT_ANSWER = "complaint_answer", "Pengaduan dijawab"
    COMPLAINT_DISMISS = "complaint_dismiss", "Pengaduan tidak ditindaklanjuti"


class MessageState(models.TextChoices):
    """pending → sent; pending → failed (permanent error, or out of attempts) → sent (the
    officer's click-to-chat fallback); pending/failed → dropped (the phone or email was
    corrected to none)."""

    PENDING = "pending", "Belum terkirim"
    SENT = "sent", "Terkirim"
    FAILED = "failed", "Gagal terkirim"
    DROPPED = "dropped", "Tidak dikirim"


# Sent by the job, not by the officer's click.
AUTOMATIC_CHANNELS = (MessageChannel.GATEWAY, MessageChannel.EMAIL)


# What a template may use, and what each is filled with (the admin shows this list).
PLACEHOLDERS = {
    "kode": "kode permohonan, mis. KBR-2611-0042",
    "layanan": "nama layanan, mis. Surat Keterangan Domisili",
    "nama": "nama pemohon yang disamarkan, mis. S*** R******",
    "tautan": "tautan halaman status permohonan (SITE_URL/s/…/)",
    "kurang": "berkas yang kurang atau ditolak, dengan alasannya",
    "alasan": "alasan dari Ketua RT atau petugas (pengembalian, pembatalan)",
    "perkiraan_selesai": "tanggal perkiraan selesai, mis. Kamis, 26 November 2026",
    "pengambilan": "cara menerima surat: diambil di kantor (bawa KTP asli) atau dikirim kurir",
    "kantor": "nama kantor kelurahan",
    "jawaban": "jawaban kantor atas pengaduan (hanya pesan pengaduan)",
    "survei": "tautan survei kepuasan (SKM) permohonan ini, diisi sekali setelah surat diserahkan",
}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholder_help() -> str:
    return "Isian yang boleh dipakai: " + "; ".join(
        f"{{{name}}} = {meaning}" for name, meaning in PLACEHOLDERS.items()
    )


def validate_placeholders(text: str) -> None:
    """Refuse a text with a placeholder that is not in ``PLACEHOLDERS`` (or a stray brace)."""
    unknown = [name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
    if unknown:
        raise ValidationError(
            "Isian tidak dikenal: %(unknown)s. Isian yang boleh dipakai: %(known)s.",
            code="unknown_placeholder",
            params={
                "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
            },
        )
    if "{" in PLACEHOLDER.sub("", text) or "}" in PLACEHOLDER.sub("", text):
        raise ValidationError(
            "Ada kurung kurawal { } yang tidak berpasangan. Tulis isian seperti {kode}.",
            code="unbalanced_brace",
        )


class MessageTemplate(models.Model):
    """The text a resident receives at one step; one per step, for every office."""

    step = models.CharField("langkah", max_length=30, choices=MessageStep.choices, unique=True)
    text = models.TextField(
        "isi pesan",
        max_length=limits.MESSAGE_TEMPLATE_MAX,
        validators=[MaxLengthValidator(limits.MESSAGE_TEMPLATE_MAX), validate_placeholders],
        help_text=placeholder_help(),
    )
    active = models.BooleanField(
        "aktif", default=True, help_text="Bila tidak aktif, langkah ini tidak mengirim pesan."
    )
    updated_at = models.DateTimeField("diubah", auto_now=True)

    class Meta:
        verbose_name = "templat pesan pemohon"
        verbose_name_plural = "templat pesan pemohon"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_step_display()


class ResidentMessage(models.Model):
    """One message to a resident on one channel; pending until ``sent_at`` is set.

    ``office`` is stored so the office's outbox is scoped without going through the
    application (a message answering a complaint has none: ``complaint`` is set instead).
    """

    uuid = models.UUIDField("kode pesan", default=uuid.uuid4, unique=True, editable=False)
    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="+", verbose_name="kantor"
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="resident_messages",
        verbose_name="permohonan",
    )
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="resident_messages",
        verbose_name="pengaduan",
    )
    step = models.CharField("langkah", max_length=30)
    channel = models.CharField("saluran", max_length=20, choices=MessageChannel.choices)
    recipient = models.CharField("penerima", max_length=254)
    text = models.TextField("isi pesan", **limits.text_limit(limits.MESSAGE_MAX))
    created_at = models.DateTimeField("dibuat", default=timezone.now)
    state = models.CharField(
        "status", max_length=10, choices=MessageState.choices, default=MessageState.PENDING
    )
    attempts = models.PositiveSmallIntegerField("percobaan kirim", default=0)
    next_attempt_at = models.DateTimeField(
        "dicoba lagi pada",
        null=True,
        blank=True,
        help_text="Kosong bila tidak ada pengiriman otomatis yang menunggu.",
    )
    last_error = models.CharField("keterangan terakhir", max_length=300, blank=True)
    provider_ref = models.CharField("referensi penyedia", max_length=200, blank=True)
    sent_at = models.DateTimeField("dikirim", null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="dikirim oleh",
    )

    class Meta:
        verbose_name = "pesan ke pemohon"
        verbose_name_plural = "pesan ke pemohon"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=MessageChannel.values), name="resident_message_channel"
            ),
            models.CheckConstraint(
                condition=Q(state__in=MessageState.values), name="resident_message_state"
            ),
            # Sent exactly when it has a time it went out.
            models.CheckConstraint(
                condition=Q(state=MessageState.SENT, sent_at__isnull=False)
                | (~Q(state=MessageState.SENT) & Q(sent_at__isnull=True)),
                name="resident_message_sent_at",
            ),
        ]
        indexes = [
            # The office's "Pesan belum terkirim" list: pending rows only, oldest first.
            models.Index(
                fields=["office", "created_at"],
                condition=Q(sent_at__isnull=True),
                name="resident_message_pending",
            ),
            # The sending job's due rows: next_attempt_at <= now (set only while a job owes
            # the row a try, so the index holds only those).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(next_attempt_at__isnull=False),
                name="resident_message_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} → {self.channel}"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None

    @property
    def is_failed(self) -> bool:
        return self.state == MessageState.FAILED

    @property
    def click_to_chat(self) -> bool:
        """The officer's WhatsApp button applies: a click-to-chat row waiting, or a gateway
        row the gateway gave up on (the same 628… number)."""
        if self.state == MessageState.PENDING:
            return self.channel == MessageChannel.WHATSAPP
        return self.state == MessageState.FAILED and self.channel == MessageChannel.GATEWAY

    @property
    def step_label(self) -> str:
        try:
            return MessageStep(self.step).label
        except ValueError:
            return self.step
