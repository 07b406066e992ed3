from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kelurahan.access import STAFF_ROLES, office_for, oversight_for, role_for, staff_required
from kelurahan.health import report as health_report
from kelurahan.models import Role
from kelurahan.selectors import territory_for


def home(request):
    """Send each user to the page their role starts from."""
    role = role_for(request.user)
    if role in STAFF_ROLES:
        return redirect("services:queue")
    if role == Role.RT_CHAIR:
        return redirect("verification:rt_home")
    if oversight_for(request.user) is not None:  # camat, city supervisor
        return redirect("oversight:overview")
    return redirect("services:catalogue")


@staff_required
def territory(request):
    """The office's RW and RT with their chairs: whom to call to verify a resident."""
    office = office_for(request.user)
    return render(
        request, "kelurahan/territory.html", {"office": office, "rws": territory_for(office)}
    )


@login_not_required
@require_GET
@never_cache
def health(request):
    """The portal's health for monitoring (kelurahan.health): 200, or 503 past a threshold."""
    if request.GET.get("live"):
        return HttpResponse("ok", content_type="text/plain")
    result = health_report(timezone.now())
    return JsonResponse(result, status=200 if result["status"] == "ok" else 503)
