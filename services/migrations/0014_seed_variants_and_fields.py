"""The seeded catalogue gains variants and data fields; letter bodies lose the opening sentence.

- KK has four variants (jenis permohonan); the "surat keterangan pindah" is asked only for
  "pindah datang" (a newborn or a changed household needs none).
- SITU asks the business name, type and address; NIKAH the name of the future spouse.
- The opening "Yang bertanda tangan di bawah ini ..." is printed by the letter template above the
  data table; the seeded bodies said it again below the table. A body an admin rewrote is left
  alone unless it starts with that seeded opening, which is then cut.
"""

import importlib

from django.db import migrations

VARIANTS = {
    "KK": [
        ("baru", "KK baru", "Membentuk keluarga baru, mis. setelah menikah."),
        (
            "tambah-anggota",
            "Tambah anggota keluarga",
            "Kelahiran, atau anggota keluarga yang masuk ke KK.",
        ),
        ("pisah-kk", "Pisah KK", "Anggota keluarga membuat KK sendiri, terpisah dari KK lama."),
        (
            "pindah-datang",
            "Pindah datang",
            "Pendatang dari kelurahan/desa lain; perlu surat keterangan pindah.",
        ),
    ]
}

# (service, requirement code) -> the only variants it applies to.
REQUIREMENT_VARIANTS = {("KK", "surat-pindah"): ["pindah-datang"]}

# code, label, kind, required, max_length, help_text, on_letter
FIELDS = {
    "SITU": [
        ("nama_usaha", "Nama usaha", "text", True, 120, "mis. Warung Makan Bu Sri", True),
        (
            "jenis_usaha",
            "Jenis usaha",
            "text",
            True,
            120,
            "mis. warung makan, bengkel motor, penjahit",
            True,
        ),
        (
            "alamat_usaha",
            "Alamat tempat usaha",
            "long_text",
            True,
            240,
            "Bila sama dengan alamat pemohon, tulis ulang alamatnya.",
            True,
        ),
    ],
    "NIKAH": [
        (
            "nama_calon_pasangan",
            "Nama calon pasangan",
            "text",
            True,
            120,
            "Sesuai KTP calon pasangan.",
            False,  # printed in the body: "... pernikahan dengan {nama_calon_pasangan}"
        ),
    ],
}

BODIES = {
    "KK": (
        "Orang tersebut di atas benar penduduk Kelurahan {kelurahan} yang bertempat tinggal di "
        "{alamat} RT {rt} RW {rw}.\n\n"
        "Yang bersangkutan mengajukan permohonan penerbitan Kartu Keluarga (KK) dan telah "
        "melengkapi persyaratan yang ditentukan. Surat pengantar ini diberikan untuk keperluan: "
        "{keperluan}."
    ),
    "KTP": (
        "Orang tersebut di atas benar penduduk Kelurahan {kelurahan} yang bertempat tinggal di "
        "{alamat} RT {rt} RW {rw}.\n\n"
        "Yang bersangkutan mengajukan permohonan Kartu Tanda Penduduk elektronik (KTP-el) dan "
        "telah melengkapi persyaratan yang ditentukan. Surat pengantar ini diberikan untuk "
        "keperluan: {keperluan}."
    ),
    "NIKAH": (
        "Orang tersebut di atas benar penduduk Kelurahan {kelurahan} yang bertempat tinggal di "
        "{alamat} RT {rt} RW {rw}, dan bermaksud melangsungkan pernikahan dengan "
        "{nama_calon_pasangan}.\n\n"
        "Surat pengantar ini diberikan sebagai kelengkapan pendaftaran nikah di Kantor Urusan "
        "Agama (KUA), untuk keperluan: {keperluan}."
    ),
    "SITU": (
        "Orang tersebut di atas benar penduduk yang bertempat tinggal di {alamat} RT {rt} "
        "RW {rw}, dan menjalankan usaha tersebut di atas di wilayah Kelurahan {kelurahan}.\n\n"
        "Berdasarkan pemeriksaan dan verifikasi Ketua RT setempat, tempat usaha tersebut tidak "
        "menimbulkan keberatan bagi lingkungan sekitar. Surat ini diberikan untuk keperluan: "
        "{keperluan}."
    ),
}

SEEDED_OPENING = (
    "Yang bertanda tangan di bawah ini, Lurah {kelurahan}, Kecamatan {kecamatan}, {kota}, "
    "menerangkan bahwa orang tersebut di atas "
)


def seed(apps, schema_editor):
    Service = apps.get_model("services", "Service")
    ServiceVariant = apps.get_model("services", "ServiceVariant")
    ServiceField = apps.get_model("services", "ServiceField")
    Requirement = apps.get_model("services", "Requirement")
    services = {s.code: s for s in Service.objects.filter(code__in=["KK", "KTP", "NIKAH", "SITU"])}
    for code, variants in VARIANTS.items():
        if code not in services:
            continue
        for order, (variant_code, name, description) in enumerate(variants, start=1):
            ServiceVariant.objects.get_or_create(
                service=services[code],
                code=variant_code,
                defaults={"name": name, "description": description, "order": order * 10},
            )
    for (code, requirement_code), variant_codes in REQUIREMENT_VARIANTS.items():
        requirement = Requirement.objects.filter(service__code=code, code=requirement_code).first()
        if requirement is not None and not requirement.variants.exists():
            requirement.variants.set(
                ServiceVariant.objects.filter(service__code=code, code__in=variant_codes)
            )
    for code, fields in FIELDS.items():
        if code not in services:
            continue
        for order, (
            field_code,
            label,
            kind,
            required,
            max_length,
            help_text,
            on_letter,
        ) in enumerate(fields, start=1):
            ServiceField.objects.get_or_create(
                service=services[code],
                code=field_code,
                defaults={
                    "label": label,
                    "kind": kind,
                    "required": required,
                    "max_length": max_length,
                    "help_text": help_text,
                    "on_letter": on_letter,
                    "order": order * 10,
                },
            )
    fill_bodies(services)


def fill_bodies(services):
    old = importlib.import_module("services.migrations.0010_letter_wording_and_roles").LETTERS
    for code, service in services.items():
        body = service.letter_body
        if body in ("", old.get(code, (None, None, None))[2]):
            service.letter_body = BODIES[code]
        elif body.startswith(SEEDED_OPENING):
            service.letter_body = "Orang tersebut di atas " + body[len(SEEDED_OPENING) :]
        else:
            continue
        service.save(update_fields=["letter_body"])


class Migration(migrations.Migration):
    dependencies = [("services", "0013_variants_and_fields")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
