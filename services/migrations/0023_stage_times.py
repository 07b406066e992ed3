"""Working seconds per SLA stage on each case (services.sla.stages), each breach's office,
both backfilled, and the indexes of the supervisor's charts (services.sla.charts)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

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


def breach_offices(apps, schema_editor):
    Application = apps.get_model("services", "Application")
    SlaBreach = apps.get_model("services", "SlaBreach")
    office = Application.objects.filter(pk=OuterRef("application_id")).values("office_id")
    SlaBreach.objects.filter(office__isnull=True).update(office_id=Subquery(office[:1]))


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
        migrations.AddField(
            model_name="slabreach",
            name="office",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="kelurahan.office",
                verbose_name="kantor",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("issue_due__isnull", False)),
                fields=["office", "issue_due"],
                name="application_office_issue_due",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                condition=models.Q(("issued_at__isnull", False)),
                fields=["office", "issued_at"],
                name="application_office_issued",
            ),
        ),
        migrations.AddIndex(
            model_name="slabreach",
            index=models.Index(fields=["office", "due"], name="slabreach_office_due"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(breach_offices, migrations.RunPython.noop, elidable=True),
    ]
