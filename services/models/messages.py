"""The resident's outbox: messages the workflow writes at each step that matters to them.

``ResidentMessage`` is one message on one channel (WhatsApp click-to-chat, email, a gateway),
written by the workflow in the step's own transaction, so a step that fails leaves no message;
``sent_at``/``sent_by`` record when it went out (the officer's click, later a job).
``MessageTemplate`` holds the text per step, editable in the admin; the text may use only the
placeholders of ``PLACEHOLDERS`` (none of them reaches the NIK, the KK number, the address or
any secret).
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kelurahan.models import Office
from services.models.cases import Application


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
        "isi pesan", validators=[validate_placeholders], help_text=placeholder_help()
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

    ``complaint`` (DESIGN.md) is not here yet: there is no Complaint model. ``office`` is
    stored so the office's outbox is scoped without going through the application (a message
    answering a complaint will have none).
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
    step = models.CharField("langkah", max_length=30)
    channel = models.CharField("saluran", max_length=20, choices=MessageChannel.choices)
    recipient = models.CharField("penerima", max_length=254)
    text = models.TextField("isi pesan")
    created_at = models.DateTimeField("dibuat", default=timezone.now)
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
        ]
        indexes = [
            # The office's "Pesan belum terkirim" list: pending rows only, oldest first.
            models.Index(
                fields=["office", "created_at"],
                condition=Q(sent_at__isnull=True),
                name="resident_message_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} → {self.channel}"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None

    @property
    def step_label(self) -> str:
        try:
            return MessageStep(self.step).label
        except ValueError:
            return self.step
