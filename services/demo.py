"""Demo data of services for ``manage.py seed_demo``: a few complaints in different states.

Made through the real steps (``services.complaints``), so each carries its events, deadlines
and outbox messages. Idempotent: an office that has complaints already gets none.
"""

from __future__ import annotations

from kelurahan.models import Membership, Role
from services import complaints
from services.models import Complaint

# (kind, text, contact phone, the steps it went through, answer or reason)
DEMO_COMPLAINTS = [
    (
        "pengaduan",
        "Antrean di loket pelayanan sangat panjang pada hari Senin pagi, petugas baru datang "
        "pukul 08.45.",
        "081234500001",
        [],
        "",
    ),
    (
        "informasi",
        "Apa saja syarat membuat surat pengantar nikah bila calon suami dari luar kota?",
        "",
        ["verify"],
        "",
    ),
    (
        "aspirasi",
        "Mohon dipasang lampu penerangan di gang menuju kantor kelurahan, gelap saat sore.",
        "081234500003",
        ["verify", "answer"],
        "Terima kasih. Usulan lampu gang sudah kami teruskan ke Dinas Perkim; pemasangan "
        "dijadwalkan bulan depan.",
    ),
    (
        "pengaduan",
        "Surat pengantar KTP saya selesai lebih lama dari yang dijanjikan di tanda terima.",
        "081234500004",
        ["verify", "answer", "close"],
        "Mohon maaf atas keterlambatannya: Ketua RT sedang di luar kota. Kini Ketua RT "
        "diingatkan otomatis sebelum batas waktu verifikasi.",
    ),
    (
        "pengaduan",
        "Tagihan listrik rumah saya naik dua kali lipat bulan ini.",
        "",
        ["dismiss"],
        "Bukan wewenang kelurahan: silakan hubungi PLN (telepon 123) atau aplikasi PLN Mobile.",
    ),
]


def seed_complaints(office) -> list[str]:
    if Complaint.objects.filter(office=office).exists():
        return []
    officer = (
        Membership.objects.select_related("user")
        .filter(office=office, role=Role.OFFICER)
        .order_by("user__username")
        .first()
    )
    if officer is None:
        return []
    by = officer.user
    for kind, text, phone, steps, words in DEMO_COMPLAINTS:
        complaint = complaints.complaint_file(
            office=office,
            kind=kind,
            text=text,
            contact_name="Warga Demo" if phone else "",
            contact_phone=phone,
        )
        for step in steps:
            if step == "verify":
                complaints.complaint_verify(complaint=complaint, by=by)
            elif step == "answer":
                complaints.complaint_answer(complaint=complaint, by=by, answer=words)
            elif step == "close":
                complaints.complaint_close(complaint=complaint, by=by)
            elif step == "dismiss":
                complaints.complaint_dismiss(complaint=complaint, by=by, reason=words)
    return [f"Pengaduan demo: {len(DEMO_COMPLAINTS)} laporan dalam berbagai status."]
