"""The admin site: open to superusers who passed the second factor, to nobody else (J60, B15).

Why not an admin scoped by office for officers: what the admin holds is either shared by every
office — the catalogue (services, requirements, variants, data fields), message templates,
complaint deadlines, role groups, users and their memberships, the job cluster's schedules and
the login lockouts — where a non-superuser's edit would change every office (or, for users,
let them give themselves a place in another office), or it is an office's cases, letters,
messages, complaints and breaches, which the admin shows read-only and the portal's own pages
already show to officers scoped to their office (queue, case page, complaints, outbox, SKM).
No officer or supervisor needs /admin/ for their work; the demo has one admin, a superuser.
So "staff status" alone opens nothing here, and a guard test (tests/test_admin_scope.py) walks
every registered ModelAdmin's URLs as a staff officer holding every permission.
"""

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_superuser and user.is_verified()

    @method_decorator(never_cache)
    @method_decorator(login_not_required)
    def login(self, request, extra_context=None):
        """The portal's login (password, then the code) is the one way in; anyone signed in
        who may not use the admin gets a 404, as for any page outside their reach."""
        target = request.GET.get("next") or reverse("admin:index")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:index")
        if self.has_permission(request):
            return redirect(target)
        if request.user.is_authenticated:
            raise Http404("Halaman tidak ditemukan.")
        return redirect_to_login(target)
