"""A pending RT request can be closed as re-routed when the officer corrects the RT."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("verification", "0002_verbose_names")]

    operations = [
        migrations.RemoveConstraint(
            model_name="verificationrequest",
            name="verification_state_valid",
        ),
        migrations.AlterField(
            model_name="verificationrequest",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Menunggu keputusan"),
                    ("approved", "Disetujui"),
                    ("rejected", "Ditolak"),
                    ("returned", "Dikembalikan"),
                    ("rerouted", "Dialihkan ke RT lain"),
                ],
                default="pending",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AddConstraint(
            model_name="verificationrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("state__in", ["pending", "approved", "rejected", "returned", "rerouted"])
                ),
                name="verification_state_valid",
            ),
        ),
    ]
