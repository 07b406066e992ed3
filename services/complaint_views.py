"""The office's complaint pages: the queue, one complaint with its steps, its photo."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from kelurahan.access import office_for, role_for, staff_required
from kelurahan.models import Role
from services import complaints
from services.complaint_forms import (
    AnswerForm,
    AssignForm,
    ComplaintFilterForm,
    DismissForm,
    LaporForm,
)
from services.complaint_selectors import (
    QUEUE_PAGE_SIZE,
    complaint_events,
    complaints_for_staff,
    get_complaint_for_user,
    pending_whatsapp_for_complaint,
    staff_of_office,
    with_time_left,
)
from services.documents.serving import log_access, private_file_response
from services.public.complaint_status import complaint_link, mask_email, mask_phone
from services.web import run_step


@staff_required
@require_GET
def complaint_queue(request):
    """Pengaduan: the office's reports, the one due soonest first."""
    filters = ComplaintFilterForm(request.GET or None)
    tab = filters.cleaned_data["state"] if filters.is_valid() else ""
    page = Paginator(complaints_for_staff(request.user, tab), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("halaman")
    )
    page.object_list = with_time_left(page.object_list, office_for(request.user))
    return render(
        request,
        "services/complaint_queue.html",
        {"filters": filters, "page": page, "tab": tab},
    )


def _page(request, complaint, **forms):
    staff = staff_of_office(complaint.office_id)
    context = {
        "complaint": complaint,
        "events": complaint_events(complaint),
        "resident_messages": pending_whatsapp_for_complaint(complaint),
        "status_link": complaint_link(complaint),
        "contact_phone": complaint.contact_phone,
        "contact_email": complaint.contact_email,
        "masked_contact": " · ".join(
            p
            for p in (mask_phone(complaint.contact_phone), mask_email(complaint.contact_email))
            if p
        ),
        "is_supervisor": role_for(request.user) == Role.SUPERVISOR,
        "assign_form": forms.get("assign_form")
        or AssignForm(staff=staff, initial={"to": complaint.assigned_to_id or request.user.pk}),
        "dismiss_form": forms.get("dismiss_form") or DismissForm(),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "lapor_form": forms.get("lapor_form")
        or LaporForm(initial={"lapor_ref": complaint.lapor_ref}),
    }
    response = render(request, "services/complaint_detail.html", context)
    add_never_cache_headers(response)
    return response


@staff_required
@require_GET
def complaint_detail(request, complaint_code: str):
    complaint = get_complaint_for_user(request.user, complaint_code)
    log_access(user=request.user, complaint_id=complaint.pk, action="view_complaint")
    return _page(request, complaint)


@staff_required
@require_GET
def complaint_photo(request, complaint_code: str):
    complaint = get_complaint_for_user(request.user, complaint_code)
    if not complaint.photo:
        raise Http404("Pengaduan ini tidak punya foto.")
    log_access(user=request.user, complaint_id=complaint.pk, action="view_complaint_photo")
    response = private_file_response(
        complaint.photo,
        content_type="image/jpeg",
        as_attachment=False,
        filename=f"pengaduan-{complaint.code}.jpg",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _step(request, complaint_code: str, step, success: str, form=None, form_name="", **kwargs):
    """Run one step; a form that does not validate (or a refusal) shows the page again."""
    complaint = get_complaint_for_user(request.user, complaint_code)
    if form is not None and not form.is_valid():
        response = _page(request, complaint, **{form_name: form})
        response.status_code = 400
        return response
    if form is not None:
        kwargs.update(form.cleaned_data)
    response = run_step(
        request,
        step,
        success=success,
        redirect_to=complaint,
        form=form,
        complaint=complaint,
        **kwargs,
    )
    if response is None:  # refused, with the message on the form
        return _page(request, complaint, **{form_name: form})
    return response


@staff_required
@require_POST
def complaint_assign(request, complaint_code: str):
    complaint = get_complaint_for_user(request.user, complaint_code)
    form = AssignForm(request.POST, staff=staff_of_office(complaint.office_id))
    return _step(
        request,
        complaint_code,
        complaints.complaint_assign,
        "Pengaduan ditugaskan.",
        form,
        "assign_form",
    )


@staff_required
@require_POST
def complaint_verify(request, complaint_code: str):
    return _step(
        request,
        complaint_code,
        complaints.complaint_verify,
        "Pengaduan diverifikasi; batas jawaban mulai dihitung.",
    )


@staff_required
@require_POST
def complaint_dismiss(request, complaint_code: str):
    return _step(
        request,
        complaint_code,
        complaints.complaint_dismiss,
        "Dinyatakan bukan pengaduan; alasannya tampil di halaman status pelapor.",
        DismissForm(request.POST),
        "dismiss_form",
    )


@staff_required
@require_POST
def complaint_answer(request, complaint_code: str):
    return _step(
        request,
        complaint_code,
        complaints.complaint_answer,
        "Jawaban disimpan dan tampil di halaman status pelapor.",
        AnswerForm(request.POST),
        "answer_form",
    )


@staff_required
@require_POST
def complaint_close(request, complaint_code: str):
    return _step(request, complaint_code, complaints.complaint_close, "Pengaduan ditutup.")


@staff_required
@require_POST
def complaint_lapor(request, complaint_code: str):
    return _step(
        request,
        complaint_code,
        complaints.complaint_set_lapor_ref,
        "Nomor LAPOR! disimpan.",
        LaporForm(request.POST),
        "lapor_form",
    )


@staff_required
@require_POST
def complaint_publish(request, complaint_code: str):
    published = request.POST.get("published") == "1"
    return _step(
        request,
        complaint_code,
        complaints.complaint_publish,
        "Ditampilkan di daftar publik." if published else "Disembunyikan dari daftar publik.",
        published=published,
    )
