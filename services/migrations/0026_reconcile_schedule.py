"""The reconciliation job: a row per PDF a job must make (DocumentRender) and its schedule.

Letters and archive bundles still without their PDF when this runs get a row now (their
render may have been lost already, which is what the job is for). The schedule is created (or
corrected) by name, so running migrate again never duplicates it.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

SCHEDULE = {
    "name": "reconcile_renders",
    "func": "services.tasks.reconcile_renders_task",
    "schedule_type": "I",  # minutes
    "minutes": 5,
    "repeats": -1,
}


def forward(apps, schema_editor):
    DocumentRender = apps.get_model("services", "DocumentRender")
    Letter = apps.get_model("services", "Letter")
    ApplicationEvent = apps.get_model("services", "ApplicationEvent")
    rows = [
        DocumentRender(
            kind="letter", application_id=app_id, letter_id=pk, requested_at=at, queued_at=at
        )
        for pk, app_id, at in Letter.objects.filter(sha256="").values_list(
            "pk", "application_id", "issued_at"
        )
    ]
    archived = ApplicationEvent.objects.filter(
        transition="archive", application__bundle_sha256=""
    ).values_list("application_id", "at")
    rows += [
        DocumentRender(kind="bundle", application_id=app_id, requested_at=at, queued_at=at)
        for app_id, at in dict(archived.order_by("at")).items()
    ]
    DocumentRender.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    Schedule = apps.get_model("django_q", "Schedule")
    fields = {k: v for k, v in SCHEDULE.items() if k != "name"}
    Schedule.objects.update_or_create(name=SCHEDULE["name"], defaults=fields)


def backward(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0025_text_limits"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentRender",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("letter", "Surat"), ("bundle", "Berkas arsip")],
                        max_length=10,
                        verbose_name="jenis",
                    ),
                ),
                (
                    "requested_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="diminta"),
                ),
                (
                    "queued_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="terakhir diantrekan"
                    ),
                ),
                (
                    "started_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="sedang dibuat sejak"),
                ),
                (
                    "requeues",
                    models.PositiveSmallIntegerField(default=0, verbose_name="diantrekan ulang"),
                ),
                (
                    "gave_up_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="dihentikan"),
                ),
                ("done_at", models.DateTimeField(blank=True, null=True, verbose_name="selesai")),
                (
                    "application",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="renders",
                        to="services.application",
                        verbose_name="permohonan",
                    ),
                ),
                (
                    "letter",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="renders",
                        to="services.letter",
                        verbose_name="surat",
                    ),
                ),
            ],
            options={
                "verbose_name": "pembuatan dokumen",
                "verbose_name_plural": "pembuatan dokumen",
                "ordering": ["requested_at", "id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("done_at__isnull", True)),
                        fields=["requested_at"],
                        name="render_open",
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("kind__in", ["letter", "bundle"])), name="render_kind"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind", "letter"), ("letter__isnull", False)),
                            models.Q(("kind", "bundle"), ("letter__isnull", True)),
                            _connector="OR",
                        ),
                        name="render_letter_only_for_letters",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("letter__isnull", False)),
                        fields=("letter",),
                        name="render_once_per_letter",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("kind", "bundle")),
                        fields=("application",),
                        name="render_once_per_bundle",
                    ),
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
