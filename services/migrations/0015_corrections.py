"""Corrections and reopening: their permissions (reopen for supervisors), and the SLA start.

``sla_started_at`` is filled for existing cases from their last resubmission, so recomputing
deadlines after a closed-day change starts from the right day; empty means ``received_at``.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from kelurahan.roles import sync_role_groups


def fill_sla_start(apps, schema_editor):
    Application = apps.get_model("services", "Application")
    ApplicationEvent = apps.get_model("services", "ApplicationEvent")
    last_restart = (
        ApplicationEvent.objects.filter(application=OuterRef("pk"), transition="resubmit")
        .order_by("-at")
        .values("at")[:1]
    )
    Application.objects.filter(events__transition="resubmit").update(
        sla_started_at=Subquery(last_restart)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0014_seed_variants_and_fields"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="application",
            options={
                "permissions": [
                    ("receive_application", "Mencatat permohonan baru"),
                    ("check_attachment", "Memeriksa berkas persyaratan"),
                    ("archive_application", "Mengarsipkan permohonan"),
                    ("mark_incomplete_application", "Menandai permohonan belum lengkap"),
                    ("resubmit_application", "Mengajukan ulang permohonan"),
                    ("cancel_application", "Membatalkan permohonan"),
                    ("send_to_rt_application", "Mengirim permohonan ke Ketua RT"),
                    ("verify_application", "Memutuskan verifikasi RT"),
                    ("submit_assisted_application", "Mengajukan permohonan atas nama warga RT-nya"),
                    ("issue_application", "Menerbitkan surat"),
                    ("hand_over_application", "Menyerahkan surat kepada pemohon"),
                    ("correct_application", "Mengoreksi data pemohon"),
                    ("reopen_application", "Membuka kembali permohonan yang ditolak Ketua RT"),
                ],
                "verbose_name": "permohonan",
                "verbose_name_plural": "permohonan",
            },
        ),
        migrations.AddField(
            model_name="application",
            name="sla_started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="mulai hitung SLA"),
        ),
        migrations.RunPython(fill_sla_start, migrations.RunPython.noop),
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
