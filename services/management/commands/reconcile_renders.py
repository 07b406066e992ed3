"""Run the reconciliation job now; ``--retry-stopped`` first lets it try again the documents it
gave up on (once the job cluster is fixed), each with a fresh count of re-queues."""

from django.core.management.base import BaseCommand

from services.letters.renders import reconcile_renders, retry_stopped


class Command(BaseCommand):
    help = "Queue again the letters and archive bundles still without their PDF."

    def add_arguments(self, parser):
        parser.add_argument(
            "--retry-stopped",
            action="store_true",
            help="also the documents the job stopped retrying (RENDER_MAX_REQUEUES reached)",
        )

    def handle(self, *args, **options):
        reopened = retry_stopped() if options["retry_stopped"] else 0
        acted = reconcile_renders()
        self.stdout.write(
            f"{reopened} dokumen dibuka lagi; {acted} diantrekan ulang atau dihentikan."
        )
