"""Survei Kepuasan Masyarakat (SKM, PermenPANRB 14/2017): the nine elements, the IKM, the
resident's one response per application, paper questionnaires and the supervisor's report.

- ``ELEMENTS``: U1–U9 in the regulation's order, each with its question and its four answers
  in the regulation's words (answer 1 = the worst, 4 = the best).
- ``ikm(rows)``: NRR per element = sum of its answers ÷ respondents; IKM = (Σ NRR × 1/9) × 25,
  computed exactly (fractions, never the rounded 0.111); the grade from the published table.
- ``survey_submit`` (the resident, online, once per application: a unique column decides a
  race) and ``survey_enter_paper`` (an officer types a paper questionnaire); both raise
  ``WorkflowError`` with an Indonesian message.
- ``survey_report(office, service, period)``: the report page's numbers in a fixed number of
  queries, and ``report_csv_rows`` (the same numbers as the page, row by row).

Anonymity: nothing here returns an application, a code or a name beside a response; the
application link exists only so that a case answers once.

May import: ``kelurahan``, ``services.models``, ``services.workflow`` (its error).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from kelurahan.access import office_for
from kelurahan.limits import SUGGESTION_MAX
from services.models import Application, ApplicationState, Service, SurveyResponse
from services.models.survey import (
    AGE_BANDS,
    EDUCATION,
    OCCUPATION,
    SEX,
    SurveyChannel,
)
from services.validators import mask_nik
from services.workflow import WorkflowError, within_limit


@dataclass(frozen=True)
class Element:
    code: str  # "u1" … "u9" (the model's field names)
    label: str  # the regulation's name of the element
    question: str
    answers: tuple[str, str, str, str]  # for the values 1, 2, 3, 4


# The regulation's elements, in its order, with the questions and answer words of its sample
# questionnaire (Lampiran PermenPANRB 14/2017).
ELEMENTS: tuple[Element, ...] = (
    Element(
        "u1",
        "Persyaratan",
        "Bagaimana pendapat Anda tentang kesesuaian persyaratan pelayanan dengan jenis "
        "pelayanannya?",
        ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    ),
    Element(
        "u2",
        "Sistem, mekanisme dan prosedur",
        "Bagaimana pemahaman Anda tentang kemudahan prosedur pelayanan di kelurahan ini?",
        ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
    ),
    Element(
        "u3",
        "Waktu penyelesaian",
        "Bagaimana pendapat Anda tentang kecepatan waktu dalam memberikan pelayanan?",
        ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
    ),
    Element(
        "u4",
        "Biaya/tarif",
        "Bagaimana pendapat Anda tentang kewajaran biaya/tarif dalam pelayanan?",
        ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
    ),
    Element(
        "u5",
        "Produk spesifikasi jenis pelayanan",
        "Bagaimana pendapat Anda tentang kesesuaian produk pelayanan antara yang tercantum "
        "dalam standar pelayanan dengan hasil yang diberikan?",
        ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    ),
    Element(
        "u6",
        "Kompetensi pelaksana",
        "Bagaimana pendapat Anda tentang kompetensi/kemampuan petugas dalam pelayanan?",
        ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
    ),
    Element(
        "u7",
        "Perilaku pelaksana",
        "Bagaimana pendapat Anda tentang perilaku petugas dalam pelayanan terkait kesopanan "
        "dan keramahan?",
        (
            "Tidak sopan dan ramah",
            "Kurang sopan dan ramah",
            "Sopan dan ramah",
            "Sangat sopan dan ramah",
        ),
    ),
    Element(
        "u8",
        "Penanganan pengaduan, saran dan masukan",
        "Bagaimana pendapat Anda tentang penanganan pengaduan pengguna layanan?",
        (
            "Tidak ada",
            "Ada tetapi tidak berfungsi",
            "Berfungsi kurang maksimal",
            "Dikelola dengan baik",
        ),
    ),
    Element(
        "u9",
        "Sarana dan prasarana",
        "Bagaimana pendapat Anda tentang kualitas sarana dan prasarana?",
        ("Buruk", "Cukup", "Baik", "Sangat baik"),
    ),
)
ELEMENT_CODES = tuple(e.code for e in ELEMENTS)

# (lowest two-decimal IKM of the grade, grade, its words), best first.
GRADES: tuple[tuple[Decimal, str, str], ...] = (
    (Decimal("88.31"), "A", "Sangat Baik"),
    (Decimal("76.61"), "B", "Baik"),
    (Decimal("65.00"), "C", "Kurang Baik"),
    (Decimal("25.00"), "D", "Tidak Baik"),
)
GRADE_LABELS = {grade: label for _, grade, label in GRADES}
CENT = Decimal("0.01")
FORMULA = (
    "NRR per unsur = jumlah nilai jawaban unsur itu ÷ jumlah responden. "
    "IKM = (Σ NRR × 1/9) × 25, dengan 1/9 sebagai bobot yang sama bagi kesembilan unsur; "
    "nilai IKM 25–100. Mutu pelayanan: A (Sangat Baik) 88,31–100; B (Baik) 76,61–88,30; "
    "C (Kurang Baik) 65,00–76,60; D (Tidak Baik) 25,00–64,99 (PermenPANRB Nomor 14 Tahun "
    "2017). IKM dibulatkan ke dua desimal (setengah ke atas) sebelum dicocokkan dengan tabel "
    "mutu: 88,305 menjadi 88,31 (A), 88,304 menjadi 88,30 (B)."
)


def round_ikm(value: Fraction | float) -> Decimal:
    """Two decimals, half up, from the exact value (a Fraction stays exact: no float edge)."""
    if isinstance(value, Fraction):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(repr(value))
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def grade_for(value: Fraction | float | Decimal) -> str:
    """The regulation's grade. The table is published in two decimals with gaps between the
    grades (88.30 | 88.31): the IKM is rounded half up to two decimals first, so every value
    lands in exactly one grade and the grade agrees with the IKM the report prints."""
    rounded = value if isinstance(value, Decimal) else round_ikm(value)
    for lowest, grade, _label in GRADES:
        if rounded >= lowest:
            return grade
    raise ValueError(f"IKM {value} is below 25: answers must be 1–4")


@dataclass(frozen=True)
class IkmResult:
    n: int  # respondents
    nrr: list[float]  # NRR of U1 … U9
    ikm: float | None  # 25–100, unrounded; None without respondents
    grade: str  # "A" … "D"; "" without respondents
    exact: Fraction | None = None  # the IKM as an exact fraction

    @property
    def ikm_rounded(self) -> Decimal | None:
        return round_ikm(self.exact) if self.exact is not None else None

    @property
    def grade_label(self) -> str:
        return GRADE_LABELS.get(self.grade, "")


def ikm_from_sums(n: int, sums: Sequence[int]) -> IkmResult:
    """The IKM from the number of respondents and the sum of answers of each element."""
    if len(sums) != len(ELEMENTS):
        raise ValueError("nine element sums expected")
    if n == 0:
        return IkmResult(n=0, nrr=[0.0] * len(ELEMENTS), ikm=None, grade="")
    nrr = [Fraction(total, n) for total in sums]
    exact = sum(nrr, Fraction(0)) * Fraction(1, 9) * 25
    return IkmResult(
        n=n, nrr=[float(v) for v in nrr], ikm=float(exact), grade=grade_for(exact), exact=exact
    )


def ikm(rows: Iterable[Sequence[int]]) -> IkmResult:
    """``rows``: one 9-tuple of answers (1–4, U1…U9) per respondent."""
    n = 0
    sums = [0] * len(ELEMENTS)
    for row in rows:
        if len(row) != len(ELEMENTS):
            raise ValueError(f"a response has nine answers, got {len(row)}")
        for i, answer in enumerate(row):
            if answer not in (1, 2, 3, 4):
                raise ValueError(f"answers are 1–4, got {answer!r}")
            sums[i] += answer
        n += 1
    return ikm_from_sums(n, sums)


# --- writes ----------------------------------------------------------------------------------
PROFILE_FIELDS = ("sex", "age_band", "education", "occupation")
# A NIK or KK number typed into a suggestion would name the respondent on the staff report.
SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


def clean_suggestion(text: str) -> str:
    text = SIXTEEN_DIGITS.sub(lambda m: mask_nik(m.group(0)), text).strip()
    return within_limit(text, SUGGESTION_MAX, "Saran")


USED = "Survei untuk permohonan ini sudah diisi. Terima kasih, jawaban Anda sudah kami terima."


def _answers(answers: dict) -> dict:
    missing = [e.label for e in ELEMENTS if answers.get(e.code) not in (1, 2, 3, 4)]
    if missing:
        raise WorkflowError("Jawaban belum lengkap: " + ", ".join(missing) + ".")
    return {e.code: answers[e.code] for e in ELEMENTS}


def survey_submit(*, application: Application, answers: dict, profile: dict, suggestion: str = ""):
    """The resident's one online response for a completed case.

    A second submission (a double tap, two tabs, a shared link) loses the race on the unique
    ``application`` column and gets ``USED``; the first response stays as it was.
    """
    if application.state != ApplicationState.COMPLETED:
        raise WorkflowError("Survei dibuka setelah surat diserahkan kepada Anda.")
    values = _answers(answers)
    try:
        with transaction.atomic():
            return SurveyResponse.objects.create(
                office_id=application.office_id,
                service_id=application.service_id,
                application=application,
                channel=SurveyChannel.ONLINE,
                suggestion=clean_suggestion(suggestion),
                **values,
                **{name: profile.get(name, "") for name in PROFILE_FIELDS},
            )
    except IntegrityError as exc:
        raise WorkflowError(USED) from exc


def survey_enter_paper(*, office, service, by, answers: dict, profile: dict, suggestion: str = ""):
    """A paper questionnaire typed in by an officer of ``office`` (no application link: paper
    is anonymous). ``by`` is checked, not stored next to the answers."""
    if office_for(by) != office:
        raise WorkflowError("Hanya petugas kantor ini yang dapat memasukkan kuesioner kertas.")
    if not service.active:
        raise WorkflowError("Layanan ini tidak aktif.")
    return SurveyResponse.objects.create(
        office=office,
        service=service,
        channel=SurveyChannel.PAPER,
        suggestion=clean_suggestion(suggestion),
        **_answers(answers),
        **{name: profile.get(name, "") for name in PROFILE_FIELDS},
    )


# --- the report ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """A semester (``2026-S1``: January–June, ``2026-S2``: July–December) or a year (``2026``)."""

    year: int
    half: int  # 1, 2, or 0 for the whole year

    @classmethod
    def parse(cls, value: str | None, today: date | None = None) -> Period:
        today = today or timezone.localdate()
        value = (value or "").strip().upper()
        match = re.fullmatch(r"(20\d\d)(?:-S([12]))?", value)
        if match is None:
            return cls.current(today)
        return cls(int(match[1]), int(match[2] or 0))

    @classmethod
    def current(cls, today: date) -> Period:
        return cls(today.year, 1 if today.month <= 6 else 2)

    @property
    def key(self) -> str:
        return f"{self.year}-S{self.half}" if self.half else str(self.year)

    @property
    def label(self) -> str:
        if self.half == 1:
            return f"Semester I (Januari–Juni) {self.year}"
        if self.half == 2:
            return f"Semester II (Juli–Desember) {self.year}"
        return f"Tahun {self.year}"

    def bounds(self) -> tuple[datetime, datetime]:
        first_month, end = {
            0: (1, (self.year + 1, 1)),
            1: (1, (self.year, 7)),
            2: (7, (self.year + 1, 1)),
        }[self.half]
        tz = timezone.get_default_timezone()
        start = datetime.combine(date(self.year, first_month, 1), time.min, tz)
        stop = datetime.combine(date(end[0], end[1], 1), time.min, tz)
        return start, stop

    def choices(self, today: date | None = None, years: int = 3) -> list[tuple[str, str]]:
        today = today or timezone.localdate()
        options = []
        for year in range(today.year, today.year - years, -1):
            for p in (Period(year, 2), Period(year, 1), Period(year, 0)):
                if p.bounds()[0].date() <= today:
                    options.append((p.key, p.label))
        return options


@dataclass(frozen=True)
class ProfileTable:
    title: str
    rows: list[tuple[str, int, str]]  # label, respondents, share ("12,5%")


@dataclass(frozen=True)
class ElementRow:
    code: str  # "U1"
    label: str
    total: int
    nrr: float
    weighted: float  # NRR × 1/9

    @property
    def nrr_text(self) -> str:
        return _fmt(self.nrr)

    @property
    def weighted_text(self) -> str:
        return _fmt(self.weighted, 3)


@dataclass
class SurveyReport:
    office_name: str
    service_label: str
    period: Period
    result: IkmResult
    elements: list[ElementRow] = field(default_factory=list)
    channels: list[tuple[str, int]] = field(default_factory=list)
    profiles: list[ProfileTable] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    formula: str = FORMULA

    @property
    def ikm_text(self) -> str:
        return _comma(self.result.ikm_rounded) if self.result.n else "–"


def _comma(value) -> str:
    return f"{value:.2f}".replace(".", ",")


def _fmt(value: float, places: int = 2) -> str:
    return f"{value:.{places}f}".replace(".", ",")


def survey_report(
    office, service=None, period: Period | None = None, *, elements_only: bool = False
) -> SurveyReport:
    """The report in four queries whatever the number of responses: element sums, channels,
    one grouped count of the profile fields, and the suggestions' text (nothing beside it).
    ``elements_only``: the first query alone (the IKM on the Standar Pelayanan page)."""
    period = period or Period.current(timezone.localdate())
    start, stop = period.bounds()
    responses = SurveyResponse.objects.filter(
        office=office, created_at__gte=start, created_at__lt=stop
    )
    if service is not None:
        responses = responses.filter(service=service)
    sums = responses.aggregate(n=Count("id"), **{c: Sum(c) for c in ELEMENT_CODES})
    n = sums["n"]
    result = ikm_from_sums(n, [sums[c] or 0 for c in ELEMENT_CODES])
    elements = [
        ElementRow(
            code=e.code.upper(),
            label=e.label,
            total=sums[e.code] or 0,
            nrr=nrr,
            weighted=nrr / 9,
        )
        for e, nrr in zip(ELEMENTS, result.nrr, strict=True)
    ]
    if elements_only:
        return SurveyReport(office.name, "", period, result, elements)
    channel_counts = dict(responses.values_list("channel").annotate(k=Count("id")).order_by())
    channels = [(label, channel_counts.get(value, 0)) for value, label in SurveyChannel.choices]
    profiles = _profiles(responses, n)
    suggestions = list(
        responses.exclude(suggestion="")
        .order_by("created_at", "id")
        .values_list("suggestion", flat=True)
    )
    return SurveyReport(
        office_name=office.name,
        service_label=service.name if service is not None else "Semua layanan",
        period=period,
        result=result,
        elements=elements,
        channels=channels,
        profiles=profiles,
        suggestions=suggestions,
    )


PROFILE_TABLES = (
    ("sex", "Jenis kelamin", SEX),
    ("age_band", "Umur", AGE_BANDS),
    ("education", "Pendidikan terakhir", EDUCATION),
    ("occupation", "Pekerjaan utama", OCCUPATION),
)


def _profiles(responses, n: int) -> list[ProfileTable]:
    # One grouped query over all four fields, split in Python (a handful of rows).
    counts: dict[tuple[str, str], int] = {}
    for row in responses.values(*PROFILE_FIELDS).annotate(k=Count("id")).order_by():
        for name in PROFILE_FIELDS:
            counts[(name, row[name])] = counts.get((name, row[name]), 0) + row["k"]
    tables = []
    for name, title, choices in PROFILE_TABLES:
        rows = []
        for value, label in [*choices, ("", "Tidak diisi")]:
            k = counts.get((name, value), 0)
            if value == "" and not k:
                continue
            rows.append((label, k, _fmt(100 * k / n if n else 0.0, 1) + "%"))
        tables.append(ProfileTable(title=title, rows=rows))
    return tables


def report_csv_rows(report: SurveyReport) -> list[list[str]]:
    """The page's numbers, row by row, formatted as the page prints them."""
    result = report.result
    rows = [
        ["Laporan Survei Kepuasan Masyarakat (SKM)"],
        ["Kelurahan", report.office_name],
        ["Layanan", report.service_label],
        ["Periode", report.period.label],
        ["Jumlah responden", str(result.n)],
        [],
        ["Unsur", "Nama unsur", "Jumlah nilai", "NRR", "NRR tertimbang (× 1/9)"],
    ]
    rows += [[e.code, e.label, str(e.total), e.nrr_text, e.weighted_text] for e in report.elements]
    rows += [
        ["IKM", report.ikm_text],
        ["Mutu pelayanan", f"{result.grade} ({result.grade_label})" if result.n else "–"],
        [],
    ]
    for table in report.profiles:
        rows.append([table.title, "Jumlah", "Persen"])
        rows += [[label, str(k), share] for label, k, share in table.rows]
        rows.append([])
    rows.append(["Saran dan masukan"])
    rows += [[text] for text in report.suggestions]
    rows += [[], ["Rumus", report.formula]]
    return rows


# --- reads the survey pages need ----------------------------------------------------------------
def application_for_survey(token: str) -> Application | None:
    """The case behind a status link, with whether it has answered (one query)."""
    return (
        Application.objects.select_related("service", "office", "survey_response")
        .filter(status_token=token)
        .first()
    )


def has_response(application: Application) -> bool:
    """Whether the case has answered, from ``application_for_survey``'s join (no query)."""
    try:
        return application.survey_response is not None
    except SurveyResponse.DoesNotExist:
        return False


def survey_services() -> list[Service]:
    """The services a questionnaire may be about (the report's filter, the paper form)."""
    return list(Service.objects.active().order_by("order", "name"))


def service_by_code(services: list[Service], code: str | None) -> Service | None:
    return next((s for s in services if s.code == code), None)
