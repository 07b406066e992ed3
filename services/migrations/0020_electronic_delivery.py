"""Electronic delivery: a third way for the letter to reach the resident, allowed per service.

- ``Delivery.ELECTRONIC``: the resident downloads the letter's PDF from the status page; the
  first download completes the case (``Application.downloaded_at`` records when).
- ``Service.electronic_delivery`` allows it. Turned on for the services whose output is a
  letter the resident can carry as a file: the surat pengantar nikah (to the KUA) and the SITU.
  KTP and KK stay off: what the resident finally receives is a physical card from Dukcapil.
  An admin can change it per service afterwards.
- ``AccessLog.user`` may be empty: the resident's download is logged with no account.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DOWNLOADABLE = ["NIKAH", "SITU"]


def allow_downloads(apps, schema_editor):
    Service = apps.get_model("services", "Service")
    Service.objects.filter(code__in=DOWNLOADABLE).update(electronic_delivery=True)


def disallow_downloads(apps, schema_editor):
    Service = apps.get_model("services", "Service")
    Service.objects.filter(code__in=DOWNLOADABLE).update(electronic_delivery=False)


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0019_message_sending"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="downloaded_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="diunduh pemohon"),
        ),
        migrations.AddField(
            model_name="service",
            name="electronic_delivery",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Jika dicentang, pemohon boleh memilih hasil layanan “Diunduh sendiri lewat "
                    "tautan status”: setelah surat terbit, PDF surat dapat diunduh dari halaman "
                    "status permohonan, dan unduhan pertama menyelesaikan permohonan. Jangan "
                    "centang bila hasilnya harus diterima dalam bentuk fisik (mis. KTP)."
                ),
                verbose_name="boleh diunduh sendiri oleh pemohon",
            ),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="user",
            field=models.ForeignKey(
                blank=True,
                help_text="Kosong: pemohon sendiri, lewat tautan halaman status.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="pengguna",
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="delivery",
            field=models.CharField(
                choices=[
                    ("pickup", "Diambil di kantor kelurahan"),
                    ("courier", "Dikirim kurir"),
                    ("electronic", "Diunduh sendiri lewat tautan status"),
                ],
                default="pickup",
                max_length=10,
                verbose_name="pengambilan hasil",
            ),
        ),
        migrations.RunPython(allow_downloads, disallow_downloads),
    ]
