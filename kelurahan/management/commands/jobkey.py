"""Show the web and job cluster markers of the key check, or remove them (``--reset``).

``manage.py jobkey`` says, for each side, whether its marker in the broker verifies with this
process's DJANGO_SECRET_KEY; it exits 1 when one does not. ``--reset`` removes both markers:
after a deliberate key change, with both sides stopped, so neither refuses the new key.
"""

from django.core.management.base import BaseCommand, CommandError
from django_q.signing import BadSignature, SignedPackage

from kelurahan.jobkey import SIDES, _broker, read


class Command(BaseCommand):
    help = "Show or reset the markers of the web/job-cluster DJANGO_SECRET_KEY check."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="remove both markers")

    def handle(self, *args, reset=False, **options):
        if reset:
            for side in SIDES:
                _broker(side).purge_queue()
            self.stdout.write("Both markers removed; the next start of each side writes its own.")
            return
        bad = []
        for side in SIDES:
            payload = read(side)
            if payload is None:
                self.stdout.write(f"{side}: no marker")
                continue
            try:
                found = SignedPackage.loads(payload)
            except (BadSignature, TypeError, ValueError):
                bad.append(side)
                self.stdout.write(f"{side}: signed with ANOTHER key")
                continue
            self.stdout.write(
                f"{side}: same key (host {found['host']}, pid {found['pid']}, {found['at']})"
            )
        if bad:
            raise CommandError("The markers of " + ", ".join(bad) + " are signed with another key.")
