"""Load a demo kelurahan: one office, its RW/RT, an officer, a supervisor and RT chairs, and
what the other apps add to it (their AppConfig's ``seed_demo(office)``: services' complaints and
SKM questionnaires, verification's cases in each state). Beside it: a second office in another
kecamatan of the city (its territory and an officer, no cases), the camat of the first office's
kecamatan and the city's supervisor (read-only oversight, /pengawasan/).

Idempotent: running it again creates nothing new and leaves changed passwords alone.
"""

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kelurahan.models import RT, RW, Kecamatan, Membership, Office, Oversight, OversightRole, Role

DEMO_PASSWORD = "Layanan-Demo-2026"  # noqa: S105  (printed in the README; demo data only)

OFFICE = {
    "code": "BKS",
    "name": "Bukit Sangkal",
    "kecamatan": "Kalidoni",
    "city": "Kota Palembang",
    "address": "Jl. Residen H. Abdul Rozak, Bukit Sangkal, Kalidoni, Palembang 30163",
    "phone": "+62 711 000000",
    "lurah_name": "Hj. Siti Aminah, S.STP",
    "lurah_nip": "197805122005012003",
}
# The second office, in another kecamatan of the same city: what the camat does not see and
# the city supervisor does.
SECOND_OFFICE = {
    "code": "SKB",
    "name": "Sukabangun",
    "kecamatan": "Sukarami",
    "city": "Kota Palembang",
    "address": "Jl. Sukabangun II, Sukarami, Palembang 30151",
    "phone": "+62 711 000001",
    "lurah_name": "Drs. Hendra Gunawan",
    "lurah_nip": "197503152000031002",
}
SECOND_STAFF = [("petugas_skb", "Yanti", "Susanti", Role.OFFICER, None)]
# username, first and last name, role, kecamatan name (the camat's) or None (the city's)
OVERSIGHT = [
    ("camat", "Rudi", "Hartono", OversightRole.KECAMATAN, "Kalidoni"),
    ("pengawas_kota", "Maya", "Sari", OversightRole.CITY, None),
]
# RW number -> RT numbers
TERRITORY = {1: [1, 2, 3], 2: [1, 2], 3: [1, 2]}

STAFF = [
    ("petugas", "Rina", "Marlina", Role.OFFICER, None),
    ("petugas2", "Dedi", "Kurniawan", Role.OFFICER, None),
    ("lurah", "Siti", "Aminah", Role.SUPERVISOR, None),
    ("ketua_rt01", "Budi", "Santoso", Role.RT_CHAIR, (1, 1)),
    ("ketua_rt02", "Sri", "Wahyuni", Role.RT_CHAIR, (1, 2)),
    ("ketua_rt03", "Ahmad", "Fauzi", Role.RT_CHAIR, (2, 1)),
]
# RT 003/RW 001 and the RTs of RW 003 are left without a chair, as happens between elections.


class Command(BaseCommand):
    help = "Muat kelurahan demo (kantor, RW/RT, petugas, Lurah, Ketua RT). Aman dijalankan ulang."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Izinkan juga saat DJANGO_DEBUG=0 (hati-hati)."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Muat hanya bila basis data belum punya kantor (langkah pertama `make run`).",
        )

    @transaction.atomic
    def handle(self, *args, force: bool = False, if_empty: bool = False, **options):
        # `make run` asks this of the database itself rather than parsing shell output (Django
        # 5.2's shell prints a banner first, and the demo was silently never loaded).
        if if_empty and Office.objects.exists():
            self.stdout.write("Basis data sudah berisi kantor; data demo tidak dimuat.")
            return
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo menolak berjalan di produksi (DJANGO_DEBUG=0) tanpa --force."
            )
        User = get_user_model()
        created = []

        def demo_user(username: str, first: str, last: str):
            user, was_created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if was_created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                created.append(username)
            return user

        def demo_office(fields: dict, staff: list) -> Office:
            kecamatan, _ = Kecamatan.objects.get_or_create(
                name=fields["kecamatan"], city=fields["city"]
            )
            office, _ = Office.objects.get_or_create(
                code=fields["code"], defaults={**fields, "kecamatan_ref": kecamatan}
            )
            rts: dict[tuple[int, int], RT] = {}
            for rw_number, rt_numbers in TERRITORY.items():
                rw, _ = RW.objects.get_or_create(office=office, number=rw_number)
                for rt_number in rt_numbers:
                    rts[(rw_number, rt_number)], _ = RT.objects.get_or_create(
                        rw=rw, number=rt_number
                    )
            for username, first, last, role, rt_key in staff:
                Membership.objects.update_or_create(
                    user=demo_user(username, first, last),
                    defaults={
                        "office": office,
                        "role": role,
                        "rt": rts[rt_key] if rt_key else None,
                    },
                )
            return office

        office = demo_office(OFFICE, STAFF)
        second = demo_office(SECOND_OFFICE, SECOND_STAFF)
        for username, first, last, role, kecamatan_name in OVERSIGHT:
            kecamatan = (
                Kecamatan.objects.get(name=kecamatan_name, city=office.city)
                if kecamatan_name
                else None
            )
            Oversight.objects.update_or_create(
                user=demo_user(username, first, last),
                defaults={"role": role, "kecamatan": kecamatan, "city": office.city},
            )
        admin, was_created = User.objects.get_or_create(
            username="pengelola",
            defaults={"first_name": "Pengelola", "is_staff": True, "is_superuser": True},
        )
        if was_created:
            admin.set_password(DEMO_PASSWORD)
            admin.save(update_fields=["password"])
            created.append("pengelola")

        # The apps above this floor add their own demo rows (services: complaints, SKM;
        # verification: cases in each state) through a ``seed_demo(office)`` method on their
        # AppConfig: kelurahan imports none.
        for config in apps.get_app_configs():
            if config.name != "kelurahan" and callable(getattr(config, "seed_demo", None)):
                for line in config.seed_demo(office):
                    self.stdout.write(line)

        self.stdout.write(
            self.style.SUCCESS(
                f"Kelurahan demo {office.name} ({office.code}) dan {second.name} "
                f"({second.code}) siap; "
                f"pengguna baru: {', '.join(created) or 'tidak ada'}. "
                f"Kata sandi demo: {DEMO_PASSWORD}"
            )
        )
        self.stdout.write(
            "lurah, camat, pengawas_kota dan pengelola memakai verifikasi dua langkah: pada "
            "login pertama pindai kode QR yang tampil dengan aplikasi autentikator (atau: "
            "oathtool --totp -b KUNCI)."
        )
