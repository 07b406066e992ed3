"""Officer pages: catalogue, intake, the application page, documents and the queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_fsm import can_proceed, has_transition_perm

from kelurahan.access import STAFF_ROLES, membership_for, office_for, staff_required
from kelurahan.jinja import render_with_body
from services import workflow
from services.case_page import JINJA_HELPERS, fast
from services.documents.pending import PendingUploads, pending_key, unsaved_post_message
from services.documents.serving import attachment_response, log_access, private_file_response
from services.forms import (
    ApplicationForm,
    HandOverForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
    ReopenForm,
    UploadForm,
)
from services.letters import verify
from services.letters.renders import unrendered, unrendered_count
from services.models import (
    Application,
    ApplicationState,
    Attachment,
    Letter,
    LetterKind,
    Verdict,
)
from services.models import ApplicationState as S
from services.notifications import mark_read
from services.notifications.residents import wa_me_link
from services.public.status import receipt_status
from services.requirements import requirement_statuses
from services.selectors import (
    QUEUE_PAGE_SIZE,
    application_detail,
    applications_for_officer,
    case_page_reads,
    case_rt_choices,
    document_anchor_after,
    get_active_service_or_404,
    get_application_for_user,
    get_attachment_for_user,
    get_case_for_page,
    get_letter_for_user,
    get_message_for_user,
    get_variant_or_404,
    looks_like_nik,
    notifications_for,
    open_queue_page,
    pending_whatsapp_for_office,
    queue_page,
    services_for_catalogue,
    variant_choices,
)
from services.sla.reports import dashboard_numbers
from services.throttle import case_view_budget, verification_allowed
from services.validators import validate_nik
from services.web import run_step


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
    number = request.GET.get("halaman")
    if nik or q or criteria:
        applications = applications_for_officer(user=request.user, nik=nik, q=q, **criteria)
        page = queue_page(applications, office, number, per_page=QUEUE_PAGE_SIZE)
    else:  # the queue as an officer opens it, the most visited page: its reads compiled once
        page = open_queue_page(office, number, per_page=QUEUE_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("halaman", None)
    return render_with_body(
        request,
        "services/queue.html",
        {
            "filters": filters,
            "nik_searched": bool(nik),
            "page": page,
            "query": query.urlencode(),
        },
        body="services/queue.jinja",
    )


# --- intake -----------------------------------------------------------------------------------
@staff_required
def application_new(request):
    """Choose the service first: its requirements shape the form."""
    return render(
        request, "services/application_choose.html", {"services": services_for_catalogue()}
    )


@dataclass(frozen=True)
class Intake:
    """What differs between the officer's intake and the RT chair's (assisted) intake.

    Everything else (the service and variant, the choice of variant, the form and its kept
    files, recording the case) is ``intake_page``, the same for both.
    """

    key: str  # names the files kept across a failed form ("intake", "assisted")
    form_class: type[ApplicationForm]
    form_kwargs: Callable[[Any], dict]  # the user → the role's form arguments
    url_name: str  # the form's URL name; + "_variant" for a chosen variant
    form_template: str  # the page around services/_intake_form.html
    variant_template: str  # the page around services/_variant_choice.html
    done_url_name: str  # where a recorded case goes (its code as argument)
    success: str | None  # the message once recorded ({code}); None: the done page says it


def intake_page(request, intake: Intake, service_code: str, variant_code: str = ""):
    """Choose the variant (when the service has any), then the form; record the case."""
    service = get_active_service_or_404(service_code)
    variant = get_variant_or_404(service, variant_code)
    if variant is None and (
        choices := variant_choices(
            service, lambda v: reverse(f"{intake.url_name}_variant", args=[service.code, v.code])
        )
    ):
        return render(request, intake.variant_template, {"service": service, "choices": choices})
    form = intake.form_class(
        request.POST or None,
        request.FILES or None,
        service=service,
        variant=variant,
        pending=PendingUploads(request.session, pending_key(intake.key, service, variant)),
        **intake.form_kwargs(request.user),
    )
    if request.method == "POST" and form.is_valid() and not form.removed:
        response = run_step(
            request,
            workflow.application_receive,
            form=form,
            denied_on_form=True,
            success=_recorded_message(intake),
            redirect_to=lambda application: reverse(intake.done_url_name, args=[application.code]),
            office=form.office,
            service=service,
            data=form.applicant_data(),
            files=form.documents(),
            assisted_by_user=form.assisted_by_user,
            variant=variant,
            extra=form.extra_data(),
        )
        if response is not None:
            form.forget_pending()
            return response
    unsaved_post_message(request, form)
    return render(
        request,
        intake.form_template,
        {"form": form, "service": service, "variant": variant, "intake": intake},
    )


def _recorded_message(intake: Intake):
    if intake.success is None:
        return None
    return lambda application: intake.success.format(code=application.code)


OFFICER_INTAKE = Intake(
    key="intake",
    form_class=ApplicationForm,
    form_kwargs=lambda user: {"office": office_for(user)},
    url_name="services:application_create",
    form_template="services/application_form.html",
    variant_template="services/application_variant.html",
    done_url_name="services:application_receipt",
    success="Permohonan {code} tercatat.",
)


@staff_required
@sensitive_post_parameters("nik", "kk_number")
def application_create(request, service_code: str, variant_code: str = ""):
    return intake_page(request, OFFICER_INTAKE, service_code, variant_code)


@staff_required
@case_view_budget
def application_receipt(request, code: str):
    """Tanda terima: what the resident gets (printed or as a WhatsApp photo)."""
    application = application_detail(get_application_for_user(request.user, code))
    log_access(user=request.user, application_id=application.pk, action="view_receipt")
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
        for status in requirement_statuses(application)
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
@case_view_budget
@never_cache
def application_page(request, code: str):
    return case_page(request, get_case_for_page(request.user, code))


def may_correct(application: Application, user) -> bool:
    """Whether ``user`` may correct the applicant's data of ``application`` now."""
    return application.state in workflow.CORRECTABLE_STATES and user.has_perm(
        "services.correct_application"
    )


def correction_context(application: Application, user, letters: list[Letter], **bound) -> dict:
    """What templates/services/_correct.html needs: the correction form when the officer asked
    for it (the correct view's, prefilled or bound with its errors), else the link to it, the
    reopen form of a rejected case, the replacement letter.

    The correction form is not rendered on every view of the case page: its dozen fields and
    the office's RTs were a fifth of the page's time, for a step most cases never need.

    The correct and reopen views live in verification.views: an RT change re-routes the RT
    request, which this app may not touch.
    """
    can_correct = may_correct(application, user)
    can_reopen = can_proceed(application.reopen) and has_transition_perm(application.reopen, user)
    can_replace = (
        application.state in (S.ISSUED, S.COMPLETED)
        and user.has_perm("services.issue_application")
        and not any(letter.kind == LetterKind.OUTPUT and letter.is_valid for letter in letters)
    )
    return {
        "correct_form": bound.get("correct_form"),
        "can_correct": can_correct,
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
    log_access(user=request.user, application_id=application.pk, action="view_application")
    statuses = requirement_statuses(application, cached=True)
    reads = case_page_reads(application)
    calendar_deadlines = [
        ("Hari 1 — diarsipkan", application.archive_due, application.archived_at),
        ("Hari 2 — diverifikasi RT", application.verify_due, application.verified_at),
        ("Hari 3 — surat terbit", application.issue_due, application.issued_at),
    ]
    editable = application.state in workflow.EDITABLE_STATES and request.user.has_perm(
        "services.check_attachment"
    )
    letters = reads.letters
    upload_form = (
        UploadForm(service=application.service, variant=application.variant) if editable else None
    )
    corrections = correction_context(application, request.user, letters, **bound)
    rt_choices = case_rt_choices(application)  # the office's RTs came with the case
    for form in (corrections["correct_form"], corrections["reopen_form"]):
        if form is not None and rt_choices is not None:
            form.fields["rt"].widget.choices = rt_choices
    fast(hand_over_form, upload_form, corrections["correct_form"], corrections["reopen_form"])
    membership = membership_for(request.user)
    response = render_with_body(
        request,
        "services/application_detail.html",
        {
            **JINJA_HELPERS,
            "role": membership.role if membership else None,
            "application": application,
            "deadlines": calendar_deadlines,
            "clock_stopped": application.state == ApplicationState.INCOMPLETE,
            "statuses": statuses,
            "actions": _allowed_actions(application, request.user),
            "editable": editable,
            "pending_count": sum(
                a.verdict == Verdict.PENDING for a in application.prefetched_attachments
            ),
            "upload_form": upload_form,
            "letters": letters,
            "can_hand_over": can_proceed(application.hand_over)
            and has_transition_perm(application.hand_over, request.user),
            "hand_over_form": hand_over_form,
            "can_revoke": request.user.has_perm("services.revoke_letter"),
            "resident_messages": reads.resident_messages,
            "Verdict": Verdict,
            **corrections,
        },
        body="services/application_detail.jinja",
    )
    add_never_cache_headers(response)
    return response


def _back(application_code: str):
    return redirect("services:application_detail", code=application_code)


def _next_document(attachment: Attachment):
    """The case page at the next document needing a verdict (or this one), once decided."""

    def target(_result):
        anchor = document_anchor_after(attachment.application, attachment)
        return attachment.application.get_absolute_url() + "#" + anchor

    return target


def _run(request, code: str, step, success: str, **kwargs):
    """A step on the case itself, refused when the page showed an older state of it."""
    application = get_application_for_user(request.user, code)
    return run_step(
        request,
        step,
        success=success,
        redirect_to=application,
        stale_check=True,
        application=application,
        **kwargs,
    )


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
    return run_step(
        request,
        workflow.attachment_add,
        success=lambda added: f"{len(added)} berkas ditambahkan. Periksa lalu terima atau tolak.",
        redirect_to=application,
        application=application,
        requirement=form.cleaned_data["requirement"],
        files=form.cleaned_data["files"],
    )


@staff_required
@require_POST
def attachment_accept(request, code: str, uuid):
    attachment = get_attachment_for_user(request.user, code, uuid)
    return run_step(
        request,
        workflow.attachment_accept,
        success="Berkas diterima.",
        redirect_to=_next_document(attachment),
        attachment=attachment,
    )


@staff_required
@require_POST
def attachment_accept_all(request, code: str):
    application = get_application_for_user(request.user, code)
    return run_step(
        request,
        workflow.attachment_accept_all,
        success="Semua berkas yang belum diperiksa diterima.",
        redirect_to=application.get_absolute_url() + "#h-docs",
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
    return run_step(
        request,
        workflow.attachment_reject,
        success="Berkas ditolak.",
        redirect_to=_next_document(attachment),
        attachment=attachment,
        reason=form.cleaned_data["reason"],
    )


@staff_required
@case_view_budget
def attachment_file(request, code: str, uuid, thumbnail: bool = False):
    """Serve a stored document only to staff of its office; every view is logged."""
    attachment = get_attachment_for_user(request.user, code, uuid)
    return attachment_response(request, attachment, thumbnail=thumbnail)


@staff_required
def dashboard(request):
    office = office_for(request.user)
    now = timezone.now()
    numbers = dashboard_numbers(office, now)
    numbers["unrendered"] = unrendered_count(now, office)
    membership = membership_for(request.user)
    return render_with_body(
        request,
        "services/dashboard.html",
        {"office": office, "role": membership.role if membership else None, **numbers},
        body="services/dashboard.jinja",
    )


@staff_required
def unrendered_documents(request):
    """The office's letters and archive bundles whose PDF is still missing (dashboard link)."""
    office = office_for(request.user)
    rows = unrendered(office, timezone.now())
    return render(request, "services/unrendered.html", {"office": office, "rows": rows})


def notifications(request):
    """Every member's notifications (the bell), newest first."""
    if membership_for(request.user) is None:
        raise Http404("Halaman tidak ditemukan.")
    return render_with_body(
        request,
        "services/notifications.html",
        {"notifications": notifications_for(request.user)},
        body="services/notifications.jinja",
    )


@require_POST
def notifications_read(request):
    if membership_for(request.user) is None:
        raise Http404("Halaman tidak ditemukan.")
    mark_read(request.user)
    return redirect("services:notifications")


# --- the resident's outbox ----------------------------------------------------------------------
MESSAGES_PAGE_SIZE = 50


@staff_required
@never_cache
def resident_messages(request):
    """Pesan belum terkirim: the office's WhatsApp messages waiting for a click, oldest first."""
    page = Paginator(pending_whatsapp_for_office(request.user), MESSAGES_PAGE_SIZE).get_page(
        request.GET.get("halaman")
    )
    return render(request, "services/resident_messages.html", {"page": page})


@staff_required
@require_POST
def resident_message_send(request, uuid):
    """One click: mark the message sent and open WhatsApp with it typed (303 to wa.me).

    The form opens this in a new tab; a second click finds it sent and only opens the chat.
    """
    message = get_message_for_user(request.user, uuid)
    back = message.application or message.complaint or "services:resident_messages"
    response = run_step(
        request,
        workflow.resident_message_mark_sent,
        success="Pesan ditandai terkirim lewat WhatsApp.",
        redirect_to=wa_me_link,
        refused_to=back,
        message=message,
    )
    if response.status_code == 302:
        response.status_code = 303  # See Other: the browser GETs the next page after a POST
    return response


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


@staff_required
@case_view_budget
def letter_pdf(request, code: str, token: str):
    letter = get_letter_for_user(request.user, code, token)
    if not letter.is_rendered:
        raise Http404("PDF surat masih dibuat.")
    log_access(user=request.user, application_id=letter.application_id, action="download_letter")
    response = private_file_response(
        letter.pdf,
        as_attachment=True,
        filename=f"{letter.number.replace('/', '-')}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
@case_view_budget
def bundle_pdf(request, code: str):
    application = get_application_for_user(request.user, code)
    if not application.bundle_sha256:
        raise Http404("Berkas arsip masih dibuat.")
    log_access(user=request.user, application_id=application.pk, action="download_bundle")
    response = private_file_response(
        application.bundle,
        as_attachment=True,
        filename=f"arsip-{application.code}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _letter_step(request, code: str, token: str, step, success: str):
    letter = get_letter_for_user(request.user, code, token)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tulis alasannya.")
        return _back(code)
    return run_step(
        request,
        step,
        success=success,
        redirect_to=reverse("services:application_detail", kwargs={"code": code}),
        letter=letter,
        reason=form.cleaned_data["reason"],
    )


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
    letter = verify.letter_for_token(token)
    response = render(
        request, "services/verify.html", verify.page_context(letter), status=200 if letter else 404
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
