"""The office itself: the kelurahan, its RW and RT, and who works for which office."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction

from kelurahan import limits

DEFAULT_MAKLUMAT = (
    "Dengan ini kami menyatakan sanggup menyelenggarakan pelayanan sesuai standar pelayanan "
    "yang telah ditetapkan dan apabila tidak menepati janji ini, kami siap menerima sanksi "
    "sesuai peraturan perundang-undangan yang berlaku."
)


class Kecamatan(models.Model):
    """A kecamatan (district) of a city: the offices a camat oversees (issue 17)."""

    name = models.CharField("nama kecamatan", max_length=120)
    city = models.CharField("kota/kabupaten", max_length=120)

    class Meta:
        verbose_name = "kecamatan"
        verbose_name_plural = "kecamatan"
        ordering = ["city", "name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="kecamatan_unique_per_city")
        ]

    def __str__(self) -> str:
        return f"Kecamatan {self.name}, {self.city}"


class Office(models.Model):
    """A kelurahan office. One deployment serves many offices; all staff data hangs off one."""

    code = models.CharField(
        "kode",
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,8}$", "Kode kantor 2–8 huruf kapital, mis. KBR.")],
        help_text="Kode singkat untuk nomor surat dan kode permohonan, mis. KBR.",
    )
    name = models.CharField("nama kelurahan", max_length=120)
    kecamatan = models.CharField("kecamatan", max_length=120)
    city = models.CharField("kota/kabupaten", max_length=120)
    # Every office belongs to one Kecamatan (the camat's and the city's scope); ``kecamatan``
    # and ``city`` above are its names, copied on save (the letters print them).
    kecamatan_ref = models.ForeignKey(
        Kecamatan,
        verbose_name="kecamatan",
        on_delete=models.PROTECT,
        related_name="offices",
    )
    address = models.TextField("alamat kantor", **limits.text_limit(limits.ADDRESS_MAX))
    phone = models.CharField("telepon/WhatsApp kantor", max_length=30, blank=True)
    lurah_name = models.CharField("nama Lurah", max_length=120)
    lurah_nip = models.CharField(
        "NIP Lurah",
        max_length=18,
        blank=True,
        validators=[RegexValidator(r"^\d{18}$", "NIP terdiri dari 18 angka.")],
    )
    logo = models.ImageField("logo", upload_to="offices/logo/", blank=True)
    letterhead = models.TextField(
        "kop surat tambahan",
        **limits.text_limit(limits.LETTERHEAD_MAX),
        blank=True,
        help_text="Baris tambahan di bawah alamat pada kop surat (mis. situs web, kode pos).",
    )
    # Who signs the letters. Empty: the Lurah signs in person. Otherwise the official named
    # here signs "a.n. Lurah" (on behalf of) or "a.n. Lurah ... u.b." (by order of).
    signatory_form = models.CharField(
        "bentuk tanda tangan",
        max_length=4,
        blank=True,
        choices=[("", "Lurah sendiri"), ("an", "a.n. Lurah"), ("ub", "a.n. Lurah, u.b.")],
    )
    signatory_name = models.CharField("nama penanda tangan", max_length=120, blank=True)
    signatory_title = models.CharField(
        "jabatan penanda tangan", max_length=120, blank=True, help_text="mis. Sekretaris Kelurahan"
    )
    signatory_nip = models.CharField(
        "NIP penanda tangan",
        max_length=18,
        blank=True,
        validators=[RegexValidator(r"^\d{18}$", "NIP terdiri dari 18 angka.")],
    )
    maklumat = models.TextField(
        "maklumat pelayanan",
        **limits.text_limit(limits.MAKLUMAT_MAX),
        blank=True,
        default=DEFAULT_MAKLUMAT,
        help_text="Janji kantor kepada warga, dicetak pada halaman Standar Pelayanan; kosong: "
        "maklumat baku (sanggup melayani sesuai standar pelayanan).",
    )
    letter_counter_per_service = models.BooleanField(
        "nomor surat per layanan",
        default=False,
        help_text="Jika dicentang, tiap layanan punya urutan nomor sendiri; jika tidak, satu "
        "urutan untuk semua surat kantor ini. Urutan mulai dari 1 setiap tahun.",
    )
    complaints_public_list = models.BooleanField(
        "tampilkan daftar pengaduan publik",
        default=False,
        help_text="Jika dicentang, /pengaduan/daftar/<kode>/ menampilkan pengaduan yang dipilih "
        "Lurah/Sekretaris untuk ditampilkan: jenis, tanggal, status dan jawaban kantor saja.",
    )
    # UU PDP Pasal 53: a public service appoints a data protection officer; residents find
    # their name and contact on the privacy notice (/privasi/<office code>/).
    dpo_name = models.CharField(
        "pejabat pelindungan data pribadi",
        max_length=120,
        blank=True,
        help_text="Nama dan jabatan pejabat pelindungan data pribadi (UU PDP Pasal 53).",
    )
    dpo_contact = models.CharField(
        "kontak pejabat pelindungan data",
        max_length=120,
        blank=True,
        help_text="Email atau nomor WhatsApp untuk permintaan dan keluhan tentang data pribadi.",
    )

    class Meta:
        verbose_name = "kantor kelurahan"
        verbose_name_plural = "kantor kelurahan"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"Kelurahan {self.name} ({self.code})"

    def save(self, *args, **kwargs) -> None:
        """The Kecamatan is the source of the office's kecamatan and city names (letters print
        the names); an office created from the names alone (a script, an older caller) gets
        the Kecamatan of those names, made if new, so every office belongs to one."""
        if self.kecamatan_ref_id is None and self.kecamatan and self.city:
            self.kecamatan_ref, _ = Kecamatan.objects.get_or_create(
                name=self.kecamatan, city=self.city
            )
        if self.kecamatan_ref_id is not None:
            self.kecamatan = self.kecamatan_ref.name
            self.city = self.kecamatan_ref.city
        super().save(*args, **kwargs)

    @property
    def maklumat_text(self) -> str:
        return self.maklumat.strip() or DEFAULT_MAKLUMAT


class RW(models.Model):
    office = models.ForeignKey(
        Office, verbose_name="kantor", on_delete=models.PROTECT, related_name="rws"
    )
    number = models.PositiveSmallIntegerField("nomor RW")

    class Meta:
        verbose_name = "RW"
        verbose_name_plural = "RW"
        ordering = ["office", "number"]
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="rw_unique_number_per_office")
        ]

    def __str__(self) -> str:
        return f"RW {self.number:03d}"


class RT(models.Model):
    rw = models.ForeignKey(RW, verbose_name="RW", on_delete=models.PROTECT, related_name="rts")
    number = models.PositiveSmallIntegerField("nomor RT")
    # Kept in step with the chair's Membership by Membership.save(); edit it there.
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Ketua RT",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chaired_rts",
    )

    class Meta:
        verbose_name = "RT"
        verbose_name_plural = "RT"
        ordering = ["rw__office", "rw__number", "number"]
        constraints = [
            models.UniqueConstraint(fields=["rw", "number"], name="rt_unique_number_per_rw")
        ]

    def __str__(self) -> str:
        return f"RT {self.number:03d}/RW {self.rw.number:03d}"

    @property
    def office(self) -> Office:
        return self.rw.office


class Role(models.TextChoices):
    OFFICER = "officer", "Petugas"
    SUPERVISOR = "supervisor", "Supervisor (Lurah/Sekretaris)"
    RT_CHAIR = "rt_chair", "Ketua RT"


class Membership(models.Model):
    """A user's place in the portal: their office, role and (for RT chairs) their RT.

    The role is mirrored into the Django group of the same name, which carries the
    permissions; this row is the one place an admin sets both.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership",
        verbose_name="pengguna",
    )
    office = models.ForeignKey(
        Office, verbose_name="kantor", on_delete=models.PROTECT, related_name="members"
    )
    role = models.CharField("peran", max_length=20, choices=Role.choices)
    rt = models.ForeignKey(
        RT,
        verbose_name="RT (khusus Ketua RT)",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    phone = models.CharField("nomor WhatsApp", max_length=20, blank=True)

    class Meta:
        verbose_name = "keanggotaan kantor"
        verbose_name_plural = "keanggotaan kantor"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
            # One chair per RT: the RT's pages and decisions belong to one person.
            models.UniqueConstraint(
                fields=["rt"],
                condition=models.Q(role=Role.RT_CHAIR),
                name="membership_one_chair_per_rt",
                violation_error_message="RT ini sudah punya Ketua RT di portal.",
            ),
            # An RT chair always has an RT; officers and supervisors never do.
            models.CheckConstraint(
                condition=(
                    models.Q(role=Role.RT_CHAIR, rt__isnull=False)
                    | (~models.Q(role=Role.RT_CHAIR) & models.Q(rt__isnull=True))
                ),
                name="membership_rt_only_for_rt_chair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} {self.office.code}"

    @transaction.atomic
    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self._sync_groups()
        self._sync_rt_chair()

    def clean(self) -> None:
        if self.user_id and Oversight.objects.filter(user_id=self.user_id).exists():
            raise ValidationError(
                "Pengguna ini sudah menjadi pengawas (camat/kota); seorang pengguna punya "
                "keanggotaan kantor atau peran pengawasan, tidak keduanya."
            )
        if self.role == Role.RT_CHAIR and not self.rt_id:
            raise ValidationError({"rt": "Ketua RT harus dihubungkan dengan satu RT."})
        if self.role != Role.RT_CHAIR and self.rt_id:
            raise ValidationError({"rt": "Hanya Ketua RT yang dihubungkan dengan RT."})
        if self.rt_id and self.office_id and self.rt.rw.office_id != self.office_id:
            raise ValidationError({"rt": "RT ini bukan bagian dari kantor yang dipilih."})

    def _sync_groups(self) -> None:
        from django.contrib.auth.models import Group

        role_groups = Group.objects.filter(name__in=Role.values)
        self.user.groups.remove(*role_groups.exclude(name=self.role))
        self.user.groups.add(*role_groups.filter(name=self.role))

    def _sync_rt_chair(self) -> None:
        chaired = RT.objects.filter(chair=self.user)
        if self.role == Role.RT_CHAIR:
            chaired.exclude(pk=self.rt_id).update(chair=None)
            RT.objects.filter(pk=self.rt_id).update(chair=self.user)
        else:
            chaired.update(chair=None)


class OversightRole(models.TextChoices):
    KECAMATAN = "kecamatan_supervisor", "Camat (pengawas kecamatan)"
    CITY = "city_supervisor", "Pengawas kota"


class Oversight(models.Model):
    """A user who oversees offices read-only (issue 17): a camat sees the offices of one
    kecamatan, a city supervisor every office of one city.

    The other place a user can have in the portal besides ``Membership``: a user has one or
    the other, never both (``clean`` of each refuses). The role is mirrored into the Django
    group of the same name (view permissions only); scoping is by this row
    (``kelurahan.access.overseen_offices``), never by the group.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="oversight",
        verbose_name="pengguna",
    )
    role = models.CharField("peran pengawasan", max_length=24, choices=OversightRole.choices)
    kecamatan = models.ForeignKey(
        Kecamatan,
        verbose_name="kecamatan (khusus camat)",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="overseers",
    )
    city = models.CharField(
        "kota/kabupaten",
        max_length=120,
        blank=True,
        help_text="Kota yang diawasi pengawas kota; untuk camat terisi otomatis dari kecamatan.",
    )

    class Meta:
        verbose_name = "pengawas kecamatan/kota"
        verbose_name_plural = "pengawas kecamatan/kota"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=OversightRole.values), name="oversight_role_valid"
            ),
            # A camat has a kecamatan; a city supervisor has none (their scope is the city).
            models.CheckConstraint(
                condition=(
                    models.Q(role=OversightRole.KECAMATAN, kecamatan__isnull=False)
                    | models.Q(role=OversightRole.CITY, kecamatan__isnull=True)
                ),
                name="oversight_kecamatan_only_for_camat",
            ),
        ]

    def __str__(self) -> str:
        where = self.kecamatan.name if self.kecamatan_id else self.city
        return f"{self.user} — {self.get_role_display()} {where}"

    @transaction.atomic
    def save(self, *args, **kwargs) -> None:
        if self.role == OversightRole.KECAMATAN and self.kecamatan_id:
            self.city = self.kecamatan.city  # a camat's city is their kecamatan's
        self.city = self.city.strip()
        super().save(*args, **kwargs)
        self._sync_groups()

    def clean(self) -> None:
        if self.user_id and Membership.objects.filter(user_id=self.user_id).exists():
            raise ValidationError(
                "Pengguna ini sudah punya keanggotaan kantor; seorang pengguna punya "
                "keanggotaan kantor atau peran pengawasan, tidak keduanya."
            )
        if self.role == OversightRole.KECAMATAN and not self.kecamatan_id:
            raise ValidationError({"kecamatan": "Camat harus dihubungkan dengan satu kecamatan."})
        if self.role == OversightRole.CITY:
            if self.kecamatan_id:
                raise ValidationError(
                    {"kecamatan": "Pengawas kota tidak dihubungkan dengan satu kecamatan."}
                )
            if not self.city.strip():
                raise ValidationError({"city": "Isi kota/kabupaten yang diawasi."})

    def _sync_groups(self) -> None:
        from django.contrib.auth.models import Group

        role_groups = Group.objects.filter(name__in=[*OversightRole.values, *Role.values])
        self.user.groups.remove(*role_groups.exclude(name=self.role))
        self.user.groups.add(*role_groups.filter(name=self.role))


class OfficeClosedDay(models.Model):
    """A day this office is closed beyond the national calendar (local closure, extra leave).

    National holidays and cuti bersama come from ``holidays.Indonesia``; these add to them.
    """

    office = models.ForeignKey(
        Office, verbose_name="kantor", on_delete=models.CASCADE, related_name="closed_days"
    )
    date = models.DateField("tanggal")
    reason = models.CharField("keterangan", max_length=160)

    class Meta:
        verbose_name = "hari tutup kantor"
        verbose_name_plural = "hari tutup kantor"
        ordering = ["office", "date"]
        constraints = [
            models.UniqueConstraint(fields=["office", "date"], name="closedday_unique_per_office")
        ]

    def __str__(self) -> str:
        return f"{self.date:%d-%m-%Y} {self.reason}"


class OfficeCounter(models.Model):
    """A gap-free sequence per office and key (e.g. reference codes per month, letters per year).

    Incremented by a conditional UPDATE inside the caller's transaction: the row lock
    (PostgreSQL) or the IMMEDIATE write lock (SQLite) serialises concurrent callers, and a
    rollback gives the number back, so numbers never repeat and never skip.
    """

    office = models.ForeignKey(
        Office, verbose_name="kantor", on_delete=models.CASCADE, related_name="counters"
    )
    key = models.CharField("kunci", max_length=60)
    value = models.PositiveIntegerField("nilai terakhir", default=0)

    class Meta:
        verbose_name = "penghitung nomor"
        verbose_name_plural = "penghitung nomor"
        constraints = [
            models.UniqueConstraint(fields=["office", "key"], name="officecounter_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.office.code} {self.key} = {self.value}"
