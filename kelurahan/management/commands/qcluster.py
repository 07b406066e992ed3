"""django-q2's ``qcluster``, refusing to start when the web process signs with another key.

``kelurahan`` is listed before ``django_q`` in INSTALLED_APPS, so this command takes the name
(see ``kelurahan.jobkey`` for the check itself).
"""

from django.core.management.base import CommandError
from django_q.management.commands.qcluster import Command as ClusterCommand

from kelurahan.jobkey import KeyMismatch, check_on_start


class Command(ClusterCommand):
    def handle(self, *args, **options):
        try:
            check_on_start("cluster")
        except KeyMismatch as exc:
            raise CommandError(str(exc)) from exc
        return super().handle(*args, **options)
