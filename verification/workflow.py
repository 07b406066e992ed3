"""The write side of RT verification: send a case to its RT, and the RT chair's decisions.

Each function is atomic, moves the application through ``services.workflow``'s one
transition runner (which writes the application's event) and records the request's decision
in the same transaction. Not allowed → ``WorkflowError`` with an Indonesian message.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from kelurahan.access import rt_for
from services.letters import new_rt_cover_letter
from services.models import Application, RequirementKind, Verdict
from services.tasks import enqueue_after_commit
from services.workflow import (
    CHANGED_UNDER_YOU,
    WorkflowError,
    WorkflowPermissionDenied,
    application_archive,
    application_transition,
    sync,
)
from verification.models import NeighbourAttestation, RequestState, VerificationRequest

ALREADY_DECIDED = "Permintaan ini sudah diputuskan sebelumnya; keputusan tidak diubah."


@transaction.atomic
def application_send_to_rt(
    *,
    application: Application,
    by: AbstractBaseUser,
    note: str = "",
    needs_neighbours: bool = False,
    neighbour_reason: str = "",
) -> VerificationRequest:
    """Day 2 starts: ask the applicant's Ketua RT to confirm the case."""
    rt = application.rt
    if rt.chair_id is None:
        raise WorkflowError(
            f"{rt} belum punya Ketua RT di portal, jadi permintaan verifikasi tidak bisa "
            "dikirim. Minta admin menghubungkan Ketua RT-nya, atau hubungi RT langsung."
        )
    neighbour_reason = neighbour_reason.strip()
    if needs_neighbours and not neighbour_reason:
        raise WorkflowError("Tulis alasan mengapa perlu kesaksian tetangga.")
    case = application_transition(application, by, "send_to_rt", "dikirim ke RT", note.strip())
    try:
        with transaction.atomic():
            request = VerificationRequest.objects.create(
                application=case,
                rt=rt,
                officer_note=note.strip(),
                needs_neighbours=needs_neighbours,
                neighbour_reason=neighbour_reason if needs_neighbours else "",
                created_by=by,
                created_at=case.sent_to_rt_at,
            )
    except IntegrityError as exc:
        raise WorkflowError(CHANGED_UNDER_YOU) from exc
    sync(application, case)
    return request


@transaction.atomic
def application_archive_and_send_to_rt(
    *,
    application: Application,
    by: AbstractBaseUser,
    note: str = "",
    needs_neighbours: bool = False,
    neighbour_reason: str = "",
) -> VerificationRequest:
    """Archive and send in one click; still two steps (two SLA milestones, two events)."""
    application_archive(application=application, by=by)
    return application_send_to_rt(
        application=application,
        by=by,
        note=note,
        needs_neighbours=needs_neighbours,
        neighbour_reason=neighbour_reason,
    )


def _check_chair(request: VerificationRequest, by: AbstractBaseUser) -> None:
    chair_rt = rt_for(by)
    if chair_rt is None or chair_rt.pk != request.rt_id:
        raise WorkflowPermissionDenied("Permintaan ini bukan untuk RT Anda.")


def _decide(
    request: VerificationRequest,
    by: AbstractBaseUser,
    state: str,
    transition: str,
    verb: str,
    note: str,
    **transition_kwargs,
) -> VerificationRequest:
    """Record one decision: exactly one of two concurrent decisions gets through."""
    _check_chair(request, by)
    now = timezone.now()
    claimed = VerificationRequest.objects.filter(pk=request.pk, state=RequestState.PENDING).update(
        state=state,
        decided_by=by,
        decided_at=now,
        note=note,
        gave_cover_letter=bool(transition_kwargs.get("cover_letter_by")),
    )
    if not claimed:
        raise WorkflowError(ALREADY_DECIDED)
    application_transition(request.application, by, transition, verb, note, **transition_kwargs)
    request.refresh_from_db()
    return request


def _needs_cover_letter(application: Application) -> bool:
    """Does the RT chair's approval have to stand in for the cover letter?"""
    if not application.service.rt_approval_replaces_cover_letter:
        return False
    return not application.attachments.filter(
        requirement__kind=RequirementKind.RT_COVER_LETTER, verdict=Verdict.ACCEPTED
    ).exists()


@transaction.atomic
def verification_approve(
    *, request: VerificationRequest, by: AbstractBaseUser, note: str = ""
) -> VerificationRequest:
    """The RT chair confirms: the applicant lives here and the documents are genuine."""
    if request.needs_neighbours and not request.attestations.exists():
        raise WorkflowError(
            "Permintaan ini perlu kesaksian tetangga. Catat minimal satu kesaksian dulu, "
            "lalu setujui."
        )
    cover_letter_by = by if _needs_cover_letter(request.application) else None
    decided = _decide(
        request,
        by,
        RequestState.APPROVED,
        "approve",
        "disetujui",
        note.strip(),
        cover_letter_by=cover_letter_by,
    )
    if cover_letter_by is not None:
        letter = new_rt_cover_letter(decided.application, by)
        enqueue_after_commit("services.tasks.render_letter_task", letter.pk)
    return decided


def _reason(note: str, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise WorkflowError(f"Tulis alasannya: {what}")
    return note


@transaction.atomic
def verification_reject(
    *, request: VerificationRequest, by: AbstractBaseUser, note: str
) -> VerificationRequest:
    """The RT chair refuses (e.g. the person does not live here); the case closes."""
    reason = _reason(note, "mengapa permohonan ditolak.")
    return _decide(request, by, RequestState.REJECTED, "reject", "ditolak", reason)


@transaction.atomic
def verification_return(
    *, request: VerificationRequest, by: AbstractBaseUser, note: str
) -> VerificationRequest:
    """A document is wrong: the case goes back to the applicant as incomplete."""
    reason = _reason(note, "berkas mana yang salah dan apa yang harus diperbaiki.")
    return _decide(
        request, by, RequestState.RETURNED, "return_to_applicant", "dikembalikan", reason
    )


@transaction.atomic
def attestation_add(
    *,
    request: VerificationRequest,
    by: AbstractBaseUser,
    name: str,
    address: str,
    relation: str,
    statement: str,
) -> NeighbourAttestation:
    """Record a neighbour's statement while the request is pending."""
    _check_chair(request, by)
    if not VerificationRequest.objects.filter(pk=request.pk, state=RequestState.PENDING).exists():
        raise WorkflowError(ALREADY_DECIDED)
    attestation = NeighbourAttestation.objects.create(
        request=request,
        name=name.strip(),
        address=address.strip(),
        relation=relation.strip(),
        statement=statement.strip(),
        recorded_by=by,
    )
    application = request.application
    application.events.create(
        by=by,
        transition="neighbour_attestation",
        source=application.state,
        target=application.state,
        note=f"{attestation.name} ({attestation.relation}), {attestation.address}",
    )
    return attestation
