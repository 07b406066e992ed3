"""``manage.py restore PATH``: check a backup's checksums, then restore the database and the
media folder from it (see kelurahan.backup). ``--check`` only verifies. Stop the web server and
the job cluster first."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kelurahan import backup


class Command(BaseCommand):
    help = "Pulihkan basis data dan folder media dari cadangan `manage.py backup`."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="folder cadangan (atau berkas .tar.age)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="timpa basis data / folder media yang sudah berisi (data sejak cadangan hilang)",
        )
        parser.add_argument(
            "--check", action="store_true", help="hanya periksa checksum, tanpa memulihkan"
        )
        parser.add_argument("--identity", type=Path, help="kunci privat age (cadangan terenkripsi)")
        parser.add_argument("--database", default="default")

    def handle(self, *args, path, force, check, identity, database, **options):
        try:
            if check:
                manifest = backup.check(path, identity=identity)
                self.stdout.write(f"Cadangan utuh: {backup.describe(manifest)}.")
                return
            result = backup.restore(path, alias=database, force=force, identity=identity)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Dipulihkan: {result.tables} tabel, {result.rows} baris (jumlah cocok dengan "
            f"manifest), {result.media_files} berkas media; pemeriksaan: {result.integrity}."
        )
