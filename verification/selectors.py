"""Read-side queries of the RT pages, each scoped to the RT chair's own RT."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from kelurahan.access import rt_for
from kelurahan.prepared import PreparedListing, PreparedRows
from services.models import Application, ApplicationState, Attachment, Verdict
from services.selectors import page_dates, url_maker
from services.sla import WorkingCalendar
from services.sla.calendar import time_left_at
from verification.models import NeighbourAttestation, RequestState, VerificationRequest


def pending_for_chair(user) -> QuerySet[VerificationRequest]:
    """Requests waiting on this chair, the oldest due first."""
    rt = rt_for(user)
    if rt is None:
        return VerificationRequest.objects.none()
    return _pending_for_rt(rt.pk).select_related("application__service")


def _pending_for_rt(rt_id) -> QuerySet[VerificationRequest]:
    return VerificationRequest.objects.filter(
        rt_id=rt_id,
        state=RequestState.PENDING,
        application__state=ApplicationState.IN_VERIFICATION,
    ).order_by("application__verify_due", "created_at", "id")


# What the chair's list prints of each request (``.values()``: no model instances).
LIST_FIELDS = (
    "uuid",
    "state",
    "created_at",
    "decided_at",
    "needs_neighbours",
    "application__applicant_name",
    "application__code",
    "application__service__name",
    "application__verify_due",
)


# Requests waiting per page of the chair's list (the officer's queue shows as many).
CHAIR_PAGE_SIZE = 50


def chair_list(user, office, page_number=None) -> dict:
    """The chair's page: one page of the requests waiting, the most urgent first (with the
    time left to ``verify_due``; ``pending.paginator.count`` is all of them), and the last
    decisions, as rows ready to print, each URL, label and date made once per page."""
    left = time_left_at(WorkingCalendar(office), timezone.now())
    short = page_dates()
    long = page_dates("j M Y H:i")
    url = url_maker("verification:request", "ffffffff-ffff-ffff-ffff-ffffffffffff")
    labels = {value: str(label) for value, label in RequestState.choices}

    def row(vr: dict) -> dict:
        pending = vr["state"] == RequestState.PENDING
        due = vr["application__verify_due"]
        sla = left(due) if pending and due else None
        return {
            "url": url(vr["uuid"]),
            "name": vr["application__applicant_name"],
            "service": vr["application__service__name"],
            "code": vr["application__code"],
            "pending": pending,
            "sent": short(vr["created_at"]) if pending else "",
            "needs_neighbours": vr["needs_neighbours"],
            "sla": sla.status if sla else "",
            "sla_label": sla.label if sla else "",
            "state_label": labels.get(vr["state"], vr["state"]),
            "decided": long(vr["decided_at"]) if not pending else "",
        }

    rt = rt_for(user)
    if rt is None:
        return {"pending": Paginator([], CHAIR_PAGE_SIZE).get_page(1), "decided": []}
    listing = PreparedListing(
        count=_pending_count,
        first=_pending_first_page,
        size=CHAIR_PAGE_SIZE,
        names=LIST_FIELDS,
        later=lambda window: _pending_for_rt(rt.pk).values_list(*LIST_FIELDS)[window],
        rt_id=rt.pk,
    )
    page = Paginator(listing, CHAIR_PAGE_SIZE).get_page(page_number)
    page.object_list = [row(vr) for vr in page.object_list]
    decided = _decided_rows.rows(rt_id=rt.pk)
    return {
        "pending": page,
        "decided": [row(dict(zip(LIST_FIELDS, vr, strict=True))) for vr in decided],
    }


# The chair's list, on every visit: three reads whose SQL cost as much to build as to run
# (issue 12), compiled once per connection (kelurahan.prepared.PreparedRows). An RT pk no RT
# has, within every backend's integer range, stands for the chair's RT.
_RT_PLACEHOLDER = -1_987_654_321
_pending_count = PreparedRows(
    VerificationRequest,
    lambda rt_id: (
        _pending_for_rt(rt_id).order_by().values("rt_id").annotate(n=Count("pk")).values_list("n")
    ),
    rt_id=_RT_PLACEHOLDER,
)
_pending_first_page = PreparedRows(
    VerificationRequest,
    lambda rt_id: _pending_for_rt(rt_id).values_list(*LIST_FIELDS)[:CHAIR_PAGE_SIZE],
    rt_id=_RT_PLACEHOLDER,
)
_decided_rows = PreparedRows(
    VerificationRequest,
    lambda rt_id: _decided_for_rt(rt_id).values_list(*LIST_FIELDS),
    rt_id=_RT_PLACEHOLDER,
)


def pending_count_for_chair(user) -> int:
    return pending_for_chair(user).count()


def recent_decisions_for_chair(user, limit: int = 20) -> QuerySet[VerificationRequest]:
    rt = rt_for(user)
    if rt is None:
        return VerificationRequest.objects.none()
    return _decided_for_rt(rt.pk, limit).select_related("application__service")


def _decided_for_rt(rt_id, limit: int = 20) -> QuerySet[VerificationRequest]:
    return (
        VerificationRequest.objects.filter(rt_id=rt_id)
        .exclude(state__in=[RequestState.PENDING, RequestState.REROUTED])
        .order_by("-decided_at", "-id")[:limit]
    )


def get_request_for_chair(user, uuid) -> VerificationRequest:
    """A request of the chair's own RT, or 404 for anyone else (and for a request that was
    re-routed away from this RT)."""
    rt = rt_for(user)
    if rt is None:
        raise Http404("Permintaan tidak ditemukan.")
    try:
        return (
            VerificationRequest.objects.select_related(
                "application__service",
                "application__variant",
                "application__rt__rw",
                "application__office",
                "created_by",
            )
            .exclude(state=RequestState.REROUTED)
            .get(uuid=uuid, rt=rt)
        )
    except (VerificationRequest.DoesNotExist, ValueError) as exc:
        raise Http404("Permintaan tidak ditemukan.") from exc


def get_attachment_for_chair(user, request_uuid, attachment_uuid) -> Attachment:
    request = get_request_for_chair(user, request_uuid)
    try:
        return Attachment.objects.get(uuid=attachment_uuid, application_id=request.application_id)
    except (Attachment.DoesNotExist, ValueError) as exc:
        raise Http404("Berkas tidak ditemukan.") from exc


def documents_for_request(request: VerificationRequest) -> tuple[list, list]:
    """The case's documents for the chair: those the officer did not reject (what the chair
    confirms), and those the officer already rejected (shown apart, labelled)."""
    attachments = list(request.application.attachments.select_related("requirement"))
    return (
        [a for a in attachments if a.verdict != Verdict.REJECTED],
        [a for a in attachments if a.verdict == Verdict.REJECTED],
    )


def attestations_for_request(request: VerificationRequest) -> list[NeighbourAttestation]:
    return list(request.attestations.all())


def get_assisted_application_for_chair(user, code: str) -> Application:
    """A case this chair submitted for a resident, or 404 (anyone else's, any other code)."""
    try:
        return Application.objects.select_related("service").get(code=code, assisted_by_user=user)
    except Application.DoesNotExist as exc:
        raise Http404("Permohonan tidak ditemukan.") from exc


def requests_for_application(application) -> list[VerificationRequest]:
    """The verification history the officer's case page shows.

    Few requests have a neighbour's statement: whether each has one comes with the requests,
    and the statements are read (one query) only when some have.
    """
    requests = list(
        VerificationRequest.objects.filter(application=application)
        .select_related("decided_by", "rt__rw")  # who sent it is not shown
        .annotate(
            has_attestations=Exists(NeighbourAttestation.objects.filter(request_id=OuterRef("pk")))
        )
        .order_by("created_at", "id")
    )
    attested = [r for r in requests if r.has_attestations]
    prefetch_related_objects(attested, "attestations")
    none = NeighbourAttestation.objects.none()
    for request in requests:
        if not request.has_attestations:  # vr.attestations.all: none, without a query
            request._prefetched_objects_cache = {"attestations": none}
    return requests
