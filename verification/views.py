"""The Ketua RT's pages (phone first) and the officer's send-to-RT actions."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from kelurahan.access import office_for, role_required, rt_for, staff_required
from kelurahan.jinja import render_with_body
from kelurahan.models import Role
from services.catalogue import extra_rows
from services.documents.serving import attachment_response, log_access
from services.forms import CorrectionForm, ReopenForm
from services.selectors import (
    get_application_for_user,
    get_case_for_page,
    services_for_catalogue,
)
from services.throttle import case_view_budget
from services.validators import mask_nik
from services.views import Intake, case_page, intake_page, may_correct
from services.web import run_step
from verification import workflow
from verification.forms import AssistedForm, AttestationForm, DecisionForm, SendToRtForm
from verification.selectors import (
    attestations_for_request,
    chair_list,
    documents_for_request,
    get_assisted_application_for_chair,
    get_attachment_for_chair,
    get_request_for_chair,
)

rt_chair_required = role_required(Role.RT_CHAIR)


# --- officer: send a case to its RT ------------------------------------------------------------
def _send(request, code: str, step, success: str):
    application = get_application_for_user(request.user, code)
    form = SendToRtForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Periksa isian kiriman ke RT.")
        return redirect(application)
    return run_step(
        request,
        step,
        success=lambda _: success.format(rt=application.rt),
        redirect_to=application,
        stale_check=True,
        application=application,
        **form.cleaned_data,
    )


@staff_required
@require_POST
def send_to_rt(request, code: str):
    return _send(request, code, workflow.application_send_to_rt, "Dikirim ke Ketua {rt}.")


@staff_required
@require_POST
def archive_and_send(request, code: str):
    return _send(
        request,
        code,
        workflow.application_archive_and_send_to_rt,
        "Diarsipkan dan dikirim ke Ketua {rt}.",
    )


# --- officer: correct the applicant's data; supervisor: reopen an RT rejection ----------------
# Here rather than in services.views because an RT change re-routes the RT request. A refused
# step re-renders the case page with the form as typed and the message on it.
@staff_required
@case_view_budget  # its GET shows the whole case, as the case page does
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("nik", "kk_number")
def correct(request, code: str):
    """GET: the case page with the correction form open, prefilled (the page's link to it);
    POST: the correction, or the page again with the form as typed and its errors."""
    if request.method == "GET":
        application = get_case_for_page(request.user, code)
        if not may_correct(application, request.user):
            messages.error(request, "Data permohonan ini tidak dapat dikoreksi lagi.")
            return redirect(application)
        return case_page(request, application, correct_form=CorrectionForm(application=application))
    application = get_application_for_user(request.user, code)
    form = CorrectionForm(request.POST, application=application)
    if form.is_valid():
        response = run_step(
            request,
            workflow.application_correct,
            form=form,
            success=lambda done: _corrected(application, done),
            redirect_to=application,
            application=application,
            changes=form.changes(),
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
        if response is not None:
            return response
    return case_page(request, application, correct_form=form)


def _corrected(application, done) -> str:
    success = "Data pemohon dikoreksi."
    if done.replacement:
        success += f" Surat pengganti {done.replacement.number} sedang dibuat."
    if "rt" in done.changed and application.state == "in_verification":
        success += f" Permintaan verifikasi dialihkan ke Ketua {application.rt}."
    return success


@staff_required
@require_POST
def reopen(request, code: str):
    application = get_application_for_user(request.user, code)
    form = ReopenForm(request.POST, application=application)
    if form.is_valid():
        response = run_step(
            request,
            workflow.application_reopen_and_send_to_rt,
            form=form,
            success=lambda _: f"Permohonan dibuka kembali dan dikirim ke Ketua {application.rt}.",
            redirect_to=application,
            application=application,
            **form.cleaned_data,
        )
        if response is not None:
            return response
    return case_page(request, application, reopen_form=form)


# --- RT chair: the list and one request -------------------------------------------------------
@rt_chair_required
def rt_home(request):
    rows = chair_list(request.user, office_for(request.user), request.GET.get("halaman"))
    return render_with_body(
        request,
        "verification/rt_home.html",
        # The nav's badge from the list's own count (the context processor's is not run).
        {"rt": rt_for(request.user), "rt_pending_count": rows["pending"].paginator.count, **rows},
        body="verification/rt_home.jinja",
    )


@rt_chair_required
@case_view_budget
def request_page(request, uuid):
    vr = get_request_for_chair(request.user, uuid)
    application = vr.application
    log_access(user=request.user, application_id=application.pk, action="rt_view_request")
    attachments, rejected_attachments = documents_for_request(vr)
    # The variant and the service's own data (SITU: the business) are what the chair vouches
    # for too ("tempat usaha tersebut tidak menimbulkan keberatan").
    application.extra_rows = extra_rows(application)
    return render(
        request,
        "verification/request.html",
        {
            "vr": vr,
            "application": application,
            "masked_nik": mask_nik(application.nik),
            # What the officer accepted is what the chair confirms; what the officer already
            # rejected is shown apart, labelled, so it is not mistaken for the evidence.
            "attachments": attachments,
            "rejected_attachments": rejected_attachments,
            "attestations": attestations_for_request(vr),
            "decidable": vr.state == "pending" and application.state == "in_verification",
            "attestation_form": AttestationForm(),
            "decision_form": DecisionForm(),
        },
    )


def _decide(request, uuid, step, success: str, **extra):
    vr = get_request_for_chair(request.user, uuid)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return run_step(
        request,
        step,
        success=success.format(code=vr.application.code),
        redirect_to="verification:rt_home",
        refused_to=reverse("verification:request", kwargs={"uuid": vr.uuid}),
        request=vr,
        note=note,
        **extra,
    )


@rt_chair_required
@require_POST
def approve(request, uuid):
    return _decide(request, uuid, workflow.verification_approve, "{code} disetujui. Terima kasih.")


@rt_chair_required
@require_POST
def reject(request, uuid):
    return _decide(request, uuid, workflow.verification_reject, "{code} ditolak.")


@rt_chair_required
@require_POST
def return_to_applicant(request, uuid):
    return _decide(request, uuid, workflow.verification_return, "{code} dikembalikan ke petugas.")


@rt_chair_required
@require_POST
def add_attestation(request, uuid):
    vr = get_request_for_chair(request.user, uuid)
    form = AttestationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Lengkapi nama, alamat, hubungan dan keterangan tetangga.")
        return redirect("verification:request", uuid=vr.uuid)
    return run_step(
        request,
        workflow.attestation_add,
        success="Kesaksian tetangga dicatat.",
        redirect_to=reverse("verification:request", kwargs={"uuid": vr.uuid}),
        request=vr,
        **form.cleaned_data,
    )


@rt_chair_required
@case_view_budget
def document(request, uuid, attachment_uuid, thumbnail: bool = False):
    attachment = get_attachment_for_chair(request.user, uuid, attachment_uuid)
    return attachment_response(request, attachment, thumbnail=thumbnail)


# --- RT chair: submit on a resident's behalf ---------------------------------------------------
@rt_chair_required
def assisted_choose(request):
    return render(
        request, "verification/assisted_choose.html", {"services": services_for_catalogue()}
    )


ASSISTED_INTAKE = Intake(
    key="assisted",
    form_class=AssistedForm,
    form_kwargs=lambda user: {"chair": user},
    url_name="verification:assisted_create",
    form_template="verification/assisted_form.html",
    variant_template="verification/assisted_variant.html",
    done_url_name="verification:assisted_done",
    success=None,
)


@rt_chair_required
@sensitive_post_parameters("nik", "kk_number")
def assisted_create(request, service_code: str, variant_code: str = ""):
    return intake_page(request, ASSISTED_INTAKE, service_code, variant_code)


@rt_chair_required
def assisted_done(request, code: str):
    application = get_assisted_application_for_chair(request.user, code)
    return render(request, "verification/assisted_done.html", {"application": application})
