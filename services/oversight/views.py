"""The oversight pages (/pengawasan/): read-only, GET only, scoped to the user's Oversight.

No view here writes anything but the access log: there is no form, no POST, and the case
page is built without the officer's action forms.
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kelurahan.access import overseen_office, oversight_for, oversight_required
from kelurahan.models import OversightRole
from services import chart_page
from services.documents.serving import log_access
from services.forms import ChartRangeForm
from services.models import ApplicationState
from services.oversight import selectors
from services.sla.reports import dashboard_numbers
from services.throttle import case_view_budget


def _range_form(request) -> ChartRangeForm:
    data = request.GET if {"dari", "sampai"} & set(request.GET) else None
    return ChartRangeForm(data, today=timezone.localdate())


@oversight_required
@require_GET
@never_cache
def overview(request):
    """The overseen offices side by side (a city supervisor: also per kecamatan)."""
    oversight = oversight_for(request.user)
    form = _range_form(request)
    period = form.period
    offices = selectors.offices_for_overview(request.user)
    context = {
        "oversight": oversight,
        "is_city": oversight.role == OversightRole.CITY,
        "form": form,
        "period": period,
        "overview": selectors.overview(offices, period, timezone.now()),
        "bands": [label for _low, _high, label in selectors.AGE_BANDS],
        "query": f"?dari={period.start:%Y-%m-%d}&sampai={period.end:%Y-%m-%d}",
    }
    return render(request, "services/oversight/overview.html", context)


@oversight_required
@require_GET
@never_cache
def office(request, office_code: str):
    """One overseen office: its dashboard figures and its charts, without any action."""
    office = overseen_office(request.user, office_code)
    form = _range_form(request)
    period = form.period
    now = timezone.now()
    context = {
        "office": office,
        "form": form,
        "period": period,
        "read_only": True,
        "charts": chart_page.charts(office, period, now),
        "open_cases": selectors.open_cases_by_deadline(office),
        "shown": selectors.OPEN_CASES_SHOWN,
        "now": now,
        **dashboard_numbers(office, now),
    }
    return render(request, "services/oversight/office.html", context)


@oversight_required
@require_GET
@case_view_budget
def case(request, code: str):
    """A case of an overseen office, read-only; every view is written to the access log."""
    application = selectors.overseen_application(request.user, code)
    context = selectors.case_facts(application)
    log_access(user=request.user, application_id=application.pk, action="oversight_view")

    response = render(
        request,
        "services/oversight/case.html",
        {**context, "clock_stopped": application.state == ApplicationState.INCOMPLETE},
    )
    add_never_cache_headers(response)
    return response
