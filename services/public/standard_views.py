"""The public Standar Pelayanan pages (no login): the index, one page per service, and its
A4 version for the office's notice board."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from services.public.standard import office_for_standard, offices_and_services, standard_for


@login_not_required
@require_GET
def standard_index(request):
    offices, services = offices_and_services()
    return render(request, "public/standard_index.html", {"offices": offices, "services": services})


def _standard(request, service_code: str):
    office = office_for_standard(request.GET.get("kantor"))
    if office is None:
        raise Http404("Pilih kantor kelurahan di halaman Standar Pelayanan.")
    return standard_for(office, service_code)


@login_not_required
@require_GET
def standard_page(request, service_code: str):
    standard = _standard(request, service_code)
    return render(
        request, "public/standard.html", {"standard": standard, "site_url": settings.SITE_URL}
    )


@login_not_required
@require_GET
def standard_print(request, service_code: str):
    """The same content on one A4 sheet (the browser prints it; no navigation around it)."""
    standard = _standard(request, service_code)
    return render(
        request,
        "public/standard_print.html",
        {"standard": standard, "site_url": settings.SITE_URL},
    )
