"""PostgreSQL: autovacuum the busiest tables after 2% of their rows changed, not 20%.

The dashboard's counts and the open queue are index-only scans (services.sla.reports), and an
index-only scan reads the table for every row on a page no vacuum has marked all-visible. By
default autovacuum waits for a fifth of a table to change (200,000 cases of a city's million),
so the open cases, the newest rows, were on pages it had not visited: at 100k cases the
dashboard took 16.7 ms before a VACUUM and 7.4 ms after (README, Performance). SQLite has no
such setting; the migration does nothing there.
"""

from django.db import migrations

TABLES = ("services_application", "services_slabreach")
OPTIONS = (
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_insert_scale_factor",
    "autovacuum_analyze_scale_factor",
)


def _set(schema_editor, value):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        quoted = schema_editor.quote_name(table)
        if value is None:
            schema_editor.execute(f"ALTER TABLE {quoted} RESET ({', '.join(OPTIONS)})")
        else:
            settings = ", ".join(f"{option} = {value}" for option in OPTIONS)
            schema_editor.execute(f"ALTER TABLE {quoted} SET ({settings})")


def tune(apps, schema_editor):
    _set(schema_editor, 0.02)


def reset(apps, schema_editor):
    _set(schema_editor, None)


class Migration(migrations.Migration):
    dependencies = [("services", "0032_breach_rt")]
    operations = [migrations.RunPython(tune, reset, elidable=False)]
