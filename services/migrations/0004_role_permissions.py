from django.db import migrations

from kelurahan.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0003_applications"),
        ("kelurahan", "0003_office_counter"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
