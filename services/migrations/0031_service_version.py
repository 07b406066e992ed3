import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0030_notification_recipient_created"),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="catalogue_version",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, verbose_name="versi katalog"
            ),
        ),
    ]
