"""Each service's letter title, classification and body; roles gain the letter permissions."""

from django.db import migrations

from kelurahan.roles import sync_role_groups

LETTERS = {
    "KK": (
        "474.1",
        "SURAT PENGANTAR PERMOHONAN KARTU KELUARGA",
        "Yang bertanda tangan di bawah ini, Lurah {kelurahan}, Kecamatan {kecamatan}, {kota}, "
        "menerangkan bahwa orang tersebut di atas benar penduduk Kelurahan {kelurahan} yang "
        "bertempat tinggal di {alamat} RT {rt} RW {rw}.\n\n"
        "Yang bersangkutan mengajukan permohonan penerbitan Kartu Keluarga (KK) dan telah "
        "melengkapi persyaratan yang ditentukan. Surat pengantar ini diberikan untuk keperluan: "
        "{keperluan}.",
    ),
    "KTP": (
        "474.4",
        "SURAT PENGANTAR PERMOHONAN KTP ELEKTRONIK",
        "Yang bertanda tangan di bawah ini, Lurah {kelurahan}, Kecamatan {kecamatan}, {kota}, "
        "menerangkan bahwa orang tersebut di atas benar penduduk Kelurahan {kelurahan} yang "
        "bertempat tinggal di {alamat} RT {rt} RW {rw}.\n\n"
        "Yang bersangkutan mengajukan permohonan Kartu Tanda Penduduk elektronik (KTP-el) dan "
        "telah melengkapi persyaratan yang ditentukan. Surat pengantar ini diberikan untuk "
        "keperluan: {keperluan}.",
    ),
    "NIKAH": (
        "474.2",
        "SURAT PENGANTAR NIKAH",
        "Yang bertanda tangan di bawah ini, Lurah {kelurahan}, Kecamatan {kecamatan}, {kota}, "
        "menerangkan bahwa orang tersebut di atas benar penduduk Kelurahan {kelurahan} yang "
        "bertempat tinggal di {alamat} RT {rt} RW {rw}, dan bermaksud melangsungkan "
        "pernikahan.\n\n"
        "Surat pengantar ini diberikan sebagai kelengkapan pendaftaran nikah di Kantor Urusan "
        "Agama (KUA), untuk keperluan: {keperluan}.",
    ),
    "SITU": (
        "503",
        "SURAT IZIN TEMPAT USAHA (SITU)",
        "Yang bertanda tangan di bawah ini, Lurah {kelurahan}, Kecamatan {kecamatan}, {kota}, "
        "menerangkan bahwa orang tersebut di atas benar penduduk yang bertempat tinggal di "
        "{alamat} RT {rt} RW {rw}, dan menjalankan usaha di wilayah Kelurahan {kelurahan}.\n\n"
        "Berdasarkan pemeriksaan dan verifikasi Ketua RT setempat, tempat usaha tersebut tidak "
        "berkeberatan bagi lingkungan sekitar. Surat ini diberikan untuk keperluan: {keperluan}.",
    ),
}


def fill_letters(apps, schema_editor):
    Service = apps.get_model("services", "Service")
    for code, (classification, title, body) in LETTERS.items():
        Service.objects.filter(code=code, letter_body="").update(
            classification=classification, letter_title=title, letter_body=body
        )


class Migration(migrations.Migration):
    dependencies = [("services", "0009_letters"), ("kelurahan", "0006_office_signatory")]

    operations = [
        migrations.RunPython(fill_letters, migrations.RunPython.noop),
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
