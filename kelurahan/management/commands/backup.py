"""``manage.py backup``: one folder with the database, the media folder and their checksums
(see kelurahan.backup); prints its path. Safe while the portal runs."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kelurahan import backup


class Command(BaseCommand):
    help = "Cadangkan basis data dan folder media (dengan manifest checksum SHA-256)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir",
            type=Path,
            default=None,
            help="folder tujuan (bawaan: BACKUP_DIR)",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, output_dir=None, database="default", **options):
        target = output_dir or Path(settings.BACKUP_DIR)
        try:
            path = backup.backup(output_dir=target, alias=database)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(path))
