"""Endpoints that exist only for the benchmark (settings.BENCH_ENDPOINTS): the floors.

- ``ok``: the cost of Django itself (middleware, session, auth) for a logged-in user; it names
  the user, so the bench can check that the session was read (LoginRequiredMiddleware sends
  an anonymous request to the login page);
- ``queue_from_memory``: the officer's queue template rendered from 50 in-memory rows with
  the same context, i.e. what the real queue would cost if its queries were free.
"""

from datetime import timedelta

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kelurahan.access import office_for, staff_required
from kelurahan.models import RT, RW
from services.forms import NikSearchForm, QueueFilterForm
from services.models import Application, Service
from services.selectors import with_time_left
from services.views import QUEUE_PAGE_SIZE


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
    page.object_list = with_time_left(page.object_list, office)
    return render(
        request,
        "services/queue.html",
        {
            "filters": QueueFilterForm(None, office=office),
            "nik_form": NikSearchForm(None),
            "nik_searched": False,
            "page": page,
            "query": "",
        },
    )
