"""Officer pages: catalogue, intake, the application page, documents and the queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_fsm import can_proceed, has_transition_perm

from kelurahan.access import STAFF_ROLES, membership_for, office_for, staff_required
from services import workflow
from services.forms import (
    ApplicationForm,
    CorrectionForm,
    HandOverForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
    ReopenForm,
    UploadForm,
)
from services.letters import date_id, masked_name
from services.models import (
    QUEUE_LAST,
    AccessLog,
    Application,
    ApplicationState,
    Attachment,
    Letter,
    LetterKind,
    Service,
    Verdict,
)
from services.models import ApplicationState as S
from services.notifications import mark_read
from services.pending_uploads import PendingUploads, pending_key, unsaved_post_message
from services.public.status import receipt_status
from services.selectors import (
    application_detail,
    applications_for_officer,
    dashboard_numbers,
    document_anchor_after,
    get_application_for_user,
    get_attachment_for_user,
    get_variant_or_404,
    looks_like_nik,
    services_for_catalogue,
    variant_choices,
)
from services.serving import attachment_response
from services.sla import WorkingCalendar, time_left
from services.throttle import verification_allowed
from services.validators import validate_nik
from services.workflow import WorkflowError, WorkflowPermissionDenied

QUEUE_PAGE_SIZE = 50


def catalogue(request):
    """Katalog Layanan: each service, what to bring, and the 3-day promise."""
    # Officers, supervisors and admins; RT chairs have their own pages (and see each
    # service's requirements when they submit for a resident).
    membership = membership_for(request.user)
    if (membership is None or membership.role not in STAFF_ROLES) and not request.user.is_staff:
        raise Http404("Halaman tidak ditemukan.")
    return render(request, "services/catalogue.html", {"services": services_for_catalogue()})


# --- the queue --------------------------------------------------------------------------------
QUEUE_FILTERS = ("state", "service", "rt", "q")
MSG_NIK_IN_URL = "NIK tidak dicari lewat alamat halaman. Ketik NIK di kotak cari lalu tekan Cari."


@staff_required
@sensitive_post_parameters("q")
def queue(request):
    """Antrean: the office's cases, with one search box.

    The search form posts, so a NIK typed in it never lands in a URL (history, logs, the
    Referer): a NIK search is answered on the POST itself, any other search is redirected
    to its GET address (bookmarkable, paginated). A NIK in a GET address is refused.
    """
    office = office_for(request.user)
    posted = request.method == "POST"
    filters = QueueFilterForm((request.POST if posted else request.GET) or None, office=office)
    # A bad field (an RT of another office, an unknown state) is dropped on its own and
    # shown on the form; the other filters still apply.
    filters.is_valid()
    criteria = {k: v for k, v in getattr(filters, "cleaned_data", {}).items() if v}
    q = criteria.pop("q", "")
    nik = ""
    if looks_like_nik(q):
        if not posted:
            filters.add_error("q", MSG_NIK_IN_URL)
        else:
            try:
                nik = validate_nik(q)
            except ValidationError as exc:
                filters.add_error("q", exc)
        q = ""
    elif posted:
        kept = {k: v for k in QUEUE_FILTERS if (v := request.POST.get(k, "").strip())}
        return redirect(reverse("services:queue") + (f"?{urlencode(kept)}" if kept else ""))
    applications = applications_for_officer(user=request.user, nik=nik, q=q, **criteria)
    page = Paginator(applications, QUEUE_PAGE_SIZE).get_page(request.GET.get("halaman"))
    page.object_list = with_time_left(page.object_list, office)
    query = request.GET.copy()
    query.pop("halaman", None)
    return render(
        request,
        "services/queue.html",
        {
            "filters": filters,
            "nik_searched": bool(nik),
            "page": page,
            "query": query.urlencode(),
        },
    )


# --- intake -----------------------------------------------------------------------------------
@staff_required
def application_new(request):
    """Choose the service first: its requirements shape the form."""
    return render(
        request, "services/application_choose.html", {"services": services_for_catalogue()}
    )


@staff_required
@sensitive_post_parameters("nik", "kk_number")
def application_create(request, service_code: str, variant_code: str = ""):
    office = office_for(request.user)
    service = get_object_or_404(Service.objects.active(), code=service_code)
    variant = get_variant_or_404(service, variant_code)
    if variant is None and (
        choices := variant_choices(
            service,
            lambda v: reverse("services:application_create_variant", args=[service.code, v.code]),
        )
    ):
        return render(
            request, "services/application_variant.html", {"service": service, "choices": choices}
        )
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        office=office,
        service=service,
        variant=variant,
        pending=PendingUploads(request.session, pending_key("intake", service, variant)),
    )
    if request.method == "POST" and form.is_valid() and not form.removed:
        try:
            application = workflow.application_receive(
                office=office,
                service=service,
                data=form.applicant_data(),
                files=form.documents(),
                by=request.user,
                variant=variant,
                extra=form.extra_data(),
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            form.forget_pending()
            messages.success(request, f"Permohonan {application.code} tercatat.")
            return redirect("services:application_receipt", code=application.code)
    unsaved_post_message(request, form)
    return render(
        request,
        "services/application_form.html",
        {"form": form, "service": service, "variant": variant},
    )


@staff_required
def application_receipt(request, code: str):
    """Tanda terima: what the resident gets (printed or as a WhatsApp photo)."""
    application = application_detail(get_application_for_user(request.user, code))
    return render(
        request,
        "services/receipt.html",
        {
            "application": application,
            "missing": _still_missing(application),
            "clock_stopped": application.state == ApplicationState.INCOMPLETE,
            **receipt_status(application),
        },
    )


def _still_missing(application: Application) -> list[str]:
    """Required documents the resident has not brought (or that were refused) yet.

    A document received but not yet checked is not missing: the receipt lists it as received.
    """
    return [
        status.requirement.label
        for status in workflow.requirement_statuses(application)
        if not status.satisfied
        and not any(a.verdict == Verdict.PENDING for a in status.attachments)
    ]


# --- the application page ---------------------------------------------------------------------
ACTIONS = {
    # transition name: (url name, button label, needs a reason)
    "archive": ("services:application_archive", "Arsipkan (berkas lengkap)", False),
    "mark_incomplete": ("services:application_mark_incomplete", "Tandai belum lengkap", False),
    "resubmit": ("services:application_resubmit", "Berkas susulan diterima — ajukan ulang", False),
    "issue": ("services:application_issue", "Terbitkan surat (hari 3)", False),
    "cancel": ("services:application_cancel", "Batalkan permohonan", True),
}


# The optional note of the steps that record one; each says what the note is for.
NOTE_LABELS = {
    "archive": "Catatan pengarsipan",
    "mark_incomplete": "Pesan kekurangan untuk pemohon",
}


def _allowed_actions(application: Application, user) -> list[dict]:
    actions = []
    for name, (url_name, label, needs_reason) in ACTIONS.items():
        method = getattr(application, name)
        if can_proceed(method) and has_transition_perm(method, user):
            actions.append(
                {
                    "name": name,
                    "url": url_name,
                    "label": label,
                    "needs_reason": needs_reason,
                    "note_label": NOTE_LABELS.get(name, ""),
                }
            )
    return actions


@staff_required
@never_cache
def application_page(request, code: str):
    return case_page(request, get_application_for_user(request.user, code))


def correction_context(application: Application, user, letters: list[Letter], **bound) -> dict:
    """What templates/services/_correct.html needs: the correction form (prefilled, or the
    bound one with its errors), the reopen form of a rejected case, the replacement letter.

    The correct and reopen views live in verification.views: an RT change re-routes the RT
    request, which this app may not touch.
    """
    can_correct = application.state in workflow.CORRECTABLE_STATES and user.has_perm(
        "services.correct_application"
    )
    can_reopen = can_proceed(application.reopen) and has_transition_perm(application.reopen, user)
    can_replace = (
        application.state in (S.ISSUED, S.COMPLETED)
        and user.has_perm("services.issue_application")
        and not any(letter.kind == LetterKind.OUTPUT and letter.is_valid for letter in letters)
    )
    return {
        "correct_form": bound.get("correct_form")
        or (CorrectionForm(application=application) if can_correct else None),
        "reopen_form": bound.get("reopen_form")
        or (ReopenForm(application=application) if can_reopen else None),
        "can_replace_letter": can_replace,
    }


def case_page(request, application: Application, **bound):
    """The case page; the correct/reopen/hand-over views re-render it with their bound form."""
    hand_over_form = bound.pop("hand_over_form", None) or HandOverForm(
        initial={"method": application.delivery}
    )
    application = application_detail(application)
    AccessLog.objects.create(user=request.user, application=application, action="view_application")
    statuses = workflow.requirement_statuses(application)
    (application,) = with_time_left([application], application.office)
    calendar_deadlines = [
        ("Hari 1 — diarsipkan", application.archive_due, application.archived_at),
        ("Hari 2 — diverifikasi RT", application.verify_due, application.verified_at),
        ("Hari 3 — surat terbit", application.issue_due, application.issued_at),
    ]
    editable = application.state in workflow.EDITABLE_STATES and request.user.has_perm(
        "services.check_attachment"
    )
    letters = list(application.letters.select_related("revoked_by").order_by("-id"))
    response = render(
        request,
        "services/application_detail.html",
        {
            "application": application,
            "deadlines": calendar_deadlines,
            "clock_stopped": application.state == ApplicationState.INCOMPLETE,
            "statuses": statuses,
            "actions": _allowed_actions(application, request.user),
            "editable": editable,
            "pending_count": sum(
                a.verdict == Verdict.PENDING for a in application.prefetched_attachments
            ),
            "upload_form": UploadForm(service=application.service, variant=application.variant)
            if editable
            else None,
            "letters": letters,
            "can_hand_over": can_proceed(application.hand_over)
            and has_transition_perm(application.hand_over, request.user),
            "hand_over_form": hand_over_form,
            "can_revoke": request.user.has_perm("services.revoke_letter"),
            "Verdict": Verdict,
            **correction_context(application, request.user, letters, **bound),
        },
    )
    add_never_cache_headers(response)
    return response


def _back(application_code: str):
    return redirect("services:application_detail", code=application_code)


def _step(request, code: str, step, success: str, *, back=None, **kwargs):
    """Run one workflow step as the user; its message (success or refusal) goes on the page.

    ``back`` (optional) returns the redirect to use instead of the top of the case page.
    """
    try:
        step(by=request.user, **kwargs)
    except WorkflowPermissionDenied as exc:
        return HttpResponseForbidden(exc.message)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return back() if back else _back(code)


def _back_to_document(attachment: Attachment):
    """The case page at the next document needing a verdict (or this one)."""

    def back():
        anchor = document_anchor_after(attachment.application, attachment)
        return redirect(attachment.application.get_absolute_url() + "#" + anchor)

    return back


def _run(request, code: str, step, success: str, **kwargs):
    """A step on the case itself, refused when the page showed an older state of it."""
    application = get_application_for_user(request.user, code)
    expected = request.POST.get("state")
    if expected and expected != application.state:
        messages.error(request, workflow.CHANGED_UNDER_YOU)
        return _back(code)
    return _step(request, code, step, success, application=application, **kwargs)


@staff_required
@require_POST
def application_archive(request, code: str):
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _run(request, code, workflow.application_archive, "Permohonan diarsipkan.", note=note)


@staff_required
@require_POST
def application_mark_incomplete(request, code: str):
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _run(
        request,
        code,
        workflow.application_mark_incomplete,
        "Ditandai belum lengkap. Sampaikan kekurangannya kepada pemohon.",
        note=note,
    )


@staff_required
@require_POST
def application_resubmit(request, code: str):
    return _run(
        request,
        code,
        workflow.application_resubmit,
        "Permohonan diajukan ulang; hari 1 dimulai lagi.",
    )


@staff_required
@require_POST
def application_cancel(request, code: str):
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tulis alasan pembatalan.")
        return _back(code)
    return _run(
        request,
        code,
        workflow.application_cancel,
        "Permohonan dibatalkan.",
        reason=form.cleaned_data["reason"],
    )


# --- documents --------------------------------------------------------------------------------
@staff_required
@require_POST
def attachment_upload(request, code: str):
    application = get_application_for_user(request.user, code)
    form = UploadForm(
        request.POST, request.FILES, service=application.service, variant=application.variant
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(code)
    try:
        added = workflow.attachment_add(
            application=application,
            requirement=form.cleaned_data["requirement"],
            files=form.cleaned_data["files"],
            by=request.user,
        )
    except WorkflowPermissionDenied as exc:
        return HttpResponseForbidden(exc.message)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"{len(added)} berkas ditambahkan. Periksa lalu terima atau tolak."
        )
    return _back(code)


@staff_required
@require_POST
def attachment_accept(request, code: str, uuid):
    attachment = get_attachment_for_user(request.user, code, uuid)
    return _step(
        request,
        code,
        workflow.attachment_accept,
        "Berkas diterima.",
        back=_back_to_document(attachment),
        attachment=attachment,
    )


@staff_required
@require_POST
def attachment_accept_all(request, code: str):
    application = get_application_for_user(request.user, code)
    return _step(
        request,
        code,
        workflow.attachment_accept_all,
        "Semua berkas yang belum diperiksa diterima.",
        back=lambda: redirect(application.get_absolute_url() + "#h-docs"),
        application=application,
    )


@staff_required
@require_POST
def attachment_reject(request, code: str, uuid):
    attachment = get_attachment_for_user(request.user, code, uuid)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Tulis alasan penolakan, agar pemohon tahu apa yang harus dikirim ulang."
        )
        return redirect(f"{attachment.application.get_absolute_url()}#berkas-{attachment.uuid}")
    return _step(
        request,
        code,
        workflow.attachment_reject,
        "Berkas ditolak.",
        back=_back_to_document(attachment),
        attachment=attachment,
        reason=form.cleaned_data["reason"],
    )


@staff_required
def attachment_file(request, code: str, uuid, thumbnail: bool = False):
    """Serve a stored document only to staff of its office; every view is logged."""
    attachment = get_attachment_for_user(request.user, code, uuid)
    return attachment_response(request, attachment, thumbnail=thumbnail)


# --- the SLA on pages -------------------------------------------------------------------------
def with_time_left(applications, office, now=None) -> list:
    """Attach each case's next milestone and the time left to it (one calendar per page)."""
    calendar = WorkingCalendar(office)
    now = now or timezone.now()
    rows = list(applications)
    for application in rows:
        due = application.queue_due if application.queue_due != QUEUE_LAST else None
        application.sla = time_left(calendar, due, now) if due else None
    return rows


@staff_required
def dashboard(request):
    office = office_for(request.user)
    numbers = dashboard_numbers(office, timezone.now())
    return render(request, "services/dashboard.html", {"office": office, **numbers})


def notifications(request):
    """Every member's notifications (the bell), newest first."""
    if membership_for(request.user) is None:
        raise Http404("Halaman tidak ditemukan.")
    notes = request.user.notifications.select_related("application")[:100]
    return render(request, "services/notifications.html", {"notifications": notes})


@require_POST
def notifications_read(request):
    if membership_for(request.user) is None:
        raise Http404("Halaman tidak ditemukan.")
    mark_read(request.user)
    return redirect("services:notifications")


# --- letters ----------------------------------------------------------------------------------
@staff_required
@require_POST
def application_issue(request, code: str):
    return _run(request, code, workflow.application_issue, "Surat diterbitkan; PDF sedang dibuat.")


@staff_required
@require_POST
def application_issue_replacement(request, code: str):
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _run(
        request,
        code,
        workflow.application_issue_replacement,
        "Surat pengganti diterbitkan; PDF sedang dibuat.",
        reason=note,
    )


@staff_required
@require_POST
def application_hand_over(request, code: str):
    application = get_application_for_user(request.user, code)  # 404 before anything else
    form = HandOverForm(request.POST)
    if not form.is_valid():
        # The page again with what the officer chose and typed, each error at its field
        # (the first one focused, so the page opens there).
        first = next(iter(form.errors))
        if first in form.fields:
            form.fields[first].widget.attrs["autofocus"] = True
        messages.error(request, "Periksa isian penyerahan surat di bagian Surat.")
        return case_page(request, application, hand_over_form=form)
    return _run(
        request,
        code,
        workflow.application_hand_over,
        "Surat diserahkan; permohonan selesai.",
        **form.cleaned_data,
    )


def _letter_for_user(user, code: str, token: str) -> Letter:
    application = get_application_for_user(user, code)
    return get_object_or_404(Letter, token=token, application=application)


@staff_required
def letter_pdf(request, code: str, token: str):
    letter = _letter_for_user(request.user, code, token)
    if not letter.is_rendered:
        raise Http404("PDF surat masih dibuat.")
    AccessLog.objects.create(
        user=request.user, application_id=letter.application_id, action="download_letter"
    )
    response = FileResponse(
        letter.pdf.open("rb"),
        as_attachment=True,
        filename=f"{letter.number.replace('/', '-')}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def bundle_pdf(request, code: str):
    application = get_application_for_user(request.user, code)
    if not application.bundle_sha256:
        raise Http404("Berkas arsip masih dibuat.")
    AccessLog.objects.create(user=request.user, application=application, action="download_bundle")
    return FileResponse(
        application.bundle.open("rb"),
        as_attachment=True,
        filename=f"arsip-{application.code}.pdf",
        content_type="application/pdf",
    )


def _letter_step(request, code: str, token: str, step, success: str):
    letter = _letter_for_user(request.user, code, token)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tulis alasannya.")
        return _back(code)
    return _step(request, code, step, success, letter=letter, reason=form.cleaned_data["reason"])


@staff_required
@require_POST
def letter_revoke(request, code: str, token: str):
    return _letter_step(request, code, token, workflow.letter_revoke, "Surat dicabut.")


@staff_required
@require_POST
def letter_reissue(request, code: str, token: str):
    return _letter_step(
        request, code, token, workflow.letter_reissue, "Surat pengganti diterbitkan."
    )


@login_not_required
@never_cache
def letter_verify(request, token: str):
    """Public: anyone holding a letter checks it against the kelurahan's record."""
    if not verification_allowed(request):
        return render(request, "services/verify.html", {"throttled": True}, status=429)
    letter = (
        Letter.objects.select_related("application__service", "office").filter(token=token).first()
    )
    response = render(
        request,
        "services/verify.html",
        {
            "letter": letter,
            "holder": masked_name(letter.application.applicant_name) if letter else "",
            "date": date_id(letter.issued_at) if letter else "",
        },
        status=200 if letter else 404,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
