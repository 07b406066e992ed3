"""The resident's pages (no login): the status page, its letter download (electronic delivery),
the lookup that leads to it, and the privacy notice."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from services import workflow
from services.documents.serving import letter_download_response, log_access
from services.public.lookup import LookupForm, lookup
from services.public.standard import privacy_offices
from services.public.status import letter_for_download, status_for_token

# What secrets.token_urlsafe makes: anything else (a NUL byte, which PostgreSQL refuses in
# text) is a 404 before any query.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,40}")


def _private(response):
    # Personal data, reached by a secret link: never indexed, never cached (never_cache
    # sets Cache-Control: no-store on top).
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_not_required
@never_cache
@require_GET
def status(request, status_token: str):
    """Where my case is: the page behind the receipt's QR code."""
    found = status_for_token(status_token) if TOKEN.fullmatch(status_token) else None
    if found is None:
        raise Http404("Halaman tidak ditemukan.")
    return _private(render(request, "public/status.html", {"status": found}))


@login_not_required
@never_cache
@require_GET
def letter_download(request, status_token: str):
    """The letter's PDF for a case that chose electronic delivery; the first download
    completes the case (services.workflow.application_download_by_resident)."""
    letter = letter_for_download(status_token) if TOKEN.fullmatch(status_token) else None
    if letter is None:
        raise Http404("Surat tidak ditemukan.")
    response = letter_download_response(letter)  # the file is opened before anything is written
    try:
        workflow.application_download_by_resident(application=letter.application, letter=letter)
    except workflow.WorkflowError as exc:  # revoked or replaced since it was read
        response.close()
        raise Http404("Surat tidak ditemukan.") from exc
    # Every download, the first and the later ones, with no user: the link is the key.
    log_access(user=None, application_id=letter.application_id, action="resident_download_letter")
    return _private(response)


@login_not_required
@never_cache
@sensitive_post_parameters("phone_last4")
@require_http_methods(["GET", "POST"])
def lookup_form(request):
    """Lacak permohonan: reference code + last 4 digits of the phone -> the status page."""
    form = LookupForm(request.POST or None)
    message, http_status = "", 200
    if form.is_valid():
        result = lookup(
            request, code=form.cleaned_data["code"], last4=form.cleaned_data["phone_last4"]
        )
        if result.token:
            return redirect("services:public_status", status_token=result.token)
        message, http_status = result.message, 429 if result.locked else 200
    response = render(
        request, "public/lookup.html", {"form": form, "message": message}, status=http_status
    )
    return _private(response)


@login_not_required
@require_GET
def privacy(request):
    """Pemberitahuan privasi (UU PDP Pasal 21): what is processed, why, for how long, who sees
    it, the resident's rights and the office's data protection officer."""
    offices = privacy_offices(request.GET.get("kantor"))
    return render(
        request,
        "public/privacy.html",
        {
            "offices": offices,
            "documents_years": round(settings.PDP_DOCUMENTS_RETENTION_DAYS / 365, 1),
            "data_years": round(settings.PDP_ANONYMISE_AFTER_DAYS / 365, 1),
        },
    )
