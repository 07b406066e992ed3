"""The complaint pages of residents (no login): the form, the status page, the public list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kelurahan.access import client_ip
from services.complaint_forms import PENDING_SCOPE, ComplaintForm
from services.complaints import complaint_file
from services.documents.pending import PendingUploads
from services.public.complaint_status import (
    complaint_for_token,
    office_with_public_list,
    public_list,
)
from services.public.views import TOKEN, _private
from services.throttle import complaint_allowed
from services.workflow import WorkflowError

THROTTLED = (
    "Terlalu banyak laporan dari alamat ini dalam satu jam. Laporan Anda belum terkirim: "
    "coba lagi nanti, atau datang ke kantor kelurahan."
)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def complaint_form(request):
    """Sampaikan pengaduan: the report goes in, the reporter gets its code and status link.

    A photo chosen on a submit that failed (another field, the throttle) is kept for this
    session and used on the next submit (services.documents.pending)."""
    form = ComplaintForm(
        request.POST or None,
        request.FILES or None,
        pending=PendingUploads(request.session, PENDING_SCOPE, address=client_ip(request)),
    )
    status = 200
    if request.method == "POST" and form.is_valid() and form.removed:
        messages.info(request, f"{form.removed} dihapus dari laporan.")
    elif request.method == "POST" and form.is_valid():
        if not complaint_allowed(request):
            form.add_error(None, THROTTLED)
            status = 429
        else:
            data = form.cleaned_data
            try:
                complaint = complaint_file(
                    office=data["office"],
                    kind=data["kind"],
                    text=data["text"],
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    contact_email=data["contact_email"],
                    application=data["application"],
                    photo=data["photo"],
                )
            except WorkflowError as exc:
                form.add_error(None, exc.message)
            else:
                form.forget_pending()
                return redirect("services:complaint_status", token=complaint.token)
    response = render(request, "public/complaint_form.html", {"form": form}, status=status)
    return _private(response)


@login_not_required
@never_cache
@require_GET
def complaint_status(request, token: str):
    found = complaint_for_token(token) if TOKEN.fullmatch(token) else None
    if found is None:
        raise Http404("Halaman tidak ditemukan.")
    return _private(render(request, "public/complaint_status.html", {"complaint": found}))


@login_not_required
@require_GET
def complaint_list(request, office_code: str):
    """The office's public list, when it turned it on: only what a supervisor published."""
    office = office_with_public_list(office_code) if office_code.isalnum() else None
    if office is None:
        raise Http404("Halaman tidak ditemukan.")
    return render(
        request,
        "public/complaint_list.html",
        {"office": office, "complaints": public_list(office)},
    )
