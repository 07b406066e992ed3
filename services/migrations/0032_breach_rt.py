"""Each SLA breach carries its case's RT (the charts' breaches per RT group the office's
breaches by it without a lookup of each breach's case), backfilled in one UPDATE; and the
dashboard's index for the cases waiting at each RT."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill_rt(apps, schema_editor):
    """One UPDATE with a correlated subquery (both SQLite and PostgreSQL), not a row at a time."""
    Application = apps.get_model("services", "Application")
    SlaBreach = apps.get_model("services", "SlaBreach")
    rt = Application.objects.filter(pk=OuterRef("application_id")).values("rt_id")[:1]
    postgresql = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        if postgresql:  # the new foreign key checked now: ALTER TABLE follows in this transaction
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        SlaBreach.objects.update(rt_id=Subquery(rt))
        if postgresql:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("kelurahan", "0014_office_kecamatan_required"),
        ("services", "0031_service_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="slabreach",
            name="rt",
            field=models.ForeignKey(
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="kelurahan.rt",
                verbose_name="RT",
            ),
        ),
        migrations.RunPython(backfill_rt, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="slabreach",
            name="rt",
            field=models.ForeignKey(
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="kelurahan.rt",
                verbose_name="RT",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=["office", "state", "rt", "sent_to_rt_at"],
                name="application_waiting_rt",
            ),
        ),
    ]
