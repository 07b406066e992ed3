"""Seed the four services of DOMAIN.md (Tabel 1 of the Bukit Sangkal procedure).

Every service needs the RT cover letter first; the rest is what each service lists.
"""

from django.db import migrations

RT_COVER = (
    "pengantar-rt",
    "Surat pengantar RT",
    "rt_cover_letter",
    "Dari Ketua RT tempat pemohon tinggal; foto atau scan yang terbaca jelas.",
)

CATALOGUE = [
    {
        "code": "KK",
        "name": "Pembuatan Kartu Keluarga (KK)",
        "description": "Permohonan Kartu Keluarga baru atau perubahan KK, diteruskan ke Dukcapil.",
        "output": "Surat pengantar permohonan KK ke Dinas Dukcapil",
        "requirements": [
            RT_COVER,
            (
                "fotokopi-kk-lama",
                "Fotokopi Kartu Keluarga (KK) lama",
                "document",
                "Foto atau scan seluruh halaman KK lama.",
            ),
            (
                "surat-pindah",
                "Surat keterangan pindah dari daerah asal",
                "document",
                "Dari kelurahan/desa asal bagi pendatang.",
            ),
        ],
    },
    {
        "code": "KTP",
        "name": "Pembuatan KTP",
        "description": "Permohonan KTP elektronik baru atau pengganti, diteruskan ke Dukcapil.",
        "output": "Surat pengantar permohonan KTP ke Dinas Dukcapil",
        "requirements": [
            RT_COVER,
            (
                "fotokopi-kk",
                "Fotokopi Kartu Keluarga (KK)",
                "document",
                "Foto atau scan KK yang memuat nama pemohon.",
            ),
            (
                "fotokopi-ktp-lama",
                "Fotokopi KTP lama",
                "document",
                "Sisi depan KTP lama; bila hilang, surat kehilangan dari kepolisian.",
            ),
            ("pas-foto", "Pas foto", "photo", "Latar polos, wajah terlihat jelas."),
        ],
    },
    {
        "code": "NIKAH",
        "name": "Surat Pengantar Nikah",
        "description": "Surat pengantar dari kelurahan untuk pendaftaran nikah di KUA.",
        "output": "Surat pengantar nikah ke KUA",
        "requirements": [
            RT_COVER,
            (
                "fotokopi-kk",
                "Fotokopi Kartu Keluarga (KK)",
                "document",
                "Foto atau scan KK yang memuat nama pemohon.",
            ),
            ("fotokopi-ktp", "Fotokopi KTP", "document", "Sisi depan KTP pemohon."),
            ("pas-foto", "Pas foto", "photo", "Latar polos, wajah terlihat jelas."),
        ],
    },
    {
        "code": "SITU",
        "name": "Surat Izin Tempat Usaha (SITU)",
        "description": "Keterangan tempat usaha di wilayah kelurahan, untuk perizinan usaha.",
        "output": "Surat Izin Tempat Usaha (SITU)",
        "requirements": [
            RT_COVER,
            ("fotokopi-ktp", "Fotokopi KTP", "document", "Sisi depan KTP pemilik usaha."),
            ("pas-foto", "Pas foto", "photo", "Latar polos, wajah terlihat jelas."),
        ],
    },
]


def seed(apps, schema_editor):
    Service = apps.get_model("services", "Service")
    Requirement = apps.get_model("services", "Requirement")
    for order, entry in enumerate(CATALOGUE, start=1):
        service, _ = Service.objects.update_or_create(
            code=entry["code"],
            defaults={
                "name": entry["name"],
                "description": entry["description"],
                "output": entry["output"],
                "order": order,
                "sla_days": 3,
                "active": True,
            },
        )
        for req_order, (code, label, kind, help_text) in enumerate(entry["requirements"], start=1):
            Requirement.objects.update_or_create(
                service=service,
                code=code,
                defaults={
                    "label": label,
                    "kind": kind,
                    "help_text": help_text,
                    "required": True,
                    "order": req_order * 10,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
