"""Working seconds per SLA stage on each case (services.sla.stages), backfilled, and the
indexes of the supervisor's charts (services.sla.charts)."""

from django.db import migrations, models

from services.sla.calendar import WorkingCalendar
from services.sla.stages import STAGES, stage_seconds

BATCH = 500


def backfill(apps, schema_editor):
    """Each stage that already ended, from the milestone fields, with its office's calendar.

    The calendar is given the office's closed days read through the historical model (its own
    query would use today's model); the stage rule is the one the workflow applies from now on.
    """
    Application = apps.get_model("services", "Application")
    Office = apps.get_model("kelurahan", "Office")
    OfficeClosedDay = apps.get_model("kelurahan", "OfficeClosedDay")
    calendars = {}
    for office in Office.objects.all():
        days = OfficeClosedDay.objects.filter(office=office).values_list("date", flat=True)
        calendars[office.pk] = WorkingCalendar(office, days)
    fields = [stage.field for stage in STAGES]
    cases = Application.objects.filter(archived_at__isnull=False).only(
        "office_id", "received_at", "sla_started_at", "archived_at", "verified_at", "issued_at"
    )
    batch = []
    for case in cases.order_by("pk").iterator(chunk_size=BATCH):
        for stage in STAGES:
            setattr(case, stage.field, stage_seconds(calendars[case.office_id], case, stage))
        batch.append(case)
        if len(batch) == BATCH:
            Application.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        Application.objects.bulk_update(batch, fields)


class Migration(migrations.Migration):
    dependencies = [
        ("kelurahan", "0009_office_maklumat"),
        ("services", "0022_survey_standard"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="archive_seconds",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="lama tahap arsip (detik kerja)"
            ),
        ),
        migrations.AddField(
            model_name="application",
            name="issue_seconds",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="lama terbit surat (detik kerja)"
            ),
        ),
        migrations.AddField(
            model_name="application",
            name="verify_seconds",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="lama verifikasi RT (detik kerja)"
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["office", "issue_due"], name="application_office_issue_due"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["office", "issued_at"], name="application_office_issued"),
        ),
        migrations.AddIndex(
            model_name="slabreach",
            index=models.Index(fields=["due"], name="slabreach_by_due"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
