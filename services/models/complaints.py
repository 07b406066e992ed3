"""Complaints (pengaduan): a resident's report, its audit trail, deadlines and breaches.

SP4N-LAPOR! (Perpres 76/2013) knows three kinds of report: pengaduan, aspirasi and permintaan
informasi. Each is verified within a few working days and then answered within a few more
(``ComplaintDeadline``, per kind, editable in the admin: 3 and 5 by default).

Transitions (django-fsm-2; run them only through ``services.complaints``):
  received --verify--> verified --answer--> answered --close--> closed
  received | verified --dismiss--> dismissed   ("bukan pengaduan", with a reason)
Every step writes one ``ComplaintEvent`` in its transaction; the sweep records a passed
deadline once as a ``ComplaintBreach``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from kelurahan import limits
from kelurahan.models import Office
from services.models.cases import QUEUE_LAST, Application, _status_token


class ComplaintKind(models.TextChoices):
    PENGADUAN = "pengaduan", "Pengaduan"
    ASPIRASI = "aspirasi", "Aspirasi"
    INFORMASI = "informasi", "Permintaan informasi"


class ComplaintState(models.TextChoices):
    RECEIVED = "received", "Diterima"
    VERIFIED = "verified", "Diverifikasi"
    ANSWERED = "answered", "Dijawab"
    CLOSED = "closed", "Selesai"
    DISMISSED = "dismissed", "Bukan pengaduan"


C = ComplaintState
# Still waiting for the office: verifying or answering.
COMPLAINT_OPEN_STATES = [C.RECEIVED, C.VERIFIED]


def complaint_photo_path(instance: Complaint, filename: str) -> str:
    # Named by the complaint's token and a fixed name: nothing the resident typed is used.
    return f"complaints/{instance.received_at:%Y/%m}/{instance.token}.jpg"


class ComplaintDeadline(models.Model):
    """How many working days a kind of report may take (admin: *Batas waktu pengaduan*)."""

    kind = models.CharField(
        "jenis laporan", max_length=20, choices=ComplaintKind.choices, unique=True
    )
    verify_days = models.PositiveSmallIntegerField(
        "hari kerja untuk verifikasi",
        default=3,
        help_text="Dihitung dari hari laporan diterima (hari itu hari ke-1).",
    )
    answer_days = models.PositiveSmallIntegerField(
        "hari kerja untuk menjawab",
        default=5,
        help_text="Dihitung dari hari kerja sesudah laporan diverifikasi.",
    )

    class Meta:
        verbose_name = "batas waktu pengaduan"
        verbose_name_plural = "batas waktu pengaduan"
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verify_days__gte=1, answer_days__gte=1),
                name="complaint_deadline_at_least_one_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.verify_days} + {self.answer_days} hari kerja"


class Complaint(ConcurrentTransitionMixin, models.Model):
    """One report from a resident (possibly anonymous), about the office or one application."""

    code = models.CharField("kode pengaduan", max_length=24, unique=True, editable=False)
    token = models.CharField(
        "token halaman status", max_length=40, unique=True, default=_status_token, editable=False
    )
    office = models.ForeignKey(
        Office, verbose_name="kantor", on_delete=models.PROTECT, related_name="complaints"
    )
    kind = models.CharField("jenis laporan", max_length=20, choices=ComplaintKind.choices)
    text = models.TextField("isi laporan", **limits.text_limit(limits.COMPLAINT_TEXT_MAX))
    application = models.ForeignKey(
        Application,
        verbose_name="permohonan terkait",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
    )
    contact_name = models.CharField("nama pelapor", max_length=120, blank=True)
    contact_phone = models.CharField("nomor WhatsApp/telepon pelapor", max_length=20, blank=True)
    contact_email = models.EmailField("email pelapor", blank=True)
    photo = models.FileField("foto", upload_to=complaint_photo_path, blank=True, max_length=200)
    photo_sha256 = models.CharField("SHA-256 foto", max_length=64, blank=True)

    state = FSMField(
        "status", max_length=20, choices=ComplaintState.choices, default=C.RECEIVED, protected=True
    )
    is_open = models.GeneratedField(
        expression=models.Case(
            models.When(state__in=COMPLAINT_OPEN_STATES, then=models.Value(True)),
            default=models.Value(False),
            output_field=models.BooleanField(),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name="masih ditangani",
    )
    received_at = models.DateTimeField("diterima", default=timezone.now)
    verify_due = models.DateTimeField("batas verifikasi")
    answer_due = models.DateTimeField("batas jawaban", null=True, blank=True)
    # The deadline the office works to now, for the queue (oldest due first).
    queue_due = models.GeneratedField(
        expression=models.Case(
            models.When(state=C.RECEIVED, then=models.F("verify_due")),
            models.When(state=C.VERIFIED, then=models.F("answer_due")),
            default=models.Value(QUEUE_LAST),
            output_field=models.DateTimeField(),
        ),
        output_field=models.DateTimeField(),
        db_persist=True,
        verbose_name="batas tahap berikutnya",
    )
    verified_at = models.DateTimeField("diverifikasi", null=True, blank=True)
    answered_at = models.DateTimeField("dijawab", null=True, blank=True)
    closed_at = models.DateTimeField("ditutup", null=True, blank=True)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="petugas yang menangani",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answer = models.TextField(
        "jawaban kantor", blank=True, **limits.text_limit(limits.COMPLAINT_ANSWER_MAX)
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="dijawab oleh",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    dismiss_reason = models.CharField("alasan bukan pengaduan", max_length=500, blank=True)
    lapor_ref = models.CharField(
        "nomor tiket SP4N-LAPOR!",
        max_length=40,
        blank=True,
        help_text="Bila laporan datang dari atau diteruskan ke LAPOR!.",
    )
    # Links or a text sent before: kept from the public list until an officer has looked.
    held = models.BooleanField("ditahan untuk diperiksa", default=False)
    held_reason = models.CharField("alasan ditahan", max_length=120, blank=True)
    # Nothing is public unless a supervisor chose it (and the office shows a public list).
    published = models.BooleanField("ditampilkan di daftar publik", default=False)
    updated_at = models.DateTimeField("diubah", auto_now=True)

    class Meta:
        verbose_name = "pengaduan"
        verbose_name_plural = "pengaduan"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ComplaintState.values), name="complaint_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ComplaintKind.values), name="complaint_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(state=C.DISMISSED) | ~models.Q(dismiss_reason=""),
                name="complaint_dismissal_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=[C.ANSWERED, C.CLOSED]) | ~models.Q(answer=""),
                name="complaint_answered_has_answer",
            ),
        ]
        indexes = [
            # The staff queue: the office's open complaints, the earliest deadline first.
            models.Index(
                fields=["office", "queue_due", "id"],
                condition=models.Q(is_open=True),
                name="complaint_open_queue",
            ),
            # The queue's other tabs (answered, closed) and the public list.
            models.Index(fields=["office", "state", "received_at"], name="complaint_by_state"),
            # The SLA sweep: open complaints whose deadline fell due since its last run.
            models.Index(
                fields=["verify_due"],
                condition=models.Q(is_open=True),
                name="complaint_open_verify",
            ),
            models.Index(
                fields=["answer_due"],
                condition=models.Q(is_open=True),
                name="complaint_open_answer",
            ),
            # "The same text again" (spam check): recent complaints of the office.
            models.Index(fields=["office", "received_at"], name="complaint_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("services:complaint_detail", args=[self.code])

    @property
    def is_anonymous(self) -> bool:
        return not (self.contact_phone or self.contact_email)

    # --- transitions: the single definition of which step is allowed from where ---------
    @transition(state, source=C.RECEIVED, target=C.VERIFIED)
    def verify(self) -> None:
        self.verified_at = timezone.now()
        self.held = False

    @transition(state, source=[C.RECEIVED, C.VERIFIED], target=C.DISMISSED)
    def dismiss(self) -> None:
        self.closed_at = timezone.now()

    @transition(state, source=C.VERIFIED, target=C.ANSWERED)
    def respond(self) -> None:
        # Named ``respond``: ``answer`` is the field holding the office's words.
        self.answered_at = timezone.now()

    @transition(state, source=C.ANSWERED, target=C.CLOSED)
    def close(self) -> None:
        self.closed_at = timezone.now()


class ComplaintEvent(models.Model):
    """The complaint's audit trail: one row per step, written in the step's transaction."""

    complaint = models.ForeignKey(
        Complaint, verbose_name="pengaduan", on_delete=models.CASCADE, related_name="events"
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
        verbose_name = "riwayat pengaduan"
        verbose_name_plural = "riwayat pengaduan"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"], name="complaint_event_by_complaint")]

    def __str__(self) -> str:
        return f"{self.label} — {timezone.localtime(self.at):%d-%m-%Y %H:%M}"

    @property
    def label(self) -> str:
        return COMPLAINT_EVENT_LABELS.get(self.transition, self.transition)


COMPLAINT_EVENT_LABELS = {
    "file": "Laporan diterima",
    "assign": "Petugas ditugaskan",
    "verify": "Diverifikasi",
    "dismiss": "Dinyatakan bukan pengaduan",
    "answer": "Dijawab",
    "close": "Ditutup",
    "lapor_ref": "Nomor LAPOR! dicatat",
    "publish": "Ditampilkan di daftar publik",
    "unpublish": "Disembunyikan dari daftar publik",
    "message_sent": "Pesan WhatsApp ke pelapor dikirim",
}


class ComplaintMilestone(models.TextChoices):
    VERIFY = "verify", "Verifikasi"
    ANSWER = "answer", "Jawaban"


class ComplaintBreach(models.Model):
    """A complaint deadline that passed before its step was taken; recorded once."""

    complaint = models.ForeignKey(
        Complaint, verbose_name="pengaduan", on_delete=models.CASCADE, related_name="breaches"
    )
    milestone = models.CharField("tahap", max_length=10, choices=ComplaintMilestone.choices)
    due = models.DateTimeField("batas waktu")
    detected = models.DateTimeField("terdeteksi", default=timezone.now)

    class Meta:
        verbose_name = "keterlambatan pengaduan"
        verbose_name_plural = "keterlambatan pengaduan"
        ordering = ["-detected"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "milestone"], name="complaint_breach_once_per_milestone"
            ),
            models.CheckConstraint(
                condition=models.Q(milestone__in=ComplaintMilestone.values),
                name="complaint_breach_milestone_valid",
            ),
        ]
        indexes = [models.Index(fields=["detected"], name="complaint_breach_by_detected")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.milestone} {self.due:%Y-%m-%d %H:%M}"
