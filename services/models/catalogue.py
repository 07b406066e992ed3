"""The service catalogue: services, their variants (jenis permohonan), data fields and
requirements, configured by admins."""

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from kelurahan import limits
from services.letters.patterns import (
    BUILTIN_PLACEHOLDERS,
    DEFAULT_NUMBER_PATTERN,
    OPENING,
    PLACEHOLDER,
    format_number,
)

DEFAULT_FEE = "Rp0 / tidak dipungut biaya"


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
        "keterangan",
        blank=True,
        **limits.text_limit(limits.DESCRIPTION_MAX),
        help_text="Untuk apa layanan ini; dibacakan kepada pemohon.",
    )
    output = models.CharField(
        "hasil layanan",
        max_length=200,
        blank=True,
        help_text="Dokumen yang diterima pemohon, mis. surat pengantar ke Dukcapil.",
    )
    fee = models.CharField(
        "biaya/tarif",
        max_length=200,
        blank=True,
        default=DEFAULT_FEE,
        help_text=f"Dicetak pada Standar Pelayanan layanan ini; kosong: “{DEFAULT_FEE}”.",
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
    electronic_delivery = models.BooleanField(
        "boleh diunduh sendiri oleh pemohon",
        default=False,
        help_text=(
            "Jika dicentang, pemohon boleh memilih hasil layanan “Diunduh sendiri lewat tautan "
            "status”: setelah surat terbit, PDF surat dapat diunduh dari halaman status "
            "permohonan, dan unduhan pertama menyelesaikan permohonan. Jangan centang bila "
            "hasilnya harus diterima dalam bentuk fisik (mis. KTP)."
        ),
    )
    order = models.PositiveSmallIntegerField("urutan", default=0)
    # The output letter.
    classification = models.CharField(
        "kode klasifikasi surat", max_length=20, default="470", help_text="mis. 470 (kependudukan)"
    )
    number_pattern = models.CharField(
        "pola nomor surat",
        max_length=120,
        default=DEFAULT_NUMBER_PATTERN,
        help_text=(
            "Token: {classification}, {seq:03} (nomor urut, 3 digit), {office} (kode kantor), "
            "{service} (kode layanan), {month_roman} (bulan Romawi), {year}."
        ),
    )
    letter_title = models.CharField(
        "judul surat", max_length=160, default="SURAT PENGANTAR", help_text="Dicetak kapital."
    )
    letter_body = models.TextField(
        "isi surat",
        blank=True,
        **limits.text_limit(limits.LETTER_BODY_MAX),
        help_text=(
            "Kalimat sesudah tabel data pemohon (kalimat pembuka “Yang bertanda tangan di "
            "bawah ini …” sudah dicetak templat surat). Penanda yang diisi otomatis (teks "
            "pemohon selalu dicetak apa adanya, tidak pernah sebagai HTML): {nama}, {nik}, "
            "{kk}, {alamat}, {rt}, {rw}, {keperluan}, {layanan}, {jenis_permohonan}, "
            "{kelurahan}, {kecamatan}, {kota}, dan kode data tambahan layanan ini, "
            "mis. {nama_usaha}."
        ),
    )

    # Changes whenever the service, its requirements, variants or data fields change (save()
    # below; the receivers in services.catalogue for the related rows): the per-process
    # catalogue cache is keyed by it, and it comes free with every case read (issue 12).
    # A fresh random value, never a counter: a rolled-back or stale write cannot bring back
    # a value some process cached other rows under.
    catalogue_version = models.UUIDField("versi katalog", default=uuid.uuid4, editable=False)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = "layanan"
        verbose_name_plural = "layanan"
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def save(self, *args, **kwargs):
        self.catalogue_version = uuid.uuid4()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "catalogue_version" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "catalogue_version"]
        super().save(*args, **kwargs)

    @property
    def fee_text(self) -> str:
        return self.fee.strip() or DEFAULT_FEE

    def clean(self) -> None:
        try:
            sample = format_number(self.number_pattern, self, "KBR", 12, timezone.now())
        except (KeyError, ValueError, IndexError) as exc:
            raise ValidationError({"number_pattern": f"Pola nomor tidak dikenal: {exc}"}) from exc
        if sample == format_number(self.number_pattern, self, "KBR", 13, timezone.now()):
            raise ValidationError({"number_pattern": "Pola nomor harus memuat {seq}."})
        self._clean_letter_body()

    def placeholder_codes(self) -> list[str]:
        """The placeholders this service's letter body may use: built-ins, then its data fields.

        The admin sets ``pending_field_codes`` to the data fields being saved with the service
        in the same form, so a new field and the body that uses it can be saved together.
        """
        codes = getattr(self, "pending_field_codes", None)
        if codes is None:
            codes = list(self.data_fields.values_list("code", flat=True)) if self.pk else []
        return [*BUILTIN_PLACEHOLDERS, *codes]

    def _clean_letter_body(self) -> None:
        if OPENING.lower() in self.letter_body.lower():
            raise ValidationError(
                {
                    "letter_body": f"Kalimat “{OPENING} …” sudah dicetak oleh templat surat di "
                    "atas data pemohon. Mulai isi surat dengan kalimat sesudah data pemohon, "
                    "mis. “Orang tersebut di atas benar penduduk …”."
                }
            )
        valid = self.placeholder_codes()
        unknown = sorted({m for m in PLACEHOLDER.findall(self.letter_body) if m not in valid})
        if unknown:
            raise ValidationError(
                {
                    "letter_body": "Penanda tidak dikenal: "
                    + ", ".join(f"{{{c}}}" for c in unknown)
                    + ". Penanda yang dapat dipakai: "
                    + ", ".join(f"{{{c}}}" for c in valid)
                    + ". Penanda lain dapat ditambahkan sebagai data tambahan layanan ini."
                }
            )


class ServiceVariant(models.Model):
    """A kind of application within a service (jenis permohonan), e.g. KK: pindah datang.

    Chosen at intake; it decides which requirements the case needs (see Requirement.variants).
    """

    service = models.ForeignKey(
        Service, verbose_name="layanan", on_delete=models.CASCADE, related_name="variants"
    )
    code = models.SlugField("kode", max_length=40)
    name = models.CharField("jenis permohonan", max_length=120)
    description = models.CharField(
        "keterangan",
        max_length=240,
        blank=True,
        help_text="Kapan jenis ini dipilih, mis. 'pendatang dari kelurahan/desa lain'.",
    )
    order = models.PositiveSmallIntegerField("urutan", default=0)
    active = models.BooleanField("aktif", default=True)

    class Meta:
        verbose_name = "jenis permohonan"
        verbose_name_plural = "jenis permohonan"
        ordering = ["service", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "code"], name="variant_unique_code_per_service"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FieldKind(models.TextChoices):
    TEXT = "text", "Teks singkat"
    LONG_TEXT = "long_text", "Teks panjang"
    DATE = "date", "Tanggal"
    NUMBER = "number", "Angka"
    CHOICE = "choice", "Pilihan"


class ServiceField(models.Model):
    """One more piece of data a service asks at intake (SITU: nama usaha), stored on the case
    in ``Application.extra`` under ``code``, and printed in letters as ``{code}``."""

    service = models.ForeignKey(
        Service, verbose_name="layanan", on_delete=models.CASCADE, related_name="data_fields"
    )
    code = models.CharField(
        "kode (penanda surat)",
        max_length=40,
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9_]*$",
                "Kode: huruf kecil, angka dan garis bawah, diawali huruf (mis. nama_usaha).",
            )
        ],
        help_text="Dipakai di isi surat sebagai {kode}, mis. {nama_usaha}.",
    )
    label = models.CharField("pertanyaan", max_length=120)
    kind = models.CharField(
        "jenis isian", max_length=10, choices=FieldKind.choices, default=FieldKind.TEXT
    )
    required = models.BooleanField("wajib", default=True)
    max_length = models.PositiveSmallIntegerField(
        "panjang maksimal",
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Untuk teks: jumlah huruf paling banyak.",
    )
    choices = models.TextField(
        "pilihan",
        blank=True,
        **limits.text_limit(limits.CHOICES_MAX),
        help_text="Untuk jenis Pilihan: satu pilihan per baris.",
    )
    help_text = models.CharField("petunjuk", max_length=240, blank=True)
    on_letter = models.BooleanField(
        "cetak di tabel data surat",
        default=True,
        help_text="Kosongkan bila isian hanya dipakai sebagai penanda di isi surat.",
    )
    order = models.PositiveSmallIntegerField("urutan", default=0)

    class Meta:
        verbose_name = "data tambahan"
        verbose_name_plural = "data tambahan"
        ordering = ["service", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "code"], name="field_unique_code_per_service"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=FieldKind.values), name="field_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self) -> None:
        if self.code in BUILTIN_PLACEHOLDERS:
            raise ValidationError(
                {
                    "code": f"Kode {{{self.code}}} sudah dipakai penanda bawaan surat; "
                    "pilih kode lain."
                }
            )
        if self.kind == FieldKind.CHOICE and len(self.choice_list()) < 2:
            raise ValidationError({"choices": "Tulis paling sedikit dua pilihan, satu per baris."})


class RequirementKind(models.TextChoices):
    RT_COVER_LETTER = "rt_cover_letter", "Surat pengantar RT"
    DOCUMENT = "document", "Dokumen (fotokopi/scan)"
    PHOTO = "photo", "Pas foto"


class Requirement(models.Model):
    """One document a service needs, in the order an officer asks for them."""

    service = models.ForeignKey(
        Service, verbose_name="layanan", on_delete=models.CASCADE, related_name="requirements"
    )
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
    variants = models.ManyToManyField(
        ServiceVariant,
        verbose_name="hanya untuk jenis permohonan",
        blank=True,
        related_name="requirements",
        help_text="Kosongkan bila persyaratan ini berlaku untuk semua jenis permohonan.",
    )

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
