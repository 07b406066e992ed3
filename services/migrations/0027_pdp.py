"""UU PDP: the breach register, the retention marks on cases (with the indexes the retention
job walks), and the schedules of the two jobs: retention every night at 02:00 WIB, the breach
register's clock every 15 minutes. Schedules are created (or corrected) by name."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

WIB = ZoneInfo("Asia/Jakarta")
SCHEDULES = {
    "pdp_retention": {
        "func": "services.tasks.pdp_retention_task",
        "schedule_type": "D",  # daily, at next_run's time of day
        "repeats": -1,
    },
    "pdp_breach_sweep": {
        "func": "services.tasks.pdp_breach_sweep_task",
        "schedule_type": "I",  # minutes
        "minutes": 15,
        "repeats": -1,
    },
}


def next_two_wib():
    now = datetime.now(WIB)
    at = datetime.combine(now.date(), time(2, 0), tzinfo=WIB)
    return at if at > now else at + timedelta(days=1)


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, fields in SCHEDULES.items():
        schedule, created = Schedule.objects.update_or_create(name=name, defaults=fields)
        if created and name == "pdp_retention":
            schedule.next_run = next_two_wib()
            schedule.save(update_fields=["next_run"])


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=SCHEDULES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kelurahan", "0011_office_dpo"),
        ("services", "0026_reconcile_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataBreach",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=160, verbose_name="judul")),
                (
                    "discovered_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="diketahui"
                    ),
                ),
                (
                    "occurred",
                    models.CharField(
                        help_text="Waktu dan cara kejadian.",
                        max_length=1000,
                        verbose_name="kapan dan bagaimana terjadi",
                    ),
                ),
                (
                    "data_affected",
                    models.CharField(
                        help_text="Jenis data (mis. NIK, alamat, foto KTP) dan perkiraan jumlah orang.",
                        max_length=1000,
                        verbose_name="data pribadi yang terungkap",
                    ),
                ),
                (
                    "subjects_count",
                    models.PositiveIntegerField(default=0, verbose_name="jumlah subjek data"),
                ),
                (
                    "remedy",
                    models.CharField(
                        help_text="Apa yang sudah dilakukan.",
                        max_length=1000,
                        verbose_name="upaya penanganan dan pemulihan",
                    ),
                ),
                (
                    "notify_due",
                    models.DateTimeField(
                        editable=False, verbose_name="batas pemberitahuan (3 × 24 jam)"
                    ),
                ),
                (
                    "subjects_notified_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="subjek data diberi tahu"
                    ),
                ),
                (
                    "agency_notified_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="lembaga PDP diberi tahu"
                    ),
                ),
                (
                    "warned_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="peringatan 24 jam terkirim"
                    ),
                ),
                (
                    "overdue_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="peringatan lewat batas terkirim"
                    ),
                ),
            ],
            options={
                "verbose_name": "insiden kebocoran data",
                "verbose_name_plural": "register kebocoran data (UU PDP)",
                "ordering": ["-discovered_at"],
            },
        ),
        migrations.AddField(
            model_name="application",
            name="anonymised_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="data pribadi dihapus (retensi)"
            ),
        ),
        migrations.AddField(
            model_name="application",
            name="documents_deleted_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="berkas dihapus (retensi)"
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(
                    ("closed_at__isnull", False), ("documents_deleted_at__isnull", True)
                ),
                fields=["closed_at"],
                name="application_files_to_retire",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("anonymised_at__isnull", True), ("closed_at__isnull", False)),
                fields=["closed_at"],
                name="application_data_to_retire",
            ),
        ),
        migrations.AddField(
            model_name="databreach",
            name="office",
            field=models.ForeignKey(
                blank=True,
                help_text="Kosong: seluruh portal (semua kantor).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="kelurahan.office",
                verbose_name="kantor",
            ),
        ),
        migrations.AddField(
            model_name="databreach",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="dicatat oleh",
            ),
        ),
        migrations.AddIndex(
            model_name="databreach",
            index=models.Index(fields=["notify_due"], name="databreach_by_due"),
        ),
        migrations.RunPython(create_schedules, remove_schedules),
    ]
