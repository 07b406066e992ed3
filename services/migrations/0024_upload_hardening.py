"""The schedule of the job that deletes files kept for failed forms (services.documents.pending)
once past their time, for sessions that never came back: every 10 minutes."""

from django.db import migrations

SCHEDULE = {
    "name": "purge_pending_uploads",
    "func": "services.tasks.purge_pending_uploads_task",
    "schedule_type": "I",  # minutes
    "minutes": 10,
    "repeats": -1,
}


def forward(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    fields = {k: v for k, v in SCHEDULE.items() if k != "name"}
    Schedule.objects.update_or_create(name=SCHEDULE["name"], defaults=fields)


def backward(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0023_stage_times"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(forward, backward)]
