"""The supervisor's access-log pages (UU PDP): the office's log, and one case's
"siapa yang melihat data ini", printable for a resident who asks."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kelurahan.access import office_for, supervisor_required
from services.access_log import (
    AccessLogFilterForm,
    Range,
    access_log_for_application,
    access_log_for_office,
    entries,
)
from services.selectors import get_application_for_user

PAGE_SIZE = 100


@supervisor_required
@require_GET
@never_cache
def access_log(request):
    office = office_for(request.user)
    # Always bound: with no filter the form's defaults apply (the last week, everyone).
    form = AccessLogFilterForm(request.GET, office=office)
    page = None
    if form.is_valid():
        rows = access_log_for_office(
            office,
            user_id=form.cleaned_data["pengguna"],
            period=Range(form.cleaned_data["dari"], form.cleaned_data["sampai"]),
        )
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("halaman"))
        page.entries = entries(page.object_list)
    query = request.GET.copy()
    query.pop("halaman", None)
    return render(
        request,
        "services/access_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@supervisor_required
@require_GET
@never_cache
def application_access_log(request, code: str):
    application = get_application_for_user(request.user, code)
    return render(
        request,
        "services/application_access_log.html",
        {"application": application, "entries": entries(access_log_for_application(application))},
    )
