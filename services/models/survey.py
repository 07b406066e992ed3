"""The satisfaction survey (SKM, PermenPANRB 14/2017): one row per questionnaire.

``SurveyResponse`` holds the nine answers U1–U9 (1–4, the regulation's order), how it came in
(online by the resident, or a paper questionnaire typed in by an officer), the respondent's
profile as the regulation reports it (sex, age band, education, occupation) and a suggestion.
``application`` links an online response to its case only so that a case answers once (unique
when set); staff pages never show it, nor any name or code beside a response.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kelurahan import limits
from kelurahan.models import Office
from services.models.cases import Application
from services.models.catalogue import Service


class SurveyChannel(models.TextChoices):
    ONLINE = "online", "Daring (tautan status permohonan)"
    PAPER = "kertas", "Kuesioner kertas"


SEX = [("L", "Laki-laki"), ("P", "Perempuan")]
AGE_BANDS = [
    ("lt20", "Di bawah 20 tahun"),
    ("20_29", "20–29 tahun"),
    ("30_39", "30–39 tahun"),
    ("40_49", "40–49 tahun"),
    ("50_59", "50–59 tahun"),
    ("60plus", "60 tahun ke atas"),
]
EDUCATION = [
    ("sd", "SD ke bawah"),
    ("smp", "SMP"),
    ("sma", "SMA/SMK"),
    ("diploma", "D1/D2/D3/D4"),
    ("s1", "S1"),
    ("s2", "S2 ke atas"),
]
OCCUPATION = [
    ("pns", "PNS/TNI/Polri"),
    ("swasta", "Pegawai swasta"),
    ("wiraswasta", "Wiraswasta/usahawan"),
    ("pelajar", "Pelajar/mahasiswa"),
    ("lainnya", "Lainnya"),
]
ANSWER = [MinValueValidator(1), MaxValueValidator(4)]
ELEMENT_NAMES = (
    "U1 persyaratan",
    "U2 sistem, mekanisme dan prosedur",
    "U3 waktu penyelesaian",
    "U4 biaya/tarif",
    "U5 produk spesifikasi jenis pelayanan",
    "U6 kompetensi pelaksana",
    "U7 perilaku pelaksana",
    "U8 penanganan pengaduan, saran dan masukan",
    "U9 sarana dan prasarana",
)


def _answer(n: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(ELEMENT_NAMES[n - 1], validators=ANSWER)


class SurveyResponse(models.Model):
    """One respondent's questionnaire (online or paper)."""

    office = models.ForeignKey(
        Office, verbose_name="kantor", on_delete=models.PROTECT, related_name="survey_responses"
    )
    service = models.ForeignKey(
        Service, verbose_name="layanan", on_delete=models.PROTECT, related_name="survey_responses"
    )
    # Unique when set (a OneToOne allows many NULLs on both databases): one response per case.
    application = models.OneToOneField(
        Application,
        verbose_name="permohonan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_response",
    )
    u1 = _answer(1)
    u2 = _answer(2)
    u3 = _answer(3)
    u4 = _answer(4)
    u5 = _answer(5)
    u6 = _answer(6)
    u7 = _answer(7)
    u8 = _answer(8)
    u9 = _answer(9)
    channel = models.CharField("cara pengisian", max_length=10, choices=SurveyChannel.choices)
    sex = models.CharField("jenis kelamin", max_length=1, choices=SEX, blank=True)
    age_band = models.CharField("umur", max_length=8, choices=AGE_BANDS, blank=True)
    education = models.CharField(
        "pendidikan terakhir", max_length=10, choices=EDUCATION, blank=True
    )
    occupation = models.CharField("pekerjaan utama", max_length=12, choices=OCCUPATION, blank=True)
    suggestion = models.TextField(
        "saran dan masukan", blank=True, **limits.text_limit(limits.SUGGESTION_MAX)
    )
    created_at = models.DateTimeField("waktu pengisian", default=timezone.now)

    class Meta:
        verbose_name = "jawaban survei kepuasan"
        verbose_name_plural = "jawaban survei kepuasan"
        indexes = [
            # The report: one office's responses in a period (optionally one service).
            models.Index(fields=["office", "created_at"], name="survey_office_period"),
        ]
        constraints = [
            *(
                models.CheckConstraint(
                    condition=Q(**{f"u{i}__gte": 1, f"u{i}__lte": 4}), name=f"survey_u{i}_1_to_4"
                )
                for i in range(1, 10)
            ),
            models.CheckConstraint(
                condition=Q(channel__in=SurveyChannel.values), name="survey_channel_valid"
            ),
            # Paper questionnaires are anonymous: only an online response names its case.
            models.CheckConstraint(
                condition=Q(channel=SurveyChannel.ONLINE) | Q(application__isnull=True),
                name="survey_paper_has_no_case",
            ),
        ]

    def __str__(self) -> str:
        return f"Jawaban survei {self.created_at:%Y-%m-%d} ({self.get_channel_display()})"

    @property
    def answers(self) -> tuple[int, ...]:
        return tuple(getattr(self, f"u{i}") for i in range(1, 10))
