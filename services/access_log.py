"""Reading the access log (UU PDP): who viewed whose case, for the supervisor.

Rows are written by ``services.documents.serving.log_access`` wherever a page or file shows a
resident's data; this module only reads them, scoped to the supervisor's office: the office's
log with filters, and one case's log ("siapa yang melihat data saya", printed on request).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from kelurahan.models import Membership
from services.models import AccessLog, Application

ACTION_LABELS = {
    "view_application": "Membuka halaman permohonan",
    "view_receipt": "Membuka tanda terima",
    "view_document": "Membuka berkas",
    "view_thumbnail": "Melihat gambar kecil berkas",
    "download_letter": "Mengunduh surat",
    "download_bundle": "Mengunduh berkas arsip",
    "resident_download_letter": "Pemohon mengunduh surat (tautan status)",
    "rt_view_request": "Ketua RT membuka permintaan verifikasi",
    "admin_view": "Membuka data di halaman admin",
    "pdp_export": "Mengekspor data pribadi (permintaan subjek data)",
    "view_complaint": "Membuka pengaduan",
    "view_complaint_photo": "Membuka foto pengaduan",
    "oversight_view": "Pengawas (camat/kota) membuka halaman permohonan",
}

# The office's log shows a week unless the supervisor asks for more; a case's log is whole.
DEFAULT_DAYS = 7
MAX_DAYS = 366


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


class AccessLogFilterForm(forms.Form):
    """The office log's filters: one member of the office and a range of days."""

    pengguna = forms.TypedChoiceField(
        label="Pengguna", required=False, coerce=int, empty_value=None
    )
    dari = forms.DateField(
        label="Dari tanggal", required=False, widget=forms.DateInput({"type": "date"})
    )
    sampai = forms.DateField(
        label="Sampai tanggal", required=False, widget=forms.DateInput({"type": "date"})
    )

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        members = (
            Membership.objects.filter(office=office)
            .select_related("user")
            .order_by("user__first_name", "user__username")
        )
        self.fields["pengguna"].choices = [("", "Semua pengguna")] + [
            (m.user_id, f"{m.user.get_full_name() or m.user.username} ({m.get_role_display()})")
            for m in members
        ]

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        until = cleaned.get("sampai") or today
        since = cleaned.get("dari") or until - timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            raise forms.ValidationError("Tanggal 'dari' harus sebelum tanggal 'sampai'.")
        if (until - since).days >= MAX_DAYS:
            raise forms.ValidationError(f"Rentang tanggal paling lama {MAX_DAYS} hari.")
        cleaned["dari"], cleaned["sampai"] = since, until
        return cleaned


@dataclass(frozen=True)
class Range:
    since: date
    until: date

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        start = datetime.combine(self.since, time.min, tzinfo=tz)
        end = datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=tz)
        return start, end


def _rows(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(
        "user__membership", "user__oversight", "application", "complaint", "attachment__requirement"
    ).order_by("-at", "-pk")


def access_log_for_office(office, *, user_id: int | None, period: Range) -> QuerySet:
    """The office's access log in ``period`` (newest first), of one member when given."""
    start, end = period.bounds()
    rows = AccessLog.objects.filter(
        Q(application__office=office) | Q(complaint__office=office), at__gte=start, at__lt=end
    )
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    return _rows(rows)


def access_log_for_application(application: Application) -> QuerySet:
    """Everyone who viewed this case, its documents or its letter, newest first."""
    return _rows(AccessLog.objects.filter(application=application))


def viewer_label(row: AccessLog) -> str:
    """Who: a member's name and role, or the resident through the status link."""
    if row.user_id is None:
        return "Pemohon (tautan halaman status)"
    user = row.user
    name = user.get_full_name() or user.username
    # Loaded by select_related (no query); a user with neither a membership nor an oversight
    # row is an admin.
    membership = getattr(user, "membership", None)
    if membership:
        return f"{name} ({membership.get_role_display()})"
    oversight = getattr(user, "oversight", None)
    return f"{name} ({oversight.get_role_display()})" if oversight else f"{name} (admin)"


@dataclass(frozen=True)
class Entry:
    at: datetime
    viewer: str
    action: str
    code: str  # the case's or the complaint's
    url: str  # who viewed that case, or the complaint's page
    document: str


def entries(rows) -> list[Entry]:
    """The rows as the pages print them (labels computed once, here, not in the template)."""
    return [
        Entry(
            at=row.at,
            viewer=viewer_label(row),
            action=action_label(row.action),
            code=row.application.code if row.application_id else row.complaint.code,
            url=(
                reverse("services:application_access_log", args=[row.application.code])
                if row.application_id
                else reverse("services:complaint_detail", args=[row.complaint.code])
            ),
            document=row.attachment.requirement.label if row.attachment_id else "",
        )
        for row in rows
    ]
