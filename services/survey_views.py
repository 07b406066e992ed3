"""Staff pages of the SKM survey: the supervisor's report (page, CSV, PDF) and the officer's
entry of paper questionnaires. Responses are counted, never listed next to a case or name."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from kelurahan.access import office_for, staff_required, supervisor_required
from services.letters.pdf import render_pdf
from services.survey import (
    Period,
    report_csv_rows,
    service_by_code,
    survey_enter_paper,
    survey_report,
    survey_services,
)
from services.survey_forms import PaperSurveyForm
from services.web import run_step


def _report(request):
    office = office_for(request.user)
    services = survey_services()
    service = service_by_code(services, request.GET.get("layanan"))
    period = Period.parse(request.GET.get("periode"))
    report = survey_report(office, service, period)
    return office, services, service, period, report


def _query(service, period) -> str:
    return f"?periode={period.key}" + (f"&layanan={service.code}" if service else "")


def _filename(office, service, period, ext: str) -> str:
    return f"skm-{office.code}-{service.code if service else 'semua'}-{period.key}.{ext}"


@supervisor_required
@require_GET
def skm_report(request):
    office, services, service, period, report = _report(request)
    context = {
        "report": report,
        "services": services,
        "service": service,
        "period": period,
        "periods": period.choices(),
        "query": _query(service, period),
    }
    return render(request, "services/skm_report.html", context)


@supervisor_required
@require_GET
def skm_report_csv(request):
    office, _services, service, period, report = _report(request)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads UTF-8 (NRR, "–", "×") only with the BOM
    csv.writer(buffer).writerows(report_csv_rows(report))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = _filename(office, service, period, "csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@supervisor_required
@require_GET
def skm_report_pdf(request):
    office, _services, service, period, report = _report(request)
    pdf = render_pdf(
        "services/skm_report_pdf.html",
        {"report": report, "office": office},
        stylesheets=["css/skm_pdf.css"],
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = _filename(office, service, period, "pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def skm_paper(request):
    """Type in one paper questionnaire; the form comes back empty for the next one."""
    office = office_for(request.user)
    services = survey_services()
    form = PaperSurveyForm(request.POST or None, services=services)
    if form.is_valid():
        done = run_step(
            request,
            survey_enter_paper,
            success="Kuesioner kertas tersimpan. Masukkan kuesioner berikutnya.",
            redirect_to="services:skm_paper",
            form=form,
            office=office,
            service=service_by_code(services, form.cleaned_data["service"]),
            answers=form.answers,
            profile=form.profile,
            suggestion=form.cleaned_data["suggestion"],
        )
        if done is not None:
            return done
    return render(request, "services/skm_paper.html", {"form": form, "office": office})
