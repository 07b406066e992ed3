"""The job schedules: the SLA sweep every 5 minutes, the officers' digest at 07:00 WIB.

Created (or corrected) by name, so running migrate again never duplicates them.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations

WIB = ZoneInfo("Asia/Jakarta")


def next_seven_wib():
    now = datetime.now(WIB)
    at = datetime.combine(now.date(), time(7, 0), tzinfo=WIB)
    return at if at > now else at + timedelta(days=1)


SCHEDULES = {
    "sla_sweep": {
        "func": "services.tasks.sla_sweep_task",
        "schedule_type": "I",  # minutes
        "minutes": 5,
        "repeats": -1,
    },
    "morning_digest": {
        "func": "services.tasks.morning_digest_task",
        "schedule_type": "D",  # daily, at next_run's time of day
        "repeats": -1,
    },
}


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, fields in SCHEDULES.items():
        schedule, created = Schedule.objects.update_or_create(name=name, defaults=fields)
        if created and name == "morning_digest":
            schedule.next_run = next_seven_wib()
            schedule.save(update_fields=["next_run"])


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=SCHEDULES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0007_sla"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
