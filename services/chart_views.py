"""The supervisor's charts page (/dasbor/<office>/grafik/) and each chart's CSV."""

from __future__ import annotations

import csv
import io

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kelurahan.access import supervised_office, supervisor_required
from services import chart_page
from services.forms import ChartRangeForm


def _range_form(request) -> ChartRangeForm:
    data = request.GET if {"dari", "sampai"} & set(request.GET) else None
    return ChartRangeForm(data, today=timezone.localdate())


@supervisor_required
@require_GET
@never_cache
def charts(request, office_code: str):
    office = supervised_office(request.user, office_code)
    form = _range_form(request)
    period = form.period
    context = {
        "office": office,
        "form": form,
        "period": period,
        "charts": chart_page.charts(office, period, timezone.now()),
        "query": f"?dari={period.start:%Y-%m-%d}&sampai={period.end:%Y-%m-%d}",
    }
    return render(request, "services/charts.html", context)


@supervisor_required
@require_GET
@never_cache
def chart_csv(request, office_code: str, chart: str):
    office = supervised_office(request.user, office_code)
    form = _range_form(request)
    if form.is_bound and not form.is_valid():
        errors = " ".join(e for errs in form.errors.values() for e in errs)
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    period = form.period
    built = chart_page.chart(chart, office, period, timezone.now())
    if built is None:
        raise Http404("Grafik tidak ditemukan.")
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads UTF-8 ("–", "ü") only with the BOM
    csv.writer(buffer).writerows(built.csv_rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"{built.key}-{office.code}-{period.key}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
