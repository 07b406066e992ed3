"""The supervisor's charts page: each chart's numbers (``services.sla.charts``), the table
that is its accessible equivalent (and its CSV), and its SVG geometry (``services.svg_charts``).

``charts(office, period, now)`` builds every chart of the page; ``chart(key, …)`` builds one
(its CSV download runs that chart's query only). ``offices`` may be one office or several.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services import svg_charts
from services.models import Milestone
from services.sla import charts as numbers
from services.sla.calendar import calendars_for
from services.sla.stages import STAGES

SHOWN_BARS = 10  # RTs or officers drawn; the table lists all
SLA_DAYS = 3  # an item this many working days old is past the 3-day promise


def comma(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{value:.{places}f}".replace(".", ",")


def percent(value: float | None) -> str:
    return "–" if value is None else f"{comma(value)}%"


@dataclass(frozen=True)
class Chart:
    key: str  # its slug in the CSV's URL
    title: str
    description: str  # what it counts, for the SVG's <desc> and the page
    kind: str  # the template in templates/services/charts/: line, hbars, columns
    svg: dict
    headers: list[str]
    rows: list[list[str]]
    empty: bool = False  # nothing to draw: the page says so instead of an empty chart

    @property
    def labelled_rows(self) -> list[list[tuple[str, str]]]:
        """Each cell with its column's header (the phone layout labels every cell)."""
        return [list(zip(self.headers, row, strict=True)) for row in self.rows]

    @property
    def csv_rows(self) -> list[list[str]]:
        return [self.headers, *self.rows]


def on_time_chart(weeks: list[numbers.WeekShare]) -> Chart:
    labels = [numbers.short_day(w.week) for w in weeks]
    return Chart(
        key="tepat-waktu",
        title="Surat terbit tepat waktu per minggu",
        description=(
            "Persentase surat yang terbit paling lambat hari kerja ke-3, per minggu batas "
            "waktunya; surat yang belum terbit dan masih dalam batas waktu belum dihitung."
        ),
        kind="line",
        svg=svg_charts.line(labels, [w.share for w in weeks], suffix="%"),
        headers=[
            "Minggu mulai",
            "Jatuh tempo",
            "Tepat waktu",
            "Terlambat",
            "Belum jatuh tempo",
            "Tepat waktu (%)",
        ],
        rows=[
            [
                numbers.long_day(w.week),
                str(w.due),
                str(w.on_time),
                str(w.late),
                str(w.pending),
                percent(w.share),
            ]
            for w in weeks
        ],
        empty=not any(w.decided for w in weeks),
    )


def stage_chart(rows: list[numbers.StageTimes]) -> Chart:
    per_service = [r for r in rows if r.code]
    return Chart(
        key="lama-tahap",
        title="Lama tiap tahap (jam kerja)",
        description=(
            "Rata-rata jam kerja tiap tahap (arsip, verifikasi RT, terbit surat) dari surat "
            "yang terbit dalam rentang ini, per layanan; jam kerja dihitung dengan kalender "
            "kantor (hari libur dan cuti bersama tidak dihitung)."
        ),
        kind="hbars",
        svg=svg_charts.hbars(
            [r.label for r in per_service],
            [[r.hours(s.key) or 0 for s in STAGES] for r in per_service],
            series=[s.label for s in STAGES],
        ),
        headers=["Layanan", "Surat terbit", *[f"{s.label} (jam)" for s in STAGES], "Jumlah (jam)"],
        rows=[
            [
                r.label,
                str(r.letters),
                *[comma(r.hours(s.key)) for s in STAGES],
                comma(r.total_hours),
            ]
            for r in rows
        ],
        empty=not per_service,
    )


def _breach_chart(key, title, who, header, counts) -> Chart:
    shown = counts[:SHOWN_BARS]
    return Chart(
        key=key,
        title=title,
        description=(
            f"Jumlah pelanggaran SLA per {who} yang batas waktunya jatuh dalam rentang ini"
            + (
                f"; grafik menampilkan {SHOWN_BARS} teratas, tabel semuanya."
                if len(counts) > SHOWN_BARS
                else "."
            )
        ),
        kind="hbars",
        svg=svg_charts.hbars(
            [c.label for c in shown],
            [[c.by_milestone[m] for m in Milestone.values] for c in shown],
            series=Milestone.labels,
        ),
        headers=[header, *Milestone.labels, "Jumlah"],
        rows=[
            [c.label, *[str(c.by_milestone[m]) for m in Milestone.values], str(c.total)]
            for c in counts
        ],
        empty=not counts,
    )


def breaches_rt_chart(counts: list[numbers.BreachCount]) -> Chart:
    return _breach_chart(
        "pelanggaran-rt",
        "Pelanggaran SLA per RT",
        "RT pemohon",
        "RT",
        counts,
    )


def breaches_officer_chart(counts: list[numbers.BreachCount]) -> Chart:
    return _breach_chart(
        "pelanggaran-petugas",
        "Pelanggaran SLA per petugas",
        "petugas pencatat (yang menerima permohonan di loket)",
        "Petugas pencatat",
        counts,
    )


def _age_chart(key, title, description, what, bins) -> Chart:
    return Chart(
        key=key,
        title=title,
        description=description,
        kind="columns",
        svg={
            **svg_charts.columns(
                [b.label for b in bins],
                [b.count for b in bins],
                highlight=[b.low >= SLA_DAYS for b in bins],
            ),
            "caption": "hari kerja (oranye: 3 hari kerja atau lebih)",
        },
        headers=["Umur (hari kerja)", what],
        rows=[[b.label, str(b.count)] for b in bins],
        empty=not any(b.count for b in bins),
    )


def open_cases_chart(bins: list[numbers.AgeBin]) -> Chart:
    return _age_chart(
        "umur-permohonan",
        "Permohonan berjalan menurut umur",
        "Permohonan yang masih berjalan dan suratnya belum terbit saat ini, menurut jumlah hari "
        "kerja sejak diterima (0: diterima hari ini atau sejak hari kerja terakhir). Tidak "
        "tergantung rentang tanggal.",
        "Permohonan",
        bins,
    )


def open_complaints_chart(bins: list[numbers.AgeBin]) -> Chart:
    return _age_chart(
        "umur-pengaduan",
        "Pengaduan belum dijawab menurut umur",
        "Pengaduan yang masih menunggu diverifikasi atau dijawab saat ini, menurut jumlah hari "
        "kerja sejak masuk. Tidak tergantung rentang tanggal.",
        "Pengaduan",
        bins,
    )


def ikm_chart(months: list[numbers.MonthIkm]) -> Chart:
    values = [float(m.ikm) if m.ikm is not None else None for m in months]
    low = min((v for v in values if v is not None), default=100)
    return Chart(
        key="ikm",
        title="Indeks Kepuasan Masyarakat (IKM) per bulan",
        description=(
            "IKM dari kuesioner SKM yang diisi dalam rentang ini, per bulan, dihitung sama "
            "dengan laporan SKM (PermenPANRB 14/2017); bulan pertama dan terakhir hanya "
            "menghitung hari di dalam rentang."
        ),
        kind="line",
        svg=svg_charts.line(
            [f"{numbers.MONTHS[m.month.month - 1]} {m.month.year}" for m in months],
            values,
            y_min=25 if low < 60 else 60,
            y_max=100,
        ),
        headers=["Bulan", "Responden", "IKM", "Mutu"],
        rows=[
            [
                f"{numbers.MONTHS[m.month.month - 1]} {m.month.year}",
                str(m.result.n),
                comma(m.ikm, 2) if m.ikm is not None else "–",
                m.result.grade or "–",
            ]
            for m in months
        ],
        empty=not any(m.result.n for m in months),
    )


@dataclass(frozen=True)
class Kind:
    """How one chart is made: its numbers (one query) and its drawing (none)."""

    fetch: Callable  # (offices, period, now, calendars) -> the numbers
    draw: Callable  # the numbers -> Chart


CHARTS: dict[str, Kind] = {
    "tepat-waktu": Kind(lambda o, p, n, c: numbers.on_time_by_week(o, p, n), on_time_chart),
    "lama-tahap": Kind(lambda o, p, n, c: numbers.stage_hours_by_service(o, p), stage_chart),
    "pelanggaran-rt": Kind(lambda o, p, n, c: numbers.breaches_by_rt(o, p), breaches_rt_chart),
    "pelanggaran-petugas": Kind(
        lambda o, p, n, c: numbers.breaches_by_officer(o, p), breaches_officer_chart
    ),
    "umur-permohonan": Kind(
        lambda o, p, n, c: numbers.open_cases_by_age(o, n, c), open_cases_chart
    ),
    "umur-pengaduan": Kind(
        lambda o, p, n, c: numbers.open_complaints_by_age(o, n, c), open_complaints_chart
    ),
    "ikm": Kind(lambda o, p, n, c: numbers.ikm_by_month(o, p), ikm_chart),
}


def charts(offices, period: numbers.DateRange, now: datetime) -> list[Chart]:
    """Every chart of the page, in its order (the office calendars read once for all)."""
    offices = numbers.office_list(offices)
    calendars = calendars_for(offices)
    return [kind.draw(kind.fetch(offices, period, now, calendars)) for kind in CHARTS.values()]


def chart(key: str, offices, period: numbers.DateRange, now: datetime) -> Chart | None:
    """One chart by its slug (None: no such chart); only its own query runs."""
    kind = CHARTS.get(key)
    if kind is None:
        return None
    offices = numbers.office_list(offices)
    return kind.draw(kind.fetch(offices, period, now, calendars_for(offices)))
