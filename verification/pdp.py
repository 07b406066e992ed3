"""What verification holds about a case, for services.pdp (export and retention).

The Ketua RT's requests (notes, decisions) are about the applicant. Neighbours' attestations
are about the applicant too, but the neighbour's own name and house are that neighbour's
personal data: the export shows the statement and the relation only.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from services.pdp import Holder
from verification.models import NeighbourAttestation, VerificationRequest

REMOVED = "[dihapus]"


def _when(value):
    return timezone.localtime(value).isoformat(timespec="minutes") if value else None


def export(application_ids: list[int]) -> dict[int, list[dict]]:
    rows: dict[int, list[dict]] = {}
    requests = (
        VerificationRequest.objects.filter(application_id__in=application_ids)
        .select_related("rt__rw")
        .prefetch_related(
            Prefetch("attestations", queryset=NeighbourAttestation.objects.order_by("pk"))
        )
        .order_by("created_at", "pk")
    )
    for vr in requests:
        rows.setdefault(vr.application_id, []).append(
            {
                "rt": f"RT {vr.rt.number:03d}/RW {vr.rt.rw.number:03d}",
                "dikirim": _when(vr.created_at),
                "catatan_petugas": vr.officer_note,
                "keputusan": vr.get_state_display(),
                "diputuskan": _when(vr.decided_at),
                "catatan_ketua_rt": vr.note,
                "kesaksian_tetangga": "; ".join(
                    f"{a.relation}: {a.statement}" for a in vr.attestations.all()
                ),
            }
        )
    return rows


def anonymise(application_ids: list[int]) -> int:
    changed = VerificationRequest.objects.filter(application_id__in=application_ids).update(
        officer_note="", note="", neighbour_reason=""
    )
    return changed + NeighbourAttestation.objects.filter(
        request__application_id__in=application_ids
    ).update(name=REMOVED, address=REMOVED, relation=REMOVED, statement=REMOVED)


HOLDER = Holder(
    key="verifikasi_rt", label="Verifikasi Ketua RT", export=export, anonymise=anonymise
)
