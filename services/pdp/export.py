"""Everything the portal holds about one person, found by their NIK (UU PDP Pasal 7 and 32).

``person_export(nik=, by=)`` gathers every case with that NIK — the applicant's data, the
case's history, documents, letters, messages to the resident, complaints about the case,
who viewed it, and what other apps hold about it (``services.pdp.holders``) — and writes one
access-log row per case (action ``pdp_export``). ``write_export(export, folder)`` puts it on
disk as JSON, a PDF and the files themselves; ``export_zip(export)`` does the same into a zip
for the admin action.

Nothing about anyone else goes in: cases of other people in the same family card are not
"about" this person, and the neighbours who vouched for them appear by their statement only.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Prefetch
from django.utils import timezone

from services.access_log import action_label, viewer_label
from services.documents.serving import log_access
from services.letters.pdf import render_pdf
from services.models import (
    EVENT_LABELS,
    AccessLog,
    Application,
    ApplicationEvent,
    Attachment,
    Complaint,
    Letter,
    ResidentMessage,
)
from services.pdp import holders
from services.validators import validate_nik


@dataclass
class PersonExport:
    nik: str
    made_at: str
    cases: list[dict] = field(default_factory=list)
    # (path inside the export, storage file) of every document and letter PDF
    files: list[tuple[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "nik": self.nik,
            "dibuat": self.made_at,
            "jumlah_permohonan": len(self.cases),
            "permohonan": self.cases,
        }

    def json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)

    def pdf(self) -> bytes:
        return render_pdf(
            "services/pdp_export_pdf.html",
            {"export": self.as_dict(), "cases": [_printable(case) for case in self.cases]},
        )


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _text(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items()) or "–"
    return "–" if value in (None, "") else str(value)


def _printable(case: dict) -> dict:
    """One case as the PDF prints it: its facts, then one list per kind of record."""
    facts = [(_label(k), _text(v)) for k, v in case.items() if not isinstance(v, (list, dict))] + [
        (_label(k), _text(v)) for k, v in case["data_pemohon"].items()
    ]
    sections = [
        (_label(k), [" · ".join(f"{_label(a)}: {_text(b)}" for a, b in row.items()) for row in v])
        for k, v in case.items()
        if isinstance(v, list) and v
    ]
    return {"title": f"{case['kode']} — {case['layanan']}", "facts": facts, "sections": sections}


def _when(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else None


def _person(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.username


def _cases(nik: str, office=None):
    cases = Application.objects.filter(nik=nik)
    if office is not None:
        cases = cases.filter(office=office)
    return (
        cases.select_related("office", "service", "variant", "rt__rw")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ApplicationEvent.objects.select_related("by").order_by("at", "pk"),
            ),
            Prefetch(
                "attachments",
                queryset=Attachment.objects.select_related("requirement", "uploaded_by"),
            ),
            Prefetch("letters", queryset=Letter.objects.order_by("issued_at", "pk")),
        )
        .order_by("received_at", "pk")
    )


def person_export(*, nik: str, by, office=None) -> PersonExport:
    """What is held about the person with ``nik`` (in ``office``, or in every office)."""
    nik = validate_nik(nik)
    cases = list(_cases(nik, office))
    ids = [case.pk for case in cases]
    messages = _grouped(
        ResidentMessage.objects.filter(application_id__in=ids).order_by("created_at", "pk")
    )
    complaints = _grouped(Complaint.objects.filter(application_id__in=ids).order_by("pk"))
    views = _grouped(
        AccessLog.objects.filter(application_id__in=ids)
        .select_related("user__membership")
        .order_by("at", "pk")
    )
    others = [(holder, holder.export(ids)) for holder in holders()]
    export = PersonExport(nik=nik, made_at=_when(timezone.now()))
    for case in cases:
        export.cases.append(
            _case(
                case,
                messages,
                complaints,
                views,
                [(h, rows.get(case.pk, [])) for h, rows in others],
            )
        )
        for attachment in case.attachments.all():
            if attachment.file:
                name = f"{case.code}/berkas/{attachment.uuid}-{_safe(attachment.original_name)}"
                export.files.append((name, attachment.file))
        for letter in case.letters.all():
            if letter.pdf:
                export.files.append((f"{case.code}/surat/{_safe(letter.number)}.pdf", letter.pdf))
        log_access(user=by, application_id=case.pk, action="pdp_export")
    return export


def _grouped(queryset) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in queryset:
        grouped.setdefault(row.application_id, []).append(row)
    return grouped


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "berkas"


def _case(case: Application, messages, complaints, views, others) -> dict:
    return {
        "kode": case.code,
        "kantor": case.office.name,
        "layanan": case.service.name,
        "jenis": case.variant.name if case.variant_id else None,
        "status": case.get_state_display(),
        "diterima": _when(case.received_at),
        "selesai_atau_ditutup": _when(case.closed_at),
        "data_pemohon": {
            "nama": case.applicant_name,
            "nik": case.nik,
            "nomor_kk": case.kk_number,
            "telepon": case.phone,
            "email": case.email,
            "alamat": case.address,
            "rt_rw": f"RT {case.rt.number:03d}/RW {case.rt.rw.number:03d}",
            "keperluan": case.purpose,
            "data_tambahan": case.extra,
            "dibantu_oleh": case.assisted_by,
            "pengambilan_hasil": case.get_delivery_display(),
            "alamat_pengiriman": case.delivery_address,
            "diterima_oleh": case.handed_over_to,
        },
        "riwayat": [
            {
                "waktu": _when(event.at),
                "langkah": EVENT_LABELS.get(event.transition, event.transition),
                "catatan": event.note,
                "oleh": _person(event.by),
            }
            for event in case.events.all()
        ],
        "berkas": [
            {
                "persyaratan": a.requirement.label,
                "nama_berkas": a.original_name,
                "jenis": a.content_type,
                "ukuran_byte": a.size,
                "sha256": a.sha256,
                "diunggah": _when(a.uploaded_at),
                "hasil_pemeriksaan": a.get_verdict_display(),
                "alasan_ditolak": a.verdict_reason,
                "berkas_sudah_dihapus": not a.file,
            }
            for a in case.attachments.all()
        ],
        "surat": [
            {
                "nomor": letter.number,
                "terbit": _when(letter.issued_at),
                "sha256": letter.sha256,
                "dicabut": _when(letter.revoked_at),
            }
            for letter in case.letters.all()
        ],
        "pesan_kepada_pemohon": [
            {
                "dibuat": _when(m.created_at),
                "saluran": m.get_channel_display(),
                "penerima": m.recipient,
                "isi": m.text,
                "terkirim": _when(m.sent_at),
            }
            for m in messages.get(case.pk, [])
        ],
        "pengaduan": [
            {
                "kode": c.code,
                "jenis": c.get_kind_display(),
                "isi": c.text,
                "status": c.get_state_display(),
                "jawaban": c.answer,
                "diterima": _when(c.received_at),
            }
            for c in complaints.get(case.pk, [])
        ],
        "yang_melihat_data": [
            {
                "waktu": _when(row.at),
                "pengguna": viewer_label(row),
                "tindakan": action_label(row.action),
            }
            for row in views.get(case.pk, [])
        ],
        **{holder.key: rows for holder, rows in others},
    }


def write_export(export: PersonExport, folder: Path) -> list[Path]:
    """``data.json``, ``data.pdf`` and every file under ``folder``; returns what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "data.json", folder / "data.pdf"]
    written[0].write_text(export.json(), encoding="utf-8")
    written[1].write_bytes(export.pdf())
    for name, stored in export.files:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with stored.open("rb") as source:
            target.write_bytes(source.read())
        written.append(target)
    return written


def export_zip(export: PersonExport) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", export.json())
        archive.writestr("data.pdf", export.pdf())
        for name, stored in export.files:
            with stored.open("rb") as source:
                archive.writestr(name, source.read())
    return buffer.getvalue()
