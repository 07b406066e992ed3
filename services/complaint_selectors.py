"""The reads of the office's complaint pages, scoped to the user's office (404 outside it)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404

from kelurahan.access import STAFF_ROLES, membership_for
from services.models import (
    Complaint,
    ComplaintEvent,
    ComplaintState,
    MessageChannel,
    ResidentMessage,
)
from services.sla import WorkingCalendar, time_left

C = ComplaintState
QUEUE_PAGE_SIZE = 50
TABS = {
    "": [C.RECEIVED, C.VERIFIED],
    "answered": [C.ANSWERED],
    "done": [C.CLOSED, C.DISMISSED],
}


def _staff_office_id(user) -> int:
    membership = membership_for(user)
    if membership is None or membership.role not in STAFF_ROLES:
        raise Http404("Halaman tidak ditemukan.")
    return membership.office_id


def complaints_for_staff(user, tab: str = "") -> QuerySet[Complaint]:
    """The office's complaints of one tab: open ones by the deadline due next (oldest due
    first, the partial index ``complaint_open_queue``), the others newest first."""
    office_id = _staff_office_id(user)
    rows = Complaint.objects.filter(office_id=office_id).select_related("assigned_to")
    if tab == "":
        return rows.filter(is_open=True).order_by("queue_due", "id")
    return rows.filter(state__in=TABS.get(tab, TABS["done"])).order_by("-received_at", "-id")


def with_time_left(complaints, office) -> list:
    """Attach ``time_left`` (the deadline due next) to each open complaint of one page."""
    calendar = WorkingCalendar(office)
    rows = list(complaints)
    for complaint in rows:
        due = complaint.queue_due if complaint.is_open else None
        complaint.time_left = time_left(calendar, due) if due else None
    return rows


def get_complaint_for_user(user, code: str) -> Complaint:
    office_id = _staff_office_id(user)
    complaint = (
        Complaint.objects.select_related("office", "application", "assigned_to", "answered_by")
        .filter(code=code, office_id=office_id)
        .first()
    )
    if complaint is None:
        raise Http404("Pengaduan tidak ditemukan.")
    return complaint


def complaint_events(complaint: Complaint) -> list[ComplaintEvent]:
    return list(complaint.events.select_related("by").order_by("at", "id"))


def pending_whatsapp_for_complaint(complaint: Complaint) -> list[ResidentMessage]:
    return list(
        ResidentMessage.objects.filter(
            complaint=complaint, channel=MessageChannel.WHATSAPP, sent_at__isnull=True
        ).order_by("created_at", "id")
    )


def staff_of_office(office_id: int) -> list:
    """Officers and supervisors who can be given a complaint."""
    return list(
        get_user_model()
        .objects.filter(
            membership__office_id=office_id,
            membership__role__in=STAFF_ROLES,
            is_active=True,
        )
        .order_by("first_name", "username")
    )
