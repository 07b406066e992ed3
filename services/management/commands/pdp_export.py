"""``manage.py pdp_export --nik … --by USERNAME [--office CODE] [--out FOLDER]``

Everything the portal holds about one person (UU PDP Pasal 7 and 32: a data subject's request
is answered within 3 × 24 hours): ``data.json``, ``data.pdf`` and the documents and letters
themselves, in one folder. Each case exported is written to the access log under ``--by``.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kelurahan.models import Office
from services.pdp.export import person_export, write_export


class Command(BaseCommand):
    help = (
        "Ekspor semua data pribadi satu orang (berdasarkan NIK) ke satu folder: data.json, "
        "data.pdf dan berkasnya (UU PDP). Dicatat di log akses atas nama --by."
    )

    def add_arguments(self, parser):
        parser.add_argument("--nik", required=True, help="NIK orang yang meminta datanya")
        parser.add_argument(
            "--by", required=True, help="nama pengguna yang melayani permintaan (log akses)"
        )
        parser.add_argument("--office", help="kode kantor (bawaan: semua kantor)")
        parser.add_argument("--out", help="folder tujuan (bawaan: ./ekspor-pdp-<NIK tersamar>)")

    def handle(self, *args, nik, by, office=None, out=None, **options):
        try:
            user = get_user_model().objects.get(username=by, is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"Pengguna aktif '{by}' tidak ditemukan.") from exc
        place = None
        if office:
            place = Office.objects.filter(code=office).first()
            if place is None:
                raise CommandError(f"Kantor dengan kode '{office}' tidak ditemukan.")
        try:
            export = person_export(nik=nik, by=user, office=place)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        folder = Path(out or f"ekspor-pdp-{export.nik[:6]}xxxxxx{export.nik[-4:]}")
        written = write_export(export, folder)
        self.stdout.write(
            f"{len(export.cases)} permohonan, {len(written)} berkas ditulis ke {folder}/ "
            "(data.json, data.pdf, berkas dan surat)."
        )
