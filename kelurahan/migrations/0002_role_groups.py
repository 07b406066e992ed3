from django.db import migrations

from kelurahan.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("kelurahan", "0001_initial"),
        ("services", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
