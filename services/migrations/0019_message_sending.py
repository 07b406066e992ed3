"""Sending the resident's messages: state, attempts and the due time of each message; the two
new steps (an RT rejection, a supervisor's reopening) with their default texts; and the
schedule of the job that sends the due gateway and email messages every minute.

Rows written before this migration: those already sent become ``sent``; pending email rows
become due now (no job sent them before).
"""

from django.db import migrations, models
from django.utils import timezone

SIGN = " Lihat perkembangannya di {tautan} — {kantor}"
TEXTS = {
    "reject": (
        "Yth. {nama}, permohonan {layanan} ({kode}) ditolak oleh Ketua RT: {alasan} Bila "
        "menurut Anda ada kekeliruan, hubungi kantor kelurahan dengan menyebut kode {kode}." + SIGN
    ),
    "reopen": (
        "Yth. {nama}, permohonan {layanan} ({kode}) dibuka kembali oleh kantor kelurahan: "
        "{alasan} Permohonan akan diperiksa lagi oleh Ketua RT; perkiraan selesai: "
        "{perkiraan_selesai}." + SIGN
    ),
}
SCHEDULE = {
    "name": "resident_messages",
    "func": "services.tasks.send_due_resident_messages_task",
    "schedule_type": "I",  # minutes
    "minutes": 1,
    "repeats": -1,
}


def forward(apps, schema_editor):
    ResidentMessage = apps.get_model("services", "ResidentMessage")
    ResidentMessage.objects.filter(sent_at__isnull=False).update(state="sent")
    ResidentMessage.objects.filter(sent_at__isnull=True, channel="email").update(
        next_attempt_at=timezone.now()
    )
    MessageTemplate = apps.get_model("services", "MessageTemplate")
    for step, text in TEXTS.items():
        MessageTemplate.objects.get_or_create(step=step, defaults={"text": text})
    Schedule = apps.get_model("django_q", "Schedule")
    fields = {k: v for k, v in SCHEDULE.items() if k != "name"}
    Schedule.objects.update_or_create(name=SCHEDULE["name"], defaults=fields)


def backward(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE["name"]).delete()
    apps.get_model("services", "MessageTemplate").objects.filter(step__in=TEXTS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0018_seed_message_templates"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="residentmessage",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="percobaan kirim"),
        ),
        migrations.AddField(
            model_name="residentmessage",
            name="last_error",
            field=models.CharField(blank=True, max_length=300, verbose_name="keterangan terakhir"),
        ),
        migrations.AddField(
            model_name="residentmessage",
            name="next_attempt_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Kosong bila tidak ada pengiriman otomatis yang menunggu.",
                null=True,
                verbose_name="dicoba lagi pada",
            ),
        ),
        migrations.AddField(
            model_name="residentmessage",
            name="provider_ref",
            field=models.CharField(blank=True, max_length=200, verbose_name="referensi penyedia"),
        ),
        migrations.AddField(
            model_name="residentmessage",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Belum terkirim"),
                    ("sent", "Terkirim"),
                    ("failed", "Gagal terkirim"),
                    ("dropped", "Tidak dikirim"),
                ],
                default="pending",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="messagetemplate",
            name="step",
            field=models.CharField(
                choices=[
                    ("receive", "Permohonan diterima"),
                    ("mark_incomplete", "Berkas belum lengkap"),
                    ("return_to_applicant", "Dikembalikan Ketua RT"),
                    ("approve", "Disetujui Ketua RT"),
                    ("issue", "Surat sudah jadi"),
                    ("hand_over", "Surat diserahkan"),
                    ("cancel", "Permohonan dibatalkan"),
                    ("reject", "Ditolak Ketua RT"),
                    ("reopen", "Dibuka kembali"),
                ],
                max_length=30,
                unique=True,
                verbose_name="langkah",
            ),
        ),
        migrations.RunPython(forward, backward),
        migrations.AddIndex(
            model_name="residentmessage",
            index=models.Index(
                condition=models.Q(("next_attempt_at__isnull", False)),
                fields=["next_attempt_at"],
                name="resident_message_due",
            ),
        ),
        migrations.AddConstraint(
            model_name="residentmessage",
            constraint=models.CheckConstraint(
                condition=models.Q(("state__in", ["pending", "sent", "failed", "dropped"])),
                name="resident_message_state",
            ),
        ),
        migrations.AddConstraint(
            model_name="residentmessage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("sent_at__isnull", False), ("state", "sent")),
                    models.Q(models.Q(("state", "sent"), _negated=True), ("sent_at__isnull", True)),
                    _connector="OR",
                ),
                name="resident_message_sent_at",
            ),
        ),
    ]
