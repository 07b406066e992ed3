"""The HTTP access matrix: every URL pattern × every outsider, generated from the URL resolver.

Every pattern of `kelurahan.urls` (all includes, the admin's too, named or not) must have a row in
PAGES (or be under `admin/`); a pattern without one fails `test_every_url_pattern_has_a_row`
with its name, so a new view cannot go untested. A row says who the page is for:

    "services:queue": STAFF,                   # officer/supervisor pages of their own office
    "verification:rt_home": RT,                # the Ketua RT's pages of their own RT
    "services:catalogue": LOGGED_IN,           # any logged-in member
    "health": public("the load balancer's probe; says only 'ok'"),
    "services:public_status": capability("the status link printed on the receipt"),

Each path converter is filled from one table (the `world` fixture's `values`) with real
objects of office BKS, RT 001: a case waiting at its RT (its request, documents, outbox
message), an issued letter, a complaint. Those are "the others'" objects for the outsiders,
who GET and POST every URL:

- `anonymous` — no session;
- `officer_of_another_office` — an officer of KBR;
- `supervisor_of_another_office` — the Lurah of KBR (the supervisor-only pages: dashboard,
  revoking a letter, the SKM report, reopening a case, which an officer never reaches);
- `rt_chair_of_another_rt` — the Ketua RT 002 (same office);
- `rt_chair_on_officer_pages` — the Ketua RT 001 (the cases' own RT) on the STAFF rows only;
- `resident_with_another_token` — no account, holding the status link of another case (RT 002):
  capability rows are filled with that token, never the other case's;
- `camat_of_another_kecamatan` — the camat of Sako (BKS is in Kalidoni), same city;
- `city_supervisor_of_another_city` — the city supervisor of another city;
- `camat_on_office_pages`, `city_supervisor_on_office_pages` — the camat of BKS's own
  kecamatan and the supervisor of its city, on every row but their own OVERSIGHT rows: read-only
  oversight opens no office or RT page, and no POST of theirs changes anything.

On the OVERSIGHT rows the office code is the other's object too (the office pages of
/pengawasan/ are scoped by it), so an out-of-scope camat must get 403/404 there.

The answer must be a login redirect (anonymous, non-public), 403/404 (a role the page is not for,
or an object outside the user's office/RT), 405 for a method the view does not take — never a
500, never a 200 or a redirect carrying any of the other case's secrets (name, NIK, code, letter
number, complaint contact and text), and no POST may change a stored row. A page of the
outsider's own (their queue, an empty form) may answer 200 as long as none of it shows. A
letter's or complaint's token is its own permission, so those rows get a token nobody was
given, which must answer 404.

Supersedes test_access.py's `test_every_page_except_login_and_health_sends_the_anonymous_to_login`
(the anonymous column here, with real objects instead of made-up ones, and the admin and unnamed
patterns included); tests/test_csrf.py stays as it is (the same URLs with the right user but no
token). `tests.conftest.named_url_patterns` leaves the admin and unnamed patterns out; this
walks them all.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from services.models import ApplicationState, ResidentMessage
from services.selectors import current_letter
from tests.factories import (
    ApplicationFactory,
    KecamatanFactory,
    SupervisorFactory,
    camat_of,
    case_in,
    city_supervisor_of,
    complaint_filed,
    log_in,
    sent_to_rt,
)

S = ApplicationState


# --- the table ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    name: str
    for_roles: frozenset[str]  # personas whose role the page is for ("officer" covers supervisors)
    public: bool = False
    why: str = ""


LOGGED_IN_ROLES = frozenset({"officer", "rt_chair", "oversight"})
STAFF = Kind("staff", frozenset({"officer"}))
RT = Kind("rt", frozenset({"rt_chair"}))
OVERSIGHT = Kind("oversight", frozenset({"oversight"}))  # camat, city supervisor: read-only
LOGGED_IN = Kind("logged_in", LOGGED_IN_ROLES)
ADMIN = Kind("admin", frozenset())  # none of the outsiders is staff: all go to the admin login


def public(why: str) -> Kind:
    """No login: anyone may open it (say why)."""
    return Kind("public", frozenset({"anonymous", *LOGGED_IN_ROLES}), public=True, why=why)


def capability(why: str) -> Kind:
    """No login, behind an unguessable token that is itself the permission (say whose)."""
    return Kind("capability", frozenset({"anonymous", *LOGGED_IN_ROLES}), public=True, why=why)


STATUS_LINK = capability("the status link printed on the resident's receipt (/s/<token>/)")
STANDARD = public("UU 25/2009 and PermenPANRB 15/2014: the service standard is published")

PAGES: dict[str, Kind] = {
    "home": LOGGED_IN,
    "login": public("the login form"),
    "logout": LOGGED_IN,
    "second_factor": LOGGED_IN,
    "second_factor_setup": LOGGED_IN,
    "password_change": LOGGED_IN,
    "password_change_done": LOGGED_IN,
    "territory": STAFF,
    "health": public("the load balancer's liveness probe; answers only 'ok'"),
    "services:catalogue": LOGGED_IN,
    "services:queue": STAFF,
    "services:dashboard": STAFF,
    "services:access_log": STAFF,
    "services:unrendered": STAFF,
    "services:charts": STAFF,
    "services:chart_csv": STAFF,
    "services:application_access_log": STAFF,
    "services:public_privacy": public("UU PDP Pasal 21: the privacy notice is published"),
    "services:notifications": LOGGED_IN,
    "services:notifications_read": LOGGED_IN,
    "services:application_new": STAFF,
    "services:application_create": STAFF,
    "services:application_create_variant": STAFF,
    "services:application_detail": STAFF,
    "services:application_receipt": STAFF,
    "services:application_archive": STAFF,
    "services:application_mark_incomplete": STAFF,
    "services:application_resubmit": STAFF,
    "services:application_cancel": STAFF,
    "services:application_issue": STAFF,
    "services:application_issue_replacement": STAFF,
    "services:application_hand_over": STAFF,
    "services:bundle_pdf": STAFF,
    "services:letter_pdf": STAFF,
    "services:letter_revoke": STAFF,
    "services:letter_reissue": STAFF,
    "services:letter_verify": capability("the QR code on the letter: its holder may check it"),
    "services:resident_messages": STAFF,
    "services:resident_message_send": STAFF,
    "services:public_status": STATUS_LINK,
    "services:public_letter": STATUS_LINK,
    "services:public_survey": STATUS_LINK,
    "services:public_lookup": public("finds the status page from code + last 4 phone digits"),
    "services:public_standard_index": STANDARD,
    "services:public_standard": STANDARD,
    "services:public_standard_print": STANDARD,
    "services:complaint_form": public("residents complain without an account"),
    "services:complaint_status": capability("the complaint's receipt link (/pengaduan/s/<token>/)"),
    "services:complaint_public_list": public("answers the office chose to publish, no contacts"),
    "services:complaint_queue": STAFF,
    "services:complaint_detail": STAFF,
    "services:complaint_photo": STAFF,
    "services:complaint_assign": STAFF,
    "services:complaint_verify": STAFF,
    "services:complaint_dismiss": STAFF,
    "services:complaint_answer": STAFF,
    "services:complaint_close": STAFF,
    "services:complaint_lapor": STAFF,
    "services:complaint_publish": STAFF,
    "services:skm_report": STAFF,
    "services:skm_report_csv": STAFF,
    "services:skm_report_pdf": STAFF,
    "services:skm_paper": STAFF,
    "services:attachment_upload": STAFF,
    "services:attachment_accept_all": STAFF,
    "services:attachment_file": STAFF,
    "services:attachment_thumbnail": STAFF,
    "services:attachment_accept": STAFF,
    "services:attachment_reject": STAFF,
    "verification:send_to_rt": STAFF,
    "verification:archive_and_send": STAFF,
    "verification:correct": STAFF,
    "verification:reopen": STAFF,
    "verification:rt_home": RT,
    "verification:request": RT,
    "verification:approve": RT,
    "verification:reject": RT,
    "verification:return": RT,
    "verification:attestation": RT,
    "verification:document": RT,
    "verification:document_thumbnail": RT,
    "verification:assisted_choose": RT,
    "verification:assisted_create": RT,
    "verification:assisted_create_variant": RT,
    "verification:assisted_done": RT,
    "oversight:overview": OVERSIGHT,
    "oversight:office": OVERSIGHT,
    "oversight:case": OVERSIGHT,
}

# Converters whose value is an object of the other office/RT/case: a URL holding one must be
# refused to everyone the object is not for. The rest name public things (the catalogue's
# service and variant codes, an office code).
SCOPED = {"code", "token", "uuid", "attachment_uuid", "complaint_code", "object_id", "id"}
FORGED_TOKEN = "tokenpalsu-tidak-pernah-dibuat-22"
FORM = {
    "reason": "alasan uji",
    "note": "catatan uji",
    "answer": "jawaban uji",
    "method": "pickup",
    "received_by": "Siti",
    "name": "Pak Joko",
    "address": "Jl. Mawar No. 5",
    "relation": "tetangga",
    "statement": "Benar tinggal di sini.",
    "lapor_ref": "LAPOR-1",
}
# Rows a request may write without acting on anything: sessions and logins, the login
# throttle's and the access log's own rows, and django-q's queue.
LOG_TABLES = re.compile(r"^(django_session|auth_user|axes_\w+|services_accesslog|django_q_\w+)$")


def route_of(pattern) -> str:
    return str(pattern.pattern)


def every_url_pattern() -> list[tuple[str, str, URLPattern]]:
    """(key, full route, pattern) of every pattern: its namespaced name, or its route."""

    def walk(patterns, namespace="", route=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, ns, route + route_of(p))
            else:
                full = route + route_of(p)
                yield (namespace + p.name if p.name else full), full, p

    return list(walk(get_resolver().url_patterns))


def kind_of(key: str, route: str) -> Kind | None:
    if route.startswith("admin/"):
        return ADMIN  # Django's admin_view gate in front of every admin page
    return PAGES.get(key)


PATTERNS = every_url_pattern()


# --- the world --------------------------------------------------------------------------------
@pytest.fixture
def world(office, officer, rt1, rt2, rt_chair, other_rt_chair, other_officer, other_office):
    request = sent_to_rt(
        officer=officer, rt=rt1, applicant_name="Rahmat Hidayat", nik="3271014501900012"
    )
    case = request.application
    issued = case_in(
        S.ISSUED, officer=officer, rt=rt1, applicant_name="Dewi Lestari", nik="3271014501900013"
    )
    letter = current_letter(issued)
    complaint = complaint_filed(
        office=office,
        contact_name="Yusuf Maulana",
        contact_phone="081298765432",
        text="Jalan berlubang di depan rumah nomor tujuh belas belum diperbaiki.",
    )
    own = ApplicationFactory(
        officer=officer, rt=rt2, applicant_name="Bambang Sutrisno", nik="3271014501900014"
    )
    values = {
        "code": case.code,
        "token": letter.token,
        "status_token": case.status_token,
        "service_code": "KTP",
        "variant_code": "baru",
        "uuid": request.uuid,
        "attachment_uuid": case.attachments.first().uuid,
        "complaint_code": complaint.code,
        "office_code": office.code,
        "chart": "ikm",
        "object_id": str(case.pk),
        "id": str(officer.pk),
        "content_type_id": ContentType.objects.get_for_model(case).pk,
        "app_label": "services",
        "url": "tidak-ada/",
    }
    secrets = [
        case.applicant_name,
        case.nik,
        case.code,
        case.status_token,
        issued.applicant_name,
        issued.nik,
        issued.code,
        letter.number,
        letter.token,
        str(request.uuid),
        complaint.contact_name,
        complaint.contact_phone,
        complaint.code,
        complaint.token,
        complaint.text[:30],
    ]
    return {
        "values": values,
        "case": case,
        "letter": letter,
        "message": ResidentMessage.objects.filter(application=case).first(),
        "secrets": secrets,
        "own_token": own.status_token,
        "personas": {
            "anonymous": ("anonymous", None),
            "officer_of_another_office": ("officer", other_officer),
            "supervisor_of_another_office": ("officer", SupervisorFactory(office=other_office)),
            "rt_chair_of_another_rt": ("rt_chair", other_rt_chair),
            "rt_chair_on_officer_pages": ("rt_chair", rt_chair),
            "resident_with_another_token": ("anonymous", None),
            "camat_of_another_kecamatan": (
                "oversight",
                camat_of(KecamatanFactory(name="Sako", city=office.city)),
            ),
            "city_supervisor_of_another_city": ("oversight", city_supervisor_of("Kota Lain")),
            "camat_on_office_pages": ("oversight", camat_of(office.kecamatan_ref)),
            "city_supervisor_on_office_pages": ("oversight", city_supervisor_of(office.city)),
        },
    }


def url_for(key: str, route: str, pattern: URLPattern, kind: Kind, world) -> tuple[str, bool]:
    """The URL with the other case's objects in it, and whether it holds any (scoped)."""
    values = dict(world["values"])
    if "uuid" in values and route.startswith("pesan/"):
        values["uuid"] = world["message"].uuid
    elif route.startswith("permohonan/") and "uuid" in pattern.pattern.converters:
        values["uuid"] = values["attachment_uuid"]
    if "token" in route and route.startswith("permohonan/"):
        values["code"] = world["letter"].application.code
    if kind.name == "capability":
        values["status_token"] = world["own_token"]  # the resident's own link, never another's
        values["token"] = FORGED_TOKEN  # a letter's or complaint's token is its own permission
    arguments = list(pattern.pattern.regex.groupindex)
    missing = [a for a in arguments if a not in values]
    if missing:
        raise LookupError(f"{key} ({route}): no value for {missing}: add it to world's values")
    kwargs = {a: values[a] for a in arguments}
    if pattern.name:
        url = reverse(key, kwargs=kwargs)
    else:  # an unnamed pattern (the admin's): fill its route by hand
        url = "/" + re.sub(
            r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)\$?",
            lambda m: str(kwargs[m.group(1) or m.group(2)]),
            route.lstrip("^"),
        )
    scoped = kind.name != "capability" and bool(SCOPED & set(arguments))
    scoped = scoped or (kind is OVERSIGHT and "office_code" in arguments)
    return url, scoped


def forged(url: str) -> bool:
    return FORGED_TOKEN in url


# --- judging one answer -------------------------------------------------------------------------
def table_digests() -> dict[str, str]:
    digests = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if LOG_TABLES.match(table):
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows = sorted(repr(tuple(row)) for row in cursor.fetchall())
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def judge(response, *, method, kind, role, scoped, secrets) -> str | None:
    """What is wrong with this answer, or None."""
    status = response.status_code
    # The path redirected to; its ?next= only repeats the URL the outsider asked for.
    location = response.get("Location", "").split("?")[0]
    shown = b"" if status != 200 or getattr(response, "streaming", False) else response.content
    if status >= 500:
        return f"{status}"
    leaked = [s for s in secrets if s and (s.encode() in shown or s in location)]
    if leaked:
        return f"{status} shows another's data: {leaked[:3]}"
    if kind is ADMIN:
        if status in {301, 302} and location.startswith(("/admin/", "/masuk/")):
            return None
        return None if status in {200, 403, 404, 405} else f"{status} on an admin page"
    if role == "anonymous" and not kind.public:
        if status == 302 and location.startswith("/masuk/"):
            return None
        return None if status == 405 else f"{status}, not a redirect to login"
    if role not in kind.for_roles or scoped:
        # Not this role's page, or another office's/RT's object: refused, nothing shown.
        if status in {403, 404, 405}:
            return None
        why = "not this role's page" if role not in kind.for_roles else "another's object"
        return f"{status} ({why}: must be 403/404)"
    if status in {200, 301, 302, 303, 400, 403, 404, 405, 429}:
        return None
    return f"{status}"


def persona_failures(persona: str, world, rows) -> list[str]:
    role, user = world["personas"][persona]
    client = Client()
    if persona == "resident_with_another_token":
        client.get(reverse("services:public_status", args=[world["own_token"]]))
    failures = []
    for key, route, pattern, kind in rows:
        url, scoped = url_for(key, route, pattern, kind, world)
        for method in ("get", "post"):
            if method == "post" and kind is ADMIN:
                continue  # one gate (admin_view) for both methods; GET shows it for every page
            if user is not None:
                log_in(client, user)  # again: a POST to logout/ ends the session
            before = table_digests() if method == "post" else None
            try:
                response = getattr(client, method)(url, FORM if method == "post" else None)
            except Exception as error:  # noqa: BLE001 - the test client re-raises a 500's cause
                failures.append(f"{persona} {method.upper()} {url} [{key}]: 500 {error!r}")
                continue
            wrong = judge(
                response,
                method=method,
                kind=kind,
                role=role,
                scoped=scoped,
                secrets=world["secrets"],
            )
            if wrong is None and forged(url) and response.status_code not in {404, 405}:
                wrong = f"{response.status_code} for a token nobody was given (must be 404)"
            if before is not None:
                after = table_digests()
                changed = sorted(t for t in after if after[t] != before.get(t))
                if changed:
                    wrong = f"{wrong or response.status_code}; and it changed {changed}"
            if wrong:
                failures.append(f"{persona} {method.upper()} {url} [{key}]: {wrong}")
    return failures


def rows_for(persona: str):
    rows = []
    for key, route, pattern in PATTERNS:
        kind = kind_of(key, route)
        if kind is None:
            continue  # test_every_url_pattern_has_a_row names it
        if persona == "rt_chair_on_officer_pages" and kind is not STAFF:
            continue  # on their own RT's pages the case is theirs to see
        if persona in ON_OFFICE_PAGES and kind is OVERSIGHT:
            continue  # their own oversight pages: the case is in their scope
        rows.append((key, route, pattern, kind))
    return rows


# --- the tests ----------------------------------------------------------------------------------
def test_every_url_pattern_has_a_row():
    unknown = [f"{key} ({route})" for key, route, _ in PATTERNS if kind_of(key, route) is None]
    assert not unknown, (
        "URL patterns the access matrix does not know; add a row to PAGES in "
        f"tests/test_access_matrix.py saying who each is for: {unknown}"
    )


def test_every_row_is_still_a_url_pattern():
    keys = {key for key, _, _ in PATTERNS}
    assert sorted(set(PAGES) - keys) == []


def test_every_public_page_says_why():
    assert all(kind.why for kind in PAGES.values() if kind.public)


@pytest.mark.django_db
def test_every_url_pattern_can_be_filled(world):
    for key, route, pattern in PATTERNS:
        kind = kind_of(key, route)
        if kind is not None:
            url_for(key, route, pattern, kind, world)  # raises naming the pattern


ON_OFFICE_PAGES = {"camat_on_office_pages", "city_supervisor_on_office_pages"}
PERSONAS = [
    "anonymous",
    "officer_of_another_office",
    "supervisor_of_another_office",
    "rt_chair_of_another_rt",
    "rt_chair_on_officer_pages",
    "resident_with_another_token",
    "camat_of_another_kecamatan",
    "city_supervisor_of_another_city",
    "camat_on_office_pages",
    "city_supervisor_on_office_pages",
]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_no_url_answers_an_outsider_with_anothers_data(persona, world):
    failures = persona_failures(persona, world, rows_for(persona))
    assert not failures, f"{len(failures)} answers:\n" + "\n".join(failures)


def test_the_matrix_sees_a_page_that_shows_anothers_case():
    """The judge itself: a 200 with the other case's name in it fails."""

    class Fake:
        status_code = 200
        content = b"<h1>Rahmat Hidayat</h1>"
        streaming = False

        def get(self, name, default=""):
            return default

    assert "another's data" in judge(
        Fake(), method="get", kind=STAFF, role="officer", scoped=False, secrets=["Rahmat Hidayat"]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(ON_OFFICE_PAGES))
def test_oversight_of_the_case_may_still_open_it(persona, world):
    """The out-of-scope refusals are not oversight pages that refuse everyone."""
    _, user = world["personas"][persona]
    client = log_in(Client(), user)
    case = world["case"]
    page = client.get(reverse("oversight:case", args=[case.code]))
    assert page.status_code == 200 and "Rahmat Hidayat" in page.content.decode()
    office = client.get(reverse("oversight:office", args=[case.office.code]))
    assert office.status_code == 200


@pytest.mark.django_db
def test_rt_chair_of_the_case_may_still_open_it(world):
    """The outsiders' refusals are not a page that refuses everyone."""
    client = Client()
    role, chair = world["personas"]["rt_chair_on_officer_pages"]
    client.force_login(chair)
    request = world["case"].verification_requests.get()
    page = client.get(reverse("verification:request", args=[request.uuid]))
    assert page.status_code == 200 and "Rahmat Hidayat" in page.content.decode()
