"""Demo SKM responses for the demo kelurahan: enough paper questionnaires for a report.

Run by ``seed_demo`` (through services' AppConfig ``seed_demo`` hook: kelurahan imports no app).
Idempotent: an office that already has survey responses gets none.
"""

import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from kelurahan.models import Office
from services.models import Service, SurveyResponse
from services.models.survey import AGE_BANDS, EDUCATION, OCCUPATION, SEX

RESPONSES = 48
SUGGESTIONS = [
    "Ruang tunggu perlu kipas angin.",
    "Petugas ramah dan cepat, terima kasih.",
    "Mohon info persyaratan ditempel di depan kantor.",
    "Antrean pagi panjang, tambah petugas di jam 8–10.",
    "Pelayanan lewat WhatsApp sangat membantu.",
    "Parkir motor sempit.",
]


class Command(BaseCommand):
    help = "Muat jawaban survei kepuasan (SKM) demo untuk kantor demo. Aman dijalankan ulang."

    def add_arguments(self, parser):
        parser.add_argument("--office", default="BKS", help="Kode kantor (bawaan: BKS).")

    @transaction.atomic
    def handle(self, *args, office: str = "BKS", **options):
        target = Office.objects.filter(code=office).first()
        if target is None or SurveyResponse.objects.filter(office=target).exists():
            self.stdout.write("Survei demo tidak dimuat (kantor tidak ada atau sudah berisi).")
            return
        services = list(Service.objects.active())
        rng = random.Random(14)  # the same demo every time
        now = timezone.now()
        SurveyResponse.objects.bulk_create(
            SurveyResponse(
                office=target,
                service=services[i % len(services)],
                channel="kertas",
                created_at=now - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 8)),
                sex=rng.choice(SEX)[0],
                age_band=rng.choice(AGE_BANDS)[0],
                education=rng.choice(EDUCATION)[0],
                occupation=rng.choice(OCCUPATION)[0],
                suggestion=SUGGESTIONS[i % len(SUGGESTIONS)] if i % 4 == 0 else "",
                # Mostly 3 and 4, element U9 (sarana) a little lower, as offices tend to see.
                **{
                    f"u{e}": rng.choices(
                        (1, 2, 3, 4), weights=(1, 3, 10, 8) if e != 9 else (2, 6, 10, 3)
                    )[0]
                    for e in range(1, 10)
                },
            )
            for i in range(RESPONSES)
        )
        self.stdout.write(self.style.SUCCESS(f"{RESPONSES} jawaban survei demo dimuat."))
