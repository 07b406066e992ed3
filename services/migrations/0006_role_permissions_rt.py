from django.db import migrations

from kelurahan.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [("services", "0005_rt_verification_steps")]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
