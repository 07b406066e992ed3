import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from kelurahan.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("kelurahan", "0012_kecamatan"),
        # The oversight groups' view permissions name services' models: they must exist.
        ("services", "0029_dashboard_speed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Oversight",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("kecamatan_supervisor", "Camat (pengawas kecamatan)"),
                            ("city_supervisor", "Pengawas kota"),
                        ],
                        max_length=24,
                        verbose_name="peran pengawasan",
                    ),
                ),
                (
                    "city",
                    models.CharField(
                        blank=True,
                        help_text="Kota yang diawasi pengawas kota; untuk camat terisi otomatis "
                        "dari kecamatan.",
                        max_length=120,
                        verbose_name="kota/kabupaten",
                    ),
                ),
                (
                    "kecamatan",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="overseers",
                        to="kelurahan.kecamatan",
                        verbose_name="kecamatan (khusus camat)",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="oversight",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="pengguna",
                    ),
                ),
            ],
            options={
                "verbose_name": "pengawas kecamatan/kota",
                "verbose_name_plural": "pengawas kecamatan/kota",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(role__in=["kecamatan_supervisor", "city_supervisor"]),
                        name="oversight_role_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(role="kecamatan_supervisor", kecamatan__isnull=False)
                        | models.Q(role="city_supervisor", kecamatan__isnull=True),
                        name="oversight_kecamatan_only_for_camat",
                    ),
                ],
            },
        ),
        # The two oversight groups, view permissions only (kelurahan.roles).
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
