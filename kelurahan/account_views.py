"""The signed-in user's own account: the second factor (enroll, then give the code) and the
password change."""

import django_otp
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from kelurahan import two_factor
from kelurahan.forms import PortalPasswordChangeForm, TokenForm
from kelurahan.middleware import second_factor_exempt

WRONG_CODE = (
    "Kode salah atau sudah kedaluwarsa. Periksa jam ponsel Anda, lalu ketik kode yang sedang "
    "tampil di aplikasi."
)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _go(step: str, request):
    return redirect(f"{reverse(step)}?{urlencode({'next': _next_url(request)})}")


def _verified(request, device):
    django_otp.login(request, device)
    request.session.cycle_key()  # a new session key once the user holds more rights
    return redirect(_next_url(request))


def _must_be_asked(request):
    if not two_factor.needs_second_factor(request.user):
        raise Http404("Halaman tidak ditemukan.")


@second_factor_exempt
@sensitive_post_parameters("token")
@never_cache
@require_http_methods(["GET", "POST"])
def second_factor(request):
    """After the password: the code from the app of a user who has enrolled one."""
    _must_be_asked(request)
    if request.user.is_verified():
        return redirect(_next_url(request))
    device = two_factor.confirmed_device(request.user)
    if device is None:
        return _go("second_factor_setup", request)
    form = TokenForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        error = two_factor.refusal(device)
        if error is None:
            if two_factor.device_verify(device=device, token=form.cleaned_data["token"]):
                return _verified(request, device)
            error = WRONG_CODE
    return render(
        request,
        "registration/second_factor.html",
        {"form": form, "error": error, "next": _next_url(request)},
    )


@second_factor_exempt
@sensitive_post_parameters("token")
@never_cache
@require_http_methods(["GET", "POST"])
def second_factor_setup(request):
    """First login of a superuser or supervisor: scan the QR code, then give one code."""
    _must_be_asked(request)
    if two_factor.confirmed_device(request.user) is not None:
        # Only a superuser's reset lets a new device in: a stolen password enrolls nothing.
        return _go("second_factor", request)
    device = two_factor.pending_device(request.user)
    form = TokenForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        error = two_factor.refusal(device)
        if error is None:
            if two_factor.device_confirm(device=device, token=form.cleaned_data["token"]):
                messages.success(request, "Verifikasi dua langkah aktif untuk akun Anda.")
                return _verified(request, device)
            error = WRONG_CODE
    return render(
        request,
        "registration/second_factor_setup.html",
        {
            "form": form,
            "error": error,
            "next": _next_url(request),
            "qr": two_factor.qr_data_uri(device),
            "secret": two_factor.secret_for_typing(device),
        },
    )


# Django's view hides every POST field from error reports and keeps this session signed in
# (update_session_auth_hash); the user's other sessions end, as their hash no longer matches.
password_change = auth_views.PasswordChangeView.as_view(
    form_class=PortalPasswordChangeForm,
    template_name="registration/password_change.html",
    success_url=reverse_lazy("password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="registration/password_change_done.html"
)
