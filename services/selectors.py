"""Read-side queries for the pages of the services app, scoped to the user's office."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from types import SimpleNamespace
from urllib.parse import quote

from django.core.paginator import Paginator
from django.db.models import (
    Count,
    Exists,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Concat
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.functional import cached_property

from kelurahan.access import STAFF_ROLES, membership_for
from kelurahan.models import RT, OfficeClosedDay
from kelurahan.prepared import PreparedListing, PreparedQuery, PreparedRows
from services.case_page import case_panels
from services.catalogue import active_variants, applies_to, catalogue, extra_rows
from services.models import (
    OPEN_STATES,
    QUEUE_LAST,
    Application,
    ApplicationEvent,
    ApplicationState,
    Attachment,
    Letter,
    LetterKind,
    MessageChannel,
    MessageState,
    Notification,
    Requirement,
    ResidentMessage,
    Service,
    ServiceVariant,
    Verdict,
)
from services.sla import WorkingCalendar, time_left
from services.sla.calendar import time_left_at

# A reference code as typed: office code, a dash, then any part of the rest (BKS-2611-0042).
REFERENCE_PREFIX = re.compile(r"^[A-Z]{2,8}-")


# What a phone number or a code fragment may contain besides digits, as people type them.
NUMBER_LIKE = re.compile(r"^[\d\s().+-]+$")
NON_DIGITS = re.compile(r"\D")


def search_condition(q: str) -> Q:
    """One search box: a reference code (whole or a part), a name, or a phone number.

    ``BKS-2611`` is a code prefix (served by the code's unique index); a number-like query
    (``0042``, ``2611-0042``, ``0812 3456``, ``+62812…``) matches a part of the code or of
    the phone number, stored as ``+62…`` (so ``0812`` and ``+62812`` find the same case);
    anything else a part of the name or the code. The NIK is searched apart (``nik=``).
    Parts of a code or phone are matched within the office's queue rows, which the queue's
    indexes select first.
    """
    code = q.upper()
    if REFERENCE_PREFIX.match(code):
        return Q(code__startswith=code)
    if NUMBER_LIKE.match(q):
        digits = NON_DIGITS.sub("", q)
        if not digits:
            return Q(pk__in=[])
        in_code = Q(code__contains=code.replace(" ", ""))
        # Fewer than 4 digits would match most phone numbers ("+62", "08").
        return in_code | Q(phone__contains=phone_fragment(q)) if len(digits) >= 4 else in_code
    return Q(applicant_name__icontains=q) | Q(code__icontains=code)


def phone_fragment(q: str) -> str:
    """A typed (part of a) phone number in the stored +62 form: 0812… and +62812… alike."""
    digits = NON_DIGITS.sub("", q)
    if q.lstrip().startswith("+") or digits.startswith("62"):
        return "+" + digits if digits.startswith("62") else digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    return digits


def looks_like_nik(q: str) -> bool:
    """16 digits once spaces, dots and dashes are dropped: a NIK (never put it in a URL)."""
    return bool(NUMBER_LIKE.match(q or "")) and len(NON_DIGITS.sub("", q)) == 16


def services_for_catalogue() -> QuerySet[Service]:
    """Active services with their requirements (and the variants each is limited to), their
    active variants and data fields, in order: a fixed number of queries whatever the size."""
    return Service.objects.active().prefetch_related(
        Prefetch(
            "requirements",
            queryset=Requirement.objects.order_by("order", "id").prefetch_related("variants"),
        ),
        Prefetch(
            "variants",
            queryset=ServiceVariant.objects.filter(active=True).order_by("order", "id"),
            to_attr="active_variants",
        ),
        "data_fields",
    )


@dataclass(frozen=True)
class VariantChoice:
    variant: ServiceVariant
    requirements: list[Requirement]
    url: str


def variant_choices(service: Service, url_for) -> list[VariantChoice]:
    """The service's active variants, each with the requirements it needs (the choice step).

    ``url_for(variant)`` gives the intake URL of that variant (officer or RT chair).
    """
    requirements = list(service.requirements.order_by("order", "id").prefetch_related("variants"))
    return [
        VariantChoice(v, [r for r in requirements if applies_to(r, v)], url_for(v))
        for v in active_variants(service)
    ]


def get_variant_or_404(service: Service, code: str) -> ServiceVariant | None:
    """The active variant ``code`` of the service; None when no code was given."""
    if not code:
        return None
    try:
        return service.variants.get(code=code, active=True)
    except ServiceVariant.DoesNotExist as exc:
        raise Http404("Jenis permohonan tidak ditemukan.") from exc


CASE_RELATED = ("service", "office", "rt__rw", "received_by", "assisted_by_user", "variant")


def _staff_membership(user):
    """The user's membership if it is an office's staff; 404 for anyone else."""
    membership = membership_for(user)
    if membership is None or membership.role not in STAFF_ROLES:
        raise Http404("Permohonan tidak ditemukan.")
    return membership


def get_application_for_user(
    user, code: str, *, related=CASE_RELATED, **annotations
) -> Application:
    """The application with this code in the user's office, or 404 for anyone else."""
    membership = _staff_membership(user)
    try:
        application = (
            Application.objects.select_related(*related)
            .annotate(**annotations)
            .get(code=code, office_id=membership.office_id)
        )
    except Application.DoesNotExist as exc:
        raise Http404("Permohonan tidak ditemukan.") from exc
    if "office" not in related:  # the user's own office, read with the user
        application.office = membership.office
    return application


class _Joined(Func):
    """The subquery's values as one text, comma-separated (an aggregate over the whole
    subquery: a Func, so Django adds no GROUP BY), NULL when there are none."""

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="GROUP_CONCAT(%(expressions)s, ',')")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="STRING_AGG((%(expressions)s)::text, ',')", **extra
        )


def _joined(queryset: QuerySet, expression) -> Subquery:
    rows = queryset.order_by().annotate(joined=_Joined(expression)).values("joined")
    return Subquery(rows, output_field=TextField())


def _case_page_queryset(code, office_id) -> QuerySet[Application]:
    """The case page's case: what ``get_case_for_page`` reads, as a queryset."""
    office = OuterRef("office_id")
    return (
        # Not the office (the user's own, read with the user) nor the assisting chair (not
        # shown); the chair who gave the portal cover letter is (the RT panel).
        Application.objects.select_related(
            "service", "rt__rw", "received_by", "variant", "rt_cover_letter_by"
        )
        .annotate(
            page_closed_days=_joined(OfficeClosedDay.objects.filter(office_id=office), "date"),
            # The office's RTs (the correction and reopen forms' choices): id:rw:rt each.
            page_rts=_joined(
                RT.objects.filter(rw__office_id=office),
                Concat(
                    "id", Value(":"), "rw__number", Value(":"), "number", output_field=TextField()
                ),
            ),
            page_has_letters=Exists(Letter.objects.filter(application_id=OuterRef("pk"))),
            page_has_messages=Exists(
                ResidentMessage.objects.filter(WAITING_FOR_OFFICER, application_id=OuterRef("pk"))
            ),
            # What the other apps' panels read with the case (services.case_page).
            **{name: column() for panel in case_panels() for name, column in panel.columns},
        )
        .filter(code=code, office_id=office_id)
    )


# Compiled once per connection (kelurahan.prepared): building and compiling its five joins and
# four subqueries cost more than running it. The placeholders are values no case has.
_case_page_query = PreparedQuery(
    Application,
    _case_page_queryset,
    shape=lambda: tuple(case_panels()),  # a panel registered later: compiled again
    code="~placeholder of the case code~",
    office_id=-1_987_654_321,
)


def get_case_for_page(user, code: str) -> Application:
    """``get_application_for_user`` for the case page, with in the same query what it would
    otherwise read in queries of their own: the office's closed days (the next deadline's time
    left), and whether the case has letters and messages waiting for the officer (most have
    neither: then those reads are skipped). ``case_page_reads`` uses them."""
    membership = _staff_membership(user)
    application = _case_page_query.first(code=str(code), office_id=membership.office_id)
    if application is None:
        raise Http404("Permohonan tidak ditemukan.")
    application.office = membership.office  # the user's own office, read with the user
    return application


def case_rt_choices(application: Application) -> list[tuple] | None:
    """The choices of an RT field of the office's RTs (``ModelChoiceField``: the empty choice,
    then each RT in the model's order), from ``get_case_for_page``'s case; None otherwise."""
    joined = getattr(application, "page_rts", None)
    if joined is None:
        return None
    rows = sorted(  # RT.Meta.ordering within an office: RW number, RT number
        (int(rw), int(number), int(pk))
        for pk, rw, number in (row.split(":") for row in joined.split(","))
    )

    # RT.__str__ itself, on the two numbers it prints (no model instance per RT).
    def label(rw: int, number: int) -> str:
        return RT.__str__(SimpleNamespace(number=number, rw=SimpleNamespace(number=rw)))

    return [("", "---------"), *((pk, label(rw, n)) for rw, n, pk in rows)]


@dataclass(frozen=True)
class CasePageReads:
    letters: list[Letter]
    resident_messages: list[ResidentMessage]


def case_page_reads(application: Application) -> CasePageReads:
    """The case page's reads besides ``application_detail``; sets ``application.sla`` (as
    ``with_time_left`` does). With a case from ``get_case_for_page``, a read whose answer the
    case's query already gave (no letter, no message, the closed days) costs no query; any
    other case (a view re-rendering the page with its bound form) reads them all."""
    joined = getattr(application, "page_closed_days", None)
    closed_days = None
    if hasattr(application, "page_closed_days"):
        closed_days = [date.fromisoformat(d) for d in joined.split(",")] if joined else []
    calendar = WorkingCalendar(application.office, closed_days)
    deadline = next_due(application)
    application.sla = time_left(calendar, deadline, timezone.now()) if deadline else None
    return CasePageReads(
        letters=letters_for_case(application)
        if getattr(application, "page_has_letters", True)
        else [],
        resident_messages=pending_whatsapp_for_case(application)
        if getattr(application, "page_has_messages", True)
        else [],
    )


def get_attachment_for_user(user, code: str, uuid) -> Attachment:
    application = get_application_for_user(user, code)
    try:
        return Attachment.objects.select_related("requirement").get(
            uuid=uuid, application=application
        )
    except (Attachment.DoesNotExist, ValueError) as exc:
        raise Http404("Berkas tidak ditemukan.") from exc


def document_anchor_after(application: Application, attachment: Attachment) -> str:
    """Where the case page should land after a verdict on ``attachment``.

    The next document (in page order) still waiting for a verdict, else the first one
    before it, else the document itself: the officer goes on checking without scrolling.
    """
    order = list(application.attachments.values_list("uuid", "verdict"))
    index = next((i for i, (uuid, _) in enumerate(order) if uuid == attachment.uuid), 0)
    for uuid, verdict in order[index + 1 :] + order[:index]:
        if verdict == Verdict.PENDING:
            return f"berkas-{uuid}"
    return f"berkas-{attachment.uuid}"


def application_detail(application: Application) -> Application:
    """Attach what the application page shows, in a fixed number of queries."""
    # The pages show a document's requirement (from the service's cached catalogue), never
    # who uploaded or checked it.
    requirements = {r.pk: r for r in catalogue(application.service).requirements}
    attachments = _case_attachments.all(application_id=application.pk)
    for attachment in attachments:
        attachment.application = application  # as application.attachments.all() sets it
        if attachment.requirement_id in requirements:
            attachment.requirement = requirements[attachment.requirement_id]
    application.prefetched_attachments = attachments
    application.extra_rows = extra_rows(application)
    application.prefetched_events = _case_events.all(application_id=application.pk)
    return application


# The case page's documents and history, on every visit: SQL compiled once per connection
# (kelurahan.prepared), as the case itself. A case pk no case has stands for the case's.
_CASE_PLACEHOLDER = -1_987_654_321
_case_attachments = PreparedQuery(
    Attachment,
    lambda application_id: Attachment.objects.filter(application_id=application_id),
    application_id=_CASE_PLACEHOLDER,
)
_case_events = PreparedQuery(
    ApplicationEvent,
    lambda application_id: ApplicationEvent.objects.filter(
        application_id=application_id
    ).select_related("by"),
    application_id=_CASE_PLACEHOLDER,
)


def applications_for_officer(
    *,
    user,
    state: str = "",
    service: Service | None = None,
    rt=None,
    q: str = "",
    nik: str = "",
) -> QuerySet[Application]:
    """The office's queue: open cases (or the chosen state), the most urgent deadline first.

    Open cases use the partial index ``application_open_queue``; a chosen state uses
    ``application_by_state``.
    """
    membership = membership_for(user)
    if membership is None or membership.role not in STAFF_ROLES:
        return Application.objects.none()
    qs = Application.objects.filter(office_id=membership.office_id)
    if state == "all":
        pass
    elif state:
        qs = qs.filter(state=state)
    else:
        qs = qs.filter(is_open=True)
    if service is not None:
        qs = qs.filter(service=service)
    if rt is not None:
        qs = qs.filter(rt=rt)
    if nik:
        qs = qs.filter(nik=nik)
    q = q.strip()
    if q:
        qs = qs.filter(search_condition(q))
    return (
        qs.select_related("service", "rt__rw")
        .only(
            "code",
            "state",
            "applicant_name",
            "received_at",
            "channel",
            "delivery",
            "archive_due",
            "verify_due",
            "issue_due",
            "sent_to_rt_at",
            "queue_due",
            "service__code",
            "service__name",
            "rt__number",
            "rt__rw__number",
        )
        .order_by("queue_due", "id")
    )


# --- reads of the officer's pages (the views hold no query of their own) ---------------------
def get_active_service_or_404(code: str) -> Service:
    """An open service by its code (KK, KTP, …): the intake of either role starts from it."""
    try:
        return Service.objects.active().get(code=code)
    except Service.DoesNotExist as exc:
        raise Http404("Layanan tidak ditemukan.") from exc


def letters_for_case(application: Application) -> list[Letter]:
    """The case's letters, newest first, with who revoked each."""
    return list(application.letters.select_related("revoked_by").order_by("-id"))


def get_letter_for_user(user, code: str, token: str) -> Letter:
    """A letter of a case in the user's office, or 404 for anyone else."""
    application = get_application_for_user(user, code)
    try:
        return Letter.objects.get(token=token, application=application)
    except Letter.DoesNotExist as exc:
        raise Http404("Surat tidak ditemukan.") from exc


def notifications_for(user, *, limit: int = 100) -> list[dict]:
    """The member's notifications (the bell), newest first, as rows ready to print (the
    columns the page shows, each date formatted once per page's month names)."""
    long = page_dates("j M Y H:i")
    return [
        {**note, "created_at": long(note["created_at"]), "unread": note["read_at"] is None}
        for note in Notification.objects.filter(recipient=user)
        .order_by("-created_at", "-id")
        .values("kind", "message", "url", "created_at", "read_at")[:limit]
    ]


def next_due(application: Application):
    """The case's next milestone deadline, None when it has none (closed, clock stopped)."""
    return application.queue_due if application.queue_due != QUEUE_LAST else None


# --- the queue's rows, every label and URL computed once per page -----------------------------
# Cases per page of the queue.
QUEUE_PAGE_SIZE = 50
QUEUE_FIELDS = (
    "code",
    "applicant_name",
    "service__code",
    "rt__number",
    "rt__rw__number",
    "state",
    "sent_to_rt_at",
    "queue_due",
)


def page_dates(fmt: str = "j M H:i"):
    """A formatter of ``date:"j M H:i"`` (or ``"j M Y H:i"``) in local time with Indonesian
    month names, the names looked up once per page instead of one template filter per row."""
    months = {i: str(name).title() for i, name in MONTHS_3.items()}
    tz = timezone.get_current_timezone()
    with_year = fmt == "j M Y H:i"
    if fmt not in ("j M H:i", "j M Y H:i"):
        raise ValueError(fmt)

    def short(moment) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(tz)
        if with_year:
            return f"{local.day} {months[local.month]} {local.year} {local:%H:%M}"
        return f"{local.day} {months[local.month]} {local:%H:%M}"

    return short


def url_maker(name: str, marker: str = "00PLACEHOLDER00") -> Callable[[str], str]:
    """``reverse(name, args=[x])`` for a whole page from one ``reverse()``: the URL with a
    placeholder (``marker``, which the URL's converter must accept), its argument quoted in."""
    before, after = reverse(name, args=[marker]).split(marker)
    return lambda arg: f"{before}{quote(str(arg), safe='')}{after}"


def queue_rows(rows, office, *, now=None) -> list[dict]:
    """The queue's rows as the page prints them (``.values(*QUEUE_FIELDS)`` dicts in, or
    cases with those attributes), with the time left to the next milestone."""
    left = time_left_at(WorkingCalendar(office), now or timezone.now())
    short = page_dates()
    url = url_maker("services:application_detail")
    labels = {value: str(label) for value, label in ApplicationState.choices}
    out = []
    for row in rows:
        if not isinstance(row, dict):
            row = {f: attrgetter(f.replace("__", "."))(row) for f in QUEUE_FIELDS}
        state = row["state"]
        due = row["queue_due"]
        sla = left(due) if due and due != QUEUE_LAST else None
        out.append(
            {
                "code": row["code"],
                "url": url(row["code"]),
                "name": row["applicant_name"],
                "service": row["service__code"],
                "rt": f"{row['rt__number']:03d}/{row['rt__rw__number']:03d}",
                "state": state,
                "state_label": labels.get(state, state),
                "waiting_since": short(row["sent_to_rt_at"])
                if state == ApplicationState.IN_VERIFICATION
                else "",
                # Flat keys: a dict lookup each, no attribute lookup after a failed one.
                "sla": sla.status if sla else "",
                "sla_label": sla.label if sla else "",
                "due": short(due) if sla else "",
            }
        )
    return out


class CountedPaginator(Paginator):
    """A paginator whose total is ``counted.count()``: the rows come from one queryset, the
    count from another of the same cases (the same filter, none of the rows' joins)."""

    def __init__(self, object_list, per_page, *, counted: QuerySet):
        super().__init__(object_list, per_page)
        self.counted = counted

    @cached_property
    def count(self) -> int:
        return self.counted.count()


def queue_page(applications: QuerySet[Application], office, number, *, per_page: int):
    """One page of the queue: only the columns it shows, rows ready to print.

    The total counts the cases table alone, on the index the filter uses (the open queue's
    partial index, ``application_by_state``): a COUNT over the ``.values()`` rows would join
    service, RT and RW for every case of the office, a cost that grows with the office's
    cases (the foreign keys are NOT NULL, so the joins never change the count).
    """
    rows = applications.values(*QUEUE_FIELDS)
    page = CountedPaginator(rows, per_page, counted=applications).get_page(number)
    page.object_list = queue_rows(page.object_list, office)
    return page


def open_queue_page(office, number, *, per_page: int = QUEUE_PAGE_SIZE):
    """The queue as an officer first sees it (every open case, no search, no filter): as
    ``queue_page`` gives it, its count and first page read by SQL compiled once per connection
    (building the two queries cost more than running them, and PostgreSQL planned each on
    every visit: issue 12). A later page is read by the ORM, as ``queue_page`` reads it."""
    listing = PreparedListing(
        count=_open_queue_count,
        first=_open_queue_first_page,
        size=QUEUE_PAGE_SIZE,
        names=QUEUE_FIELDS,
        later=lambda window: (
            _open_queue(office.pk).order_by("queue_due", "id").values_list(*QUEUE_FIELDS)[window]
        ),
        office_id=office.pk,
    )
    page = Paginator(listing, per_page).get_page(number)
    page.object_list = queue_rows(page.object_list, office)
    return page


def _open_queue(office_id) -> QuerySet[Application]:
    return Application.objects.filter(office_id=office_id, is_open=True)


# An office pk no office has, within every backend's integer range: the office's in the SQL.
_OFFICE_PLACEHOLDER = -1_987_654_321
_open_queue_count = PreparedRows(
    Application,
    lambda office_id: (
        _open_queue(office_id)
        .order_by()
        .values("office_id")
        .annotate(n=Count("office_id"))  # not pk: office_id is in the narrowest open index
        .values_list("n")
    ),
    office_id=_OFFICE_PLACEHOLDER,
)
_open_queue_first_page = PreparedRows(
    Application,
    lambda office_id: (
        _open_queue(office_id)
        .order_by("queue_due", "id")
        .values_list(*QUEUE_FIELDS)[:QUEUE_PAGE_SIZE]
    ),
    office_id=_OFFICE_PLACEHOLDER,
)


def with_time_left(rows, office, *, due=next_due, now=None) -> list:
    """Attach ``row.sla``, the time left to ``due(row)`` (None without a deadline), to each row.

    One working calendar per page, for the officer's queue and case page (``due``: the next
    milestone) and the RT chair's list (``due``: the request's ``verify_due``).
    """
    calendar = WorkingCalendar(office)
    now = now or timezone.now()
    rows = list(rows)
    for row in rows:
        deadline = due(row)
        row.sla = time_left(calendar, deadline, now) if deadline else None
    return rows


# --- cases looked up by the workflow and the pages (moved from services.workflow) ------------
def open_application_for(*, office, nik: str, service) -> Application | None:
    return (
        Application.objects.filter(office=office, nik=nik, service=service, state__in=OPEN_STATES)
        .only("code", "office")
        .first()
    )


def current_letter(application: Application) -> Letter | None:
    return (
        application.letters.filter(kind=LetterKind.OUTPUT, revoked_at__isnull=True)
        .order_by("-issued_at", "-id")
        .first()
    )


# --- the resident's outbox ----------------------------------------------------------------------
# What waits for the officer: click-to-chat messages not sent yet, and automatic ones the
# job gave up on (a failed gateway message offers click-to-chat; a failed email is shown).
WAITING_FOR_OFFICER = Q(state=MessageState.PENDING, channel=MessageChannel.WHATSAPP) | Q(
    state=MessageState.FAILED
)


def pending_whatsapp_for_case(application: Application) -> list[ResidentMessage]:
    """The case's messages waiting for the officer (``WAITING_FOR_OFFICER``), oldest first."""
    return list(
        ResidentMessage.objects.filter(WAITING_FOR_OFFICER, application=application).order_by(
            "created_at", "id"
        )
    )


def pending_whatsapp_for_office(user) -> QuerySet[ResidentMessage]:
    """Every message of the user's office waiting for an officer (unsent click-to-chat, failed
    automatic ones), oldest first (404 for non-staff)."""
    membership = membership_for(user)
    if membership is None or membership.role not in STAFF_ROLES:
        raise Http404("Halaman tidak ditemukan.")
    return (
        ResidentMessage.objects.filter(
            WAITING_FOR_OFFICER,
            office_id=membership.office_id,
            sent_at__isnull=True,  # the partial index resident_message_pending
        )
        .select_related("application__service", "complaint")
        .order_by("created_at", "id")
    )


def get_message_for_user(user, uuid) -> ResidentMessage:
    """A message of the user's office, or 404 for anyone else."""
    membership = membership_for(user)
    if membership is None or membership.role not in STAFF_ROLES:
        raise Http404("Pesan tidak ditemukan.")
    try:
        return ResidentMessage.objects.select_related("application", "complaint").get(
            uuid=uuid, office_id=membership.office_id
        )
    except (ResidentMessage.DoesNotExist, ValueError) as exc:
        raise Http404("Pesan tidak ditemukan.") from exc
