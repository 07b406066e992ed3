"""The service catalogue (and, as they come, the applications made against it)."""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models


class ServiceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Service(models.Model):
    """A public service the kelurahan delivers (KK, KTP, NIKAH, SITU), configured by admins."""

    code = models.CharField(
        "kode",
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,10}$", "Kode layanan 2–10 huruf kapital.")],
    )
    name = models.CharField("nama layanan", max_length=120)
    description = models.TextField(
        "keterangan", blank=True, help_text="Untuk apa layanan ini; dibacakan kepada pemohon."
    )
    output = models.CharField(
        "hasil layanan",
        max_length=200,
        blank=True,
        help_text="Dokumen yang diterima pemohon, mis. surat pengantar ke Dukcapil.",
    )
    active = models.BooleanField("aktif", default=True)
    sla_days = models.PositiveSmallIntegerField(
        "janji layanan (hari kerja)",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    rt_approval_replaces_cover_letter = models.BooleanField(
        "persetujuan Ketua RT di portal menggantikan surat pengantar RT",
        default=True,
        help_text=(
            "Jika dicentang, permohonan boleh diarsipkan tanpa unggahan surat pengantar RT; "
            "persetujuan Ketua RT di portal menjadi pengantar RT digital."
        ),
    )
    order = models.PositiveSmallIntegerField("urutan", default=0)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = "layanan"
        verbose_name_plural = "layanan"
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class RequirementKind(models.TextChoices):
    RT_COVER_LETTER = "rt_cover_letter", "Surat pengantar RT"
    DOCUMENT = "document", "Dokumen (fotokopi/scan)"
    PHOTO = "photo", "Pas foto"


class Requirement(models.Model):
    """One document a service needs, in the order an officer asks for them."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="requirements")
    code = models.SlugField("kode", max_length=40)
    label = models.CharField("nama persyaratan", max_length=160)
    kind = models.CharField("jenis", max_length=20, choices=RequirementKind.choices)
    required = models.BooleanField("wajib", default=True)
    help_text = models.CharField(
        "petunjuk untuk pemohon",
        max_length=240,
        blank=True,
        help_text="Apa yang harus dikirim, mis. 'foto halaman depan, tidak buram'.",
    )
    order = models.PositiveSmallIntegerField("urutan", default=0)

    class Meta:
        verbose_name = "persyaratan"
        verbose_name_plural = "persyaratan"
        ordering = ["service", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "code"], name="requirement_unique_code_per_service"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=RequirementKind.values), name="requirement_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label
