import django.db.models.deletion
from django.db import migrations, models


def link_unlinked(apps, schema_editor):
    """Offices created since 0012 without a Kecamatan get the one of their names (made if new)."""
    Office = apps.get_model("kelurahan", "Office")
    Kecamatan = apps.get_model("kelurahan", "Kecamatan")
    for office in Office.objects.filter(kecamatan_ref__isnull=True):
        kecamatan, _ = Kecamatan.objects.get_or_create(name=office.kecamatan, city=office.city)
        office.kecamatan_ref = kecamatan
        office.save(update_fields=["kecamatan_ref"])


class Migration(migrations.Migration):
    dependencies = [
        ("kelurahan", "0013_oversight"),
    ]

    operations = [
        migrations.RunPython(link_unlinked, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="office",
            name="kecamatan_ref",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="offices",
                to="kelurahan.kecamatan",
                verbose_name="kecamatan",
            ),
        ),
    ]
