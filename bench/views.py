"""Endpoints that exist only for the benchmark (settings.BENCH_ENDPOINTS): the floors.

- ``ok``: the cost of Django itself (middleware, session, auth) for a logged-in user; it names
  the user, so the bench can check that the session was read (LoginRequiredMiddleware sends
  an anonymous request to the login page);
- ``queue_from_memory``: the officer's queue template (and its Jinja2 body) rendered from 50
  in-memory rows with the same context, i.e. what the real queue would cost if its queries
  were free;
- ``charts_from_memory``: the supervisor's charts page (the same drawing functions, template
  and date form) from in-memory numbers shaped like an office's eight weeks: the page if its
  seven aggregate queries were free;
- ``status_from_memory``: the resident's status page (no login) for an in-memory case
  waiting at its RT, through the same read model (``public_status``) and template, with the
  same headers: the status page without its queries (it makes none).
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kelurahan.access import office_for, staff_required, supervisor_required
from kelurahan.jinja import render_with_body
from kelurahan.models import RT, RW, Office
from services import chart_page
from services.forms import ChartRangeForm, NikSearchForm, QueueFilterForm
from services.models import Application, ApplicationEvent, ApplicationState, Service
from services.public.status import public_status
from services.selectors import queue_rows
from services.sla import charts as numbers
from services.sla.charts import DateRange
from services.sla.stages import STAGES
from services.survey import ikm_from_sums
from services.views import QUEUE_PAGE_SIZE
from verification.models import VerificationRequest

# The in-memory case of the status floor; its code is the floor's marker (bench.measure).
MEMORY_CASE_CODE = "MEM-2612-0001"
# An officer of the charts floor's in-memory numbers: its marker.
MEMORY_OFFICER = "Petugas Memori 1"


def ok(request):
    return HttpResponse(f"ok: {request.user.get_username()}", content_type="text/plain")


def _rows(office) -> list[Application]:
    service = Service(code="KTP", name="Pembuatan KTP")
    rt = RT(number=1, rw=RW(number=1, office=office))
    now = timezone.now()
    return [
        Application(
            code=f"{office.code}-MEM{i:04d}",
            office=office,
            service=service,
            rt=rt,
            applicant_name=f"Warga Memori {i}",
            received_at=now - timedelta(hours=i),
            archive_due=now + timedelta(hours=i - 10),
        )
        for i in range(QUEUE_PAGE_SIZE)
    ]


@staff_required
def queue_from_memory(request):
    office = office_for(request.user)
    rows = _rows(office)
    for row in rows:
        row.__dict__["queue_due"] = row.archive_due  # a generated column, set as the DB would
    page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(1)
    page.object_list = queue_rows(page.object_list, office)
    return render_with_body(
        request,
        "services/queue.html",
        {
            "filters": QueueFilterForm(None, office=office),
            "nik_form": NikSearchForm(None),
            "nik_searched": False,
            "page": page,
            "query": "",
        },
        body="services/queue.jinja",
    )


def _memory_case() -> Application:
    """A case waiting at its RT, with what ``application_for_status`` would have prefetched."""
    office = Office(
        code="MEM", name="Memori", address="Jl. Kantor Memori No. 1", phone="+62 711 000000"
    )
    now = timezone.now()
    case = Application(
        code=MEMORY_CASE_CODE,
        office=office,
        service=Service(code="SITU", name="Surat Izin Tempat Usaha (SITU)"),
        rt=RT(number=1, rw=RW(number=2, office=office)),
        state=ApplicationState.IN_VERIFICATION,
        applicant_name="Warga Memori Satu",
        received_at=now - timedelta(hours=5),
        issue_due=now + timedelta(days=2),
    )
    steps = [("receive", 5), ("archive", 3), ("send_to_rt", 2)]
    case.public_events = [
        ApplicationEvent(transition=name, at=now - timedelta(hours=hours)) for name, hours in steps
    ]
    case.prefetched_attachments = []
    case.valid_letters = []
    case.public_requests = [VerificationRequest(state="pending")]
    return case


@login_not_required
@never_cache
@require_GET
def status_from_memory(request):
    response = render(request, "public/status.html", {"status": public_status(_memory_case())})
    response["X-Robots-Tag"] = "noindex, nofollow"  # as services.public.views sends it
    return response


def _memory_numbers(period: DateRange) -> dict:
    """Eight weeks of a busy office, in memory, one value per chart of services.chart_page."""
    weeks = [
        numbers.WeekShare(monday, 150, 140 - i, 8 + i, 2) for i, monday in enumerate(period.weeks())
    ]
    services = [("KK", "Kartu Keluarga"), ("KTP", "Pembuatan KTP"), ("NIKAH", "Pengantar Nikah"),
                ("SITU", "Surat Izin Tempat Usaha (SITU)")]  # fmt: skip
    stage_rows = [
        numbers.StageTimes(
            name, code, 300, {s.key: 300 * (k + 2) * 3600 for k, s in enumerate(STAGES)},
            {s.key: 300 for s in STAGES},
        )
        for code, name in services
    ]  # fmt: skip
    stage_rows.append(numbers.StageTimes("Semua layanan", "", 1200, stage_rows[0].seconds,
                                         stage_rows[0].counted))  # fmt: skip
    rts = [
        numbers.BreachCount(f"RT {k:03d}/RW 001", {"archive": k, "verify": 25 - k, "issue": 2})
        for k in range(1, 26)
    ]
    officers = [
        numbers.BreachCount(f"Petugas Memori {k}", {"archive": 10 - k, "verify": 0, "issue": k})
        for k in range(1, 4)
    ]
    bins = [numbers.AgeBin(low, high, label, 40 - 5 * i)
            for i, (low, high, label) in enumerate(numbers.AGE_BINS)]  # fmt: skip
    months = [numbers.MonthIkm(m, ikm_from_sums(48, [48 * 3] * 9)) for m in period.months()]
    return {
        "tepat-waktu": weeks,
        "lama-tahap": stage_rows,
        "pelanggaran-rt": rts,
        "pelanggaran-petugas": officers,
        "umur-permohonan": bins,
        "umur-pengaduan": bins,
        "ikm": months,
    }


@supervisor_required
@never_cache
@require_GET
def charts_from_memory(request):
    office = office_for(request.user)
    form = ChartRangeForm(None, today=timezone.localdate())
    period = form.period
    data = _memory_numbers(period)
    context = {
        "office": office,
        "form": form,
        "period": period,
        "charts": [kind.draw(data[key]) for key, kind in chart_page.CHARTS.items()],
        "query": f"?dari={period.start:%Y-%m-%d}&sampai={period.end:%Y-%m-%d}",
    }
    return render(request, "services/charts.html", context)
