"""NUL and other control bytes in paths, query strings and forms (SECURITY.md J65): never a 500.

PostgreSQL refuses NUL in text ("PostgreSQL text fields cannot contain NUL (0x00) bytes"), so a
NUL that reaches a query was a 500 there, even unauthenticated (/v/%00/). The URLs are
generated from the resolver, so a new pattern is swept as soon as it exists. Run on SQLite and
on PostgreSQL (scripts/with-postgres.sh).
"""

import re
import uuid

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve

from services.models import Complaint
from tests.factories import AdminFactory, OfficeFactory, jpeg_upload

CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<\w+>[^)]*\)")
URLENCODED = "application/x-www-form-urlencoded"
SAMPLE = {"int": "1", "uuid": str(uuid.uuid4()), "slug": "x", "path": "x", "str": "X-1"}


def _routes(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = str(pattern.pattern)
        if route.startswith("^") or "(?P<" in route:  # a regex (the admin's app index)
            route = REGEX_GROUP.sub("<str:regex_group>", route.strip("^$")).replace("$", "")
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + route)
        else:
            yield prefix + route, pattern.name


ROUTES = sorted(set(_routes()))


def path_with(route: str, fill) -> str:
    return "/" + CONVERTER.sub(lambda m: fill(m.group("kind") or "str"), route)


def nul_paths() -> list[str]:
    """Each pattern with NUL in every argument, and with NUL after it."""
    paths = []
    for route, _name in ROUTES:
        if CONVERTER.search(route):
            paths.append(path_with(route, lambda kind: "%00"))
        paths.append(path_with(route, SAMPLE.get) + "%00")
    return paths


@pytest.fixture
def users(office, officer, rt_chair):
    return {"anonymous": None, "officer": officer, "rt_chair": rt_chair, "admin": AdminFactory()}


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def test_j65_the_sweep_reaches_the_views_with_the_nul():
    # Without the refusal these paths would reach their views: str and path converters take
    # a NUL, so the sweep really exercises every view that reads its argument from the path.
    reached = 0
    for route, name in ROUTES:
        if "<str:" in route and "regex_group" not in route:
            match = resolve(
                path_with(route, lambda kind: "\x00" if kind == "str" else SAMPLE[kind])
            )
            assert match.url_name == name
            reached += 1
    assert reached > 40
    assert "/v/%00/" in nul_paths() and "/s/%00/" in nul_paths()
    assert "/permohonan/%00/" in nul_paths()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "officer", "rt_chair", "admin"])
def test_j65_nul_in_the_path_of_every_url_pattern_is_404_never_500(users, who):
    client = client_for(users[who])
    answered = {}
    for path in nul_paths():
        answered[path] = client.get(path).status_code
    wrong = {path: status for path, status in answered.items() if status != 404}
    assert not wrong, "\n".join(f"{k} {v}" for k, v in sorted(wrong.items()))


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "officer"])
def test_j65_nul_in_a_query_string_or_a_posted_form_is_400_never_500(users, who):
    client = client_for(users[who])
    wrong = {}
    for route, _name in ROUTES:
        path = path_with(route, SAMPLE.get)
        for method, response in (
            ("GET ?q", client.get(path, {"q": "12\x0034", "page": "1"})),
            ("GET key", client.get(path + "?a%00b=1")),
            ("POST", client.post(path, "note=a%00b&reason=x", content_type=URLENCODED)),
        ):
            if response.status_code != 400:
                wrong[f"{method} {path}"] = response.status_code
        # Multipart is parsed by the view's form, not the middleware: never a 500 either.
        multipart = client.post(path, {"note": "a\x00b", "reason": "x\x00", "q": "\x00"})
        if multipart.status_code >= 500:
            wrong[f"multipart POST {path}"] = multipart.status_code
    assert not wrong, "\n".join(f"{k} {v}" for k, v in sorted(wrong.items()))


@pytest.mark.django_db
@pytest.mark.parametrize("byte", ["%00", "%01", "%08", "%0A", "%0D", "%1B", "%7F", "%C2%85"])
def test_j65_control_bytes_in_a_path_are_404(client, byte):
    client = client_for(None)
    for path in (f"/v/{byte}/", f"/s/abc{byte}/", f"/lacak/{byte}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "tidak ditemukan" in response.content.decode()


@pytest.mark.django_db
def test_j65_the_refusal_is_in_indonesian_and_carries_the_security_headers(client):
    response = client_for(None).get("/lacak/", {"code": "\x00"})
    assert response.status_code == 400
    assert "karakter yang tidak diizinkan" in response.content.decode()
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_j65_tabs_and_newlines_in_posted_text_are_still_fine(client, office):
    # A multi-line address or complaint is text, not an attack: only NUL and the other
    # control characters are refused.
    response = client_for(None).post(
        "/pengaduan/",
        {
            "office": office.pk,
            "kind": "pengaduan",
            "text": "Lampu jalan mati\r\n\tdi depan pos ronda RT 003.",
        },
    )
    assert response.status_code != 400
    assert response.status_code < 500


@pytest.mark.django_db
def test_j65_nul_in_a_multipart_form_field_gets_a_clear_error_not_500(office):
    # Multipart bodies are not parsed by the middleware (uploads are streamed to the form):
    # the form's CharField refuses NUL in Indonesian, and nothing is stored.
    OfficeFactory()
    client = client_for(None)
    response = client.post(
        "/pengaduan/",
        {
            "office": office.pk,
            "kind": "pengaduan",
            "text": "Lampu jalan mati\x00 di depan pos ronda.",
            "contact_name": "Budi\x00",
            "photo": jpeg_upload("lampu\x00.jpg"),
        },
    )
    assert response.status_code == 200
    assert "Karakter null tidak diizinkan" in response.content.decode()
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_j65_nul_in_a_multipart_login_is_refused_not_500(officer):
    client = client_for(None)
    response = client.post("/masuk/", {"username": "petugas\x00", "password": "x\x00"})
    assert response.status_code in (200, 400)


@pytest.mark.django_db
def test_j65_nul_in_an_uploaded_file_name_is_never_a_500(rt_chair):
    # The file name is not a form CharField: it reaches the Attachment row as sent.
    from services.models import Attachment, Service

    client = client_for(rt_chair)
    service = Service.objects.get(code="KTP")
    data = {
        "applicant_name": "Mbah Karsiyem",
        "nik": "3271016507450001",
        "phone": "0813 1111 2222",
        "address": "Jl. Kenanga 2",
        "delivery": "pickup",
    }
    for requirement in service.requirements.all():
        data[f"berkas_{requirement.pk}"] = [jpeg_upload(f"{requirement.code}\x00.jpg")]
    response = client.post("/rt/ajukan/KTP/", data)
    assert response.status_code < 500
    assert all("\x00" not in a.original_name for a in Attachment.objects.all())


def test_j65_a_nul_that_still_reaches_postgresql_is_a_400_not_a_500(rf):
    # The safety net behind the forms: psycopg's refusal to send a NUL, from any view.
    from django.db import DataError

    from kelurahan.middleware import ControlCharactersMiddleware

    middleware = ControlCharactersMiddleware(lambda request: None)
    request = rf.post("/x/")
    refusal = DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    assert middleware.process_exception(request, refusal).status_code == 400
    assert middleware.process_exception(request, ValueError("invalid literal")) is None
    assert middleware.process_exception(request, DataError("value too long")) is None
