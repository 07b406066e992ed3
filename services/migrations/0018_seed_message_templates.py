"""The default text of each message to the resident (editable afterwards in the admin)."""

from django.db import migrations

SIGN = " Lihat perkembangannya di {tautan} — {kantor}"
TEXTS = {
    "receive": (
        "Yth. {nama}, permohonan {layanan} Anda sudah kami terima dengan kode {kode}. "
        "Perkiraan selesai: {perkiraan_selesai}." + SIGN
    ),
    "mark_incomplete": (
        "Yth. {nama}, berkas permohonan {layanan} ({kode}) belum lengkap. Yang kurang: "
        "{kurang} Mohon bawa atau kirim ke kantor kelurahan dengan menyebut kode {kode}. "
        "Hitungan hari layanan mulai lagi setelah berkas lengkap." + SIGN
    ),
    "return_to_applicant": (
        "Yth. {nama}, permohonan {layanan} ({kode}) dikembalikan oleh Ketua RT: {alasan} "
        "Mohon diperbaiki, lalu hubungi kantor kelurahan dengan menyebut kode {kode}." + SIGN
    ),
    "approve": (
        "Yth. {nama}, permohonan {layanan} ({kode}) sudah disetujui Ketua RT. Surat sedang "
        "dibuat; perkiraan selesai: {perkiraan_selesai}." + SIGN
    ),
    "issue": (
        "Yth. {nama}, surat untuk permohonan {layanan} ({kode}) sudah jadi. {pengambilan}" + SIGN
    ),
    "hand_over": (
        "Yth. {nama}, surat permohonan {layanan} ({kode}) sudah diserahkan. Terima kasih "
        "telah menggunakan layanan kami. — {kantor}"
    ),
    "cancel": (
        "Yth. {nama}, permohonan {layanan} ({kode}) dibatalkan. Alasan: {alasan} Bila masih "
        "memerlukan layanan ini, ajukan permohonan baru di kantor kelurahan." + SIGN
    ),
}


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("services", "MessageTemplate")
    for step, text in TEXTS.items():
        MessageTemplate.objects.get_or_create(step=step, defaults={"text": text})


class Migration(migrations.Migration):
    dependencies = [("services", "0017_resident_messages")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
