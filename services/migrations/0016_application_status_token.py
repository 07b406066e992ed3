"""The resident's status link: ``Application.status_token`` (services.public).

Added empty, filled for every existing case in batches (keyset over the primary key, one
``bulk_update`` per batch, so memory stays flat at a million rows), then made unique and
required. Each token comes from ``secrets`` like the field's default: unguessable.
"""

import secrets

from django.db import migrations, models

import services.models

BATCH = 2000


def fill_status_tokens(apps, schema_editor):
    Application = apps.get_model("services", "Application")
    rows = Application.objects.filter(status_token__isnull=True).order_by("pk")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last).only("pk")[:BATCH])
        if not batch:
            return
        for application in batch:
            application.status_token = secrets.token_urlsafe(16)
        Application.objects.bulk_update(batch, ["status_token"], batch_size=500)
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0015_corrections"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="status_token",
            field=models.CharField(
                "token halaman status", max_length=40, null=True, editable=False
            ),
        ),
        migrations.RunPython(fill_status_tokens, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="application",
            name="status_token",
            field=models.CharField(
                default=services.models._status_token,
                editable=False,
                max_length=40,
                unique=True,
                verbose_name="token halaman status",
            ),
        ),
    ]
