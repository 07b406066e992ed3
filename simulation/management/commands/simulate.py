"""``manage.py simulate``: replay working days of one or more offices through the real workflow
and print the tables (simulation.engine, simulation.report). Writes to the database it runs on:
use a database of its own (``make demo-month``)."""

import json
import time
from datetime import date
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from kelurahan.models import Office
from simulation.engine import (
    DEFAULT_MIX,
    Config,
    Delay,
    SimulationError,
    parse_hours,
    parse_mix,
    simulate,
)
from simulation.report import build_report, render_text

DEMO_OFFICE = "BKS"  # kelurahan's seed_demo office
DEFAULTS = Config()


def _delay(text: str) -> Delay:
    try:
        return Delay.parse(text)
    except SimulationError as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = (
        "Simulasikan hari kerja kantor kelurahan lewat alur kerja yang sebenarnya (permohonan, "
        "verifikasi RT, surat, pengaduan, SKM, sapuan SLA) dengan jam yang dimajukan, lalu "
        "cetak tabel per tahap, layanan dan RT. Menulis ke basis data: pakai basis data "
        "tersendiri (make demo-month)."
    )

    def add_arguments(self, parser):
        d = DEFAULTS
        parser.add_argument(
            "--days", type=int, default=d.days, metavar="N", help=f"Hari kerja (bawaan {d.days})."
        )
        parser.add_argument(
            "--start",
            type=date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="Hari pertama, YYYY-MM-DD (bawaan: sekian hari kerja sebelum hari ini).",
        )
        parser.add_argument(
            "--office",
            action="append",
            dest="offices",
            metavar="KODE",
            help=f"Kode kantor, boleh berulang (bawaan {DEMO_OFFICE}, dibuat seed_demo bila "
            "belum ada).",
        )
        parser.add_argument(
            "--per-day",
            type=float,
            default=d.per_day,
            metavar="N",
            help=f"Permohonan per hari kerja per kantor, rata-rata (bawaan {d.per_day:g}).",
        )
        parser.add_argument(
            "--mix",
            type=parse_mix,
            default=dict(DEFAULT_MIX),
            metavar="KODE=BOBOT,…",
            help="Campuran layanan, bobot per kode (bawaan "
            + ",".join(f"{k}={round(v * 100)}" for k, v in DEFAULT_MIX.items())
            + ").",
        )
        parser.add_argument(
            "--incomplete",
            type=float,
            default=d.incomplete,
            metavar="BAGIAN",
            help=f"Bagian permohonan yang kurang berkas (bawaan {d.incomplete:g}).",
        )
        parser.add_argument(
            "--resubmit",
            type=float,
            default=d.resubmit,
            metavar="BAGIAN",
            help="Bagian permohonan belum lengkap yang dilengkapi pemohon "
            f"(bawaan {d.resubmit:g}).",
        )
        parser.add_argument(
            "--resubmit-days",
            type=_delay,
            default=d.resubmit_days,
            metavar="SEBARAN",
            help=f"Hari kerja sampai pemohon kembali (bawaan {d.resubmit_days}).",
        )
        parser.add_argument(
            "--rt-return",
            type=float,
            default=d.rt_return,
            metavar="BAGIAN",
            help=f"Bagian jawaban RT yang mengembalikan berkas (bawaan {d.rt_return:g}).",
        )
        parser.add_argument(
            "--neighbours",
            type=float,
            default=d.neighbours,
            metavar="BAGIAN",
            help=f"Bagian permintaan RT yang perlu kesaksian tetangga (bawaan {d.neighbours:g}).",
        )
        parser.add_argument(
            "--officer-capacity",
            type=int,
            default=d.officer_capacity,
            metavar="N",
            help="Pekerjaan per petugas per hari kerja (terima, periksa, terbit, serahkan; "
            f"bawaan {d.officer_capacity}).",
        )
        parser.add_argument(
            "--officer-hours",
            type=parse_hours,
            metavar="HH:MM-HH:MM",
            help="Jam kerja petugas HH:MM-HH:MM (bawaan: jam kantor SLA_OFFICE_OPENS–CLOSES).",
        )
        parser.add_argument(
            "--rt-delay",
            type=_delay,
            default=d.rt_delay,
            metavar="SEBARAN",
            help="Jeda jawaban Ketua RT dalam jam: lognormal:MEDIAN,SIGMA, exp:RATA2, "
            f"uniform:MIN,MAKS atau fixed:JAM (bawaan {d.rt_delay}).",
        )
        parser.add_argument(
            "--unresponsive-rt",
            nargs="?",
            const="",
            metavar="RT/RW",
            help="Satu Ketua RT tidak pernah menjawab (mis. 002/001; tanpa nilai: RT pertama "
            "yang punya Ketua RT).",
        )
        parser.add_argument(
            "--courier",
            type=float,
            default=d.courier,
            metavar="BAGIAN",
            help=f"Bagian surat yang dikirim kurir (bawaan {d.courier:g}).",
        )
        parser.add_argument(
            "--electronic",
            type=float,
            default=d.electronic,
            metavar="BAGIAN",
            help=f"Bagian yang mengunduh sendiri, bila layanannya boleh (bawaan {d.electronic:g}).",
        )
        parser.add_argument(
            "--complaints-per-day",
            type=float,
            default=d.complaints_per_day,
            metavar="N",
            help=f"Pengaduan per hari kerja per kantor (bawaan {d.complaints_per_day:g}).",
        )
        parser.add_argument(
            "--survey-rate",
            type=float,
            default=d.survey_rate,
            metavar="BAGIAN",
            help=f"Bagian pemohon selesai yang mengisi SKM (bawaan {d.survey_rate:g}).",
        )
        parser.add_argument(
            "--no-pdf",
            action="store_true",
            help="Jangan buat PDF dengan WeasyPrint (lebih cepat): surat dan bundel arsip "
            "berupa satu halaman kosong.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=d.seed,
            metavar="N",
            help="Benih acak: benih sama, bulan sama.",
        )
        parser.add_argument("--json", type=Path, metavar="PATH", help="Tulis laporan ke JSON.")

    def handle(self, *args, **options):
        offices = self._offices(options["offices"] or [DEMO_OFFICE])
        config = Config(
            days=options["days"],
            start=options["start"],
            per_day=options["per_day"],
            mix=options["mix"],
            incomplete=options["incomplete"],
            resubmit=options["resubmit"],
            resubmit_days=options["resubmit_days"],
            rt_return=options["rt_return"],
            neighbours=options["neighbours"],
            officer_capacity=options["officer_capacity"],
            officer_hours=options["officer_hours"],
            rt_delay=options["rt_delay"],
            unresponsive_rt=options["unresponsive_rt"],
            courier=options["courier"],
            electronic=options["electronic"],
            complaints_per_day=options["complaints_per_day"],
            survey_rate=options["survey_rate"],
            pdf=not options["no_pdf"],
            seed=options["seed"],
        )
        started = time.perf_counter()
        try:
            outcome = simulate(config, offices)
        except SimulationError as exc:
            raise CommandError(str(exc)) from exc
        report = build_report(outcome, config.as_dict())
        self.stdout.write(render_text(report), ending="")
        for refusal in outcome.refused[:10]:
            self.stderr.write(f"  ditolak: {refusal}")
        if options["json"]:
            options["json"].write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
            self.stdout.write(f"Laporan JSON: {options['json']}")
        self.stdout.write(
            f"Waktu jalan: {time.perf_counter() - started:.1f} detik ({outcome.events} peristiwa)."
        )

    def _offices(self, codes: list[str]) -> list[Office]:
        if codes == [DEMO_OFFICE] and not Office.objects.filter(code=DEMO_OFFICE).exists():
            call_command("seed_demo", stdout=self.stdout)
        found = {o.code: o for o in Office.objects.filter(code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            raise CommandError(f"Kantor tidak ditemukan: {', '.join(missing)}.")
        return [found[code] for code in dict.fromkeys(codes)]
