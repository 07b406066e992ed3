"""Rate limits (kelurahan.ratelimit): the login's limits per account, per address and per
username (B7, J64), the client address behind trusted proxies (B8), one limit shared by every
public page, and the staff's case-view budget with its alert to supervisors (D27)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import hashers
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from kelurahan.access import client_ip
from services.models import Notification
from tests.conftest import PASSWORD, named_url_patterns
from tests.factories import ApplicationFactory, SupervisorFactory, log_in, received_in_bulk

NOON = "2026-11-23 12:00:10 +0700"


def login(username, password, address="10.0.0.5", client=None, url=None, **extra):
    return (client or Client()).post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


@pytest.fixture
def hasher_calls(monkeypatch):
    """How many times a password was hashed (checked or made), whatever the backend."""
    calls = []
    hasher = hashers.MD5PasswordHasher
    for name in ("encode", "verify"):
        original = getattr(hasher, name)

        def counting(self, *args, _original=original, **kwargs):
            calls.append(1)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(hasher, name, counting)
    return calls


# --- B7: one username locked, the office NAT's colleagues still in ------------------------------
@pytest.mark.django_db
def test_b7_a_locked_username_leaves_colleagues_behind_the_office_nat_logging_in(
    officer, supervisor, settings
):
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login("petugas", "salah-sekali").status_code == 200
    assert login("petugas", "salah-sekali").status_code == 429  # the limit-th failure locks
    locked = login("petugas", PASSWORD)
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan masuk" in locked.content.decode()
    # The colleague behind the same address, and the same officer from home, get in.
    assert login("lurah", PASSWORD)["Location"] == reverse("home")
    assert login("petugas", PASSWORD, address="203.0.113.20").status_code == 302


# --- J64: per address before hashing, per username separately ----------------------------------
@pytest.mark.django_db
def test_j64_random_usernames_from_one_address_are_cut_off_before_any_hashing(
    officer, settings, hasher_calls, time_machine
):
    time_machine.move_to(NOON, tick=False)  # the 62 attempts fall in one clock minute
    codes = [login(f"tebakan{i}", "Rahasia-123!", address="198.51.100.7").status_code
             for i in range(62)]  # fmt: skip
    limit = settings.LOGIN_RATE_PER_MINUTE
    assert codes == [200] * limit + [429] * (62 - limit)
    # Only the attempts let through were hashed: the refused 42 cost no PBKDF2.
    assert len(hasher_calls) == limit
    refused = login("petugas", PASSWORD, address="198.51.100.7")
    assert refused.status_code == 429 and refused["Retry-After"]
    assert "dari jaringan ini dalam satu menit" in refused.content.decode()
    # Another address is not held up; the next minute this one may try again.
    assert login("petugas", PASSWORD, address="198.51.100.8").status_code == 302
    time_machine.shift(60)
    assert login("petugas", PASSWORD, address="198.51.100.7").status_code == 302


@pytest.mark.django_db
def test_j64_failures_from_one_address_lock_it_at_a_higher_limit_than_one_account(
    officer, supervisor, settings, hasher_calls, time_machine
):
    time_machine.move_to(NOON, tick=False)
    settings.LOGIN_RATE_PER_MINUTE = 1000  # only the failure limit is under test here
    assert settings.LOGIN_ADDRESS_FAILURES > settings.AXES_FAILURE_LIMIT
    for i in range(settings.LOGIN_ADDRESS_FAILURES):
        assert login(f"tebakan{i}", "salah-sekali", address="198.51.100.7").status_code == 200
    hashed = len(hasher_calls)
    refused = login("lurah", PASSWORD, address="198.51.100.7")  # even a right password
    assert refused.status_code == 429
    assert "gagal dari jaringan ini" in refused.content.decode()
    assert len(hasher_calls) == hashed
    assert login("lurah", PASSWORD, address="198.51.100.9").status_code == 302
    time_machine.shift(60 * settings.LOGIN_ADDRESS_LOCK_MINUTES + 1)
    assert login("lurah", PASSWORD, address="198.51.100.7").status_code == 302


@pytest.mark.django_db
def test_j64_one_username_guessed_from_many_addresses_is_locked_on_its_own(
    officer, supervisor, settings, time_machine
):
    time_machine.move_to(NOON, tick=False)
    for i in range(settings.LOGIN_USERNAME_FAILURES):  # one try per address: axes never sees 5
        assert login("petugas", "salah-sekali", address=f"203.0.{i // 200}.{i % 200 + 1}")
    refused = login("Petugas", PASSWORD, address="192.0.2.50")  # a fresh address, any case
    assert refused.status_code == 429
    assert "untuk nama pengguna ini" in refused.content.decode()
    # Only that username: a colleague from the same fresh address gets in.
    assert login("lurah", PASSWORD, address="192.0.2.50").status_code == 302
    time_machine.shift(60 * settings.LOGIN_USERNAME_LOCK_MINUTES + 1)
    assert login("petugas", PASSWORD, address="192.0.2.50").status_code == 302


@pytest.mark.django_db
def test_j64_the_admin_login_has_the_same_per_address_limit(settings, hasher_calls, time_machine):
    time_machine.move_to(NOON, tick=False)
    admin_login = reverse("admin:login")
    codes = [
        login(f"admin{i}", "salah", address="198.51.100.7", url=admin_login).status_code
        for i in range(settings.LOGIN_RATE_PER_MINUTE + 2)
    ]
    assert codes[-2:] == [429, 429] and 429 not in codes[:-2]
    # The admin's login hashes no password: it sends to the portal's (kelurahan.admin_site).
    assert hasher_calls == []


# --- B8: the client address behind trusted proxies ---------------------------------------------
def request_from(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


@pytest.mark.parametrize(
    ("proxies", "count", "remote", "forwarded", "expected"),
    [
        # No proxy configured: the header is never read.
        ([], 0, "198.51.100.7", "1.2.3.4", "198.51.100.7"),
        # One nginx at 10.0.0.1: the entry it appended, the forged left part ignored.
        (["10.0.0.1"], 1, "10.0.0.1", "1.1.1.1, 203.0.113.7", "203.0.113.7"),
        # The app port reached directly: a forged header changes nothing.
        (["10.0.0.1"], 1, "198.51.100.7", "203.0.113.7", "198.51.100.7"),
        # A load balancer (10.0.1.0/24) then nginx: the second entry from the right.
        (["10.0.0.1", "10.0.1.0/24"], 2, "10.0.0.1", "9.9.9.9, 203.0.113.7, 10.0.1.5", "203.0.113.7"),  # noqa: E501
        # Through the proxy without the header, or with garbage: the proxy's own address.
        (["10.0.0.1"], 1, "10.0.0.1", None, "10.0.0.1"),
        (["10.0.0.1"], 1, "10.0.0.1", "bukan-alamat", "10.0.0.1"),
        # The default trust: a proxy on the same machine (loopback).
        (["127.0.0.1", "::1"], 1, "127.0.0.1", "203.0.113.7", "203.0.113.7"),
    ],
)  # fmt: skip
def test_b8_the_client_address_comes_from_trusted_proxies_only(
    settings, proxies, count, remote, forwarded, expected
):
    settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT = proxies, count
    assert client_ip(request_from(remote, forwarded)) == expected


@pytest.mark.django_db
def test_b8_spoofed_forwarded_for_on_the_app_port_does_not_escape_the_throttles(
    officer, settings, time_machine, caplog
):
    from axes.models import AccessAttempt

    time_machine.move_to(NOON, tick=False)
    settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT = ["10.0.0.1"], 1
    codes = [
        login("petugas", "salah-sekali", address="198.51.100.7",
              HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(settings.LOGIN_RATE_PER_MINUTE + 1)
    ]  # fmt: skip
    # Axes saw one client (locked after its limit), the rate limit too; the log names it.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    assert codes[settings.AXES_FAILURE_LIMIT] == 429 and codes[-1] == 429
    assert "login refused by rate limit from 198.51.100.7" in caplog.text
    # Behind the real proxy two clients are told apart.
    assert (
        login("petugas", PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.99")
    ).status_code == 302


# --- one limit for every public page ----------------------------------------------------------
SAMPLE = {"string": "tidak-ada-kode-1234567", "slug": "tidak-ada", "uuid": uuid.uuid4(), "int": 1}


def public_urls(settings_module) -> list[str]:
    urls = []
    for name, _route, pattern in named_url_patterns():
        if getattr(pattern.callback, "login_required", True):
            continue
        if name in settings_module.PUBLIC_RATE_EXEMPT:
            continue
        kwargs = {
            key: SAMPLE[type(conv).__name__.removesuffix("Converter").lower()]
            for key, conv in pattern.pattern.converters.items()
        }
        urls.append(reverse(name, kwargs=kwargs))
    return urls


def test_every_public_page_is_found_by_the_sweep(settings):
    urls = public_urls(settings)
    for expected in ("/lacak/", "/pengaduan/", "/standar-pelayanan/", "/v/"):
        assert any(url.startswith(expected) for url in urls), expected
    assert not any(url.startswith(("/masuk/", "/healthz", "/admin/")) for url in urls)


@pytest.mark.django_db
@pytest.mark.parametrize("url", public_urls(django_settings))
def test_every_public_page_and_form_shares_one_limit_per_address(url, settings, time_machine):
    time_machine.move_to(NOON, tick=False)
    settings.PUBLIC_RATE_PER_MINUTE = 3
    settings.VERIFY_RATE_PER_MINUTE = 100  # the letter check's own tighter limit aside
    client = Client()
    codes = [client.get(url, REMOTE_ADDR="198.51.100.7").status_code for _ in range(3)]
    assert 429 not in codes
    refused = client.get(url, REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429
    assert "Terlalu banyak permintaan dari perangkat atau jaringan ini" in refused.content.decode()
    assert client.get(url, REMOTE_ADDR="198.51.100.8").status_code != 429


@pytest.mark.django_db
def test_the_public_limit_counts_every_public_page_together(settings, time_machine):
    time_machine.move_to(NOON, tick=False)
    settings.PUBLIC_RATE_PER_MINUTE = 3
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert client.get(reverse("services:public_lookup")).status_code == 200
    assert client.get(reverse("services:public_standard_index")).status_code == 200
    assert client.get(reverse("services:complaint_form")).status_code == 200
    assert client.get(reverse("services:public_lookup")).status_code == 429
    time_machine.shift(60)
    assert client.get(reverse("services:public_lookup")).status_code == 200


@pytest.mark.django_db
def test_staff_pages_and_the_health_check_are_not_counted_as_public(
    officer_client, settings, time_machine
):
    time_machine.move_to(NOON, tick=False)
    settings.PUBLIC_RATE_PER_MINUTE = 1
    for _ in range(3):
        assert officer_client.get(reverse("services:queue")).status_code == 200
        assert Client().get(reverse("health")).status_code == 200


# --- D27: one user bulk-scraping case pages ---------------------------------------------------
@pytest.fixture
def cases(officer, rt1):
    return received_in_bulk(6, officer=officer, rt=rt1, due=timezone.now() + timedelta(days=1))


def case_url(case) -> str:
    return reverse("services:application_detail", args=[case.code])


@pytest.mark.django_db
def test_d27_bulk_scraping_by_one_officer_is_throttled_and_supervisors_alerted_once(
    officer_client, officer, supervisor, other_officer, cases, settings, time_machine
):
    time_machine.move_to(NOON, tick=False)
    settings.CASE_VIEWS_PER_HOUR = 4
    second_supervisor = SupervisorFactory(username="sekretaris", office=officer.membership.office)
    other_supervisor = SupervisorFactory(
        username="lurah_kbr", office=other_officer.membership.office
    )
    codes = [officer_client.get(case_url(case)).status_code for case in cases]
    assert codes == [200, 200, 200, 200, 429, 429]
    # Over the budget every case and document view of the hour is held, an opened one too.
    refused = officer_client.get(reverse("services:application_receipt", args=[cases[0].code]))
    assert refused.status_code == 429
    assert "lebih dari 4 permohonan dalam satu jam" in refused.content.decode()

    alerts = Notification.objects.filter(kind="case_views")
    assert sorted(alerts.values_list("recipient__username", flat=True)) == ["lurah", "sekretaris"]
    text = alerts.first().message
    assert officer.get_full_name() in text and "5 permohonan" in text
    for case in cases:  # counts only: nothing about the cases themselves
        for detail in (case.code, case.nik, case.applicant_name, case.phone):
            assert detail not in text
    assert second_supervisor and not alerts.filter(recipient__in=[officer, other_supervisor])

    # The next hour the budget starts again, and a new excess alerts again (once).
    time_machine.shift(3600)
    officer_client.force_login(officer)  # the idle limit ended the session meanwhile
    assert officer_client.get(case_url(cases[5])).status_code == 200
    assert alerts.count() == 2


@pytest.mark.django_db
def test_d27_a_normal_day_is_not_throttled(officer_client, cases, settings, time_machine):
    """A busy officer: the same cases opened again and again (the page after each step, the
    receipt), and many more looked up; the budget counts distinct cases per clock hour, and
    150 in one hour (more than a busy office's whole day of intake) are allowed."""
    time_machine.move_to("2026-11-23 08:00 +0700", tick=False)
    assert settings.CASE_VIEWS_PER_HOUR == 150
    for _ in range(5):
        for case in cases[:3]:
            assert officer_client.get(case_url(case)).status_code == 200
            receipt = reverse("services:application_receipt", args=[case.code])
            assert officer_client.get(receipt).status_code == 200
    for i in range(147):  # 150 distinct cases in the hour (codes looked up: 404s count too)
        url = reverse("services:bundle_pdf", args=[f"BKS-2611-{i:04d}"])
        assert officer_client.get(url).status_code == 404
    assert officer_client.get(case_url(cases[0])).status_code == 200
    assert not Notification.objects.filter(kind="case_views").exists()


@pytest.mark.django_db
def test_d27_scans_and_pdfs_count_by_case_and_the_budget_is_per_user(
    officer_client, officer, rt1, settings, time_machine
):
    time_machine.move_to(NOON, tick=False)
    settings.CASE_VIEWS_PER_HOUR = 1
    case = ApplicationFactory(officer=officer, rt=rt1)
    attachment = case.attachments.first()
    urls = [
        case_url(case),
        reverse("services:application_receipt", args=[case.code]),
        reverse("services:attachment_file", args=[case.code, attachment.uuid]),
        reverse("services:attachment_thumbnail", args=[case.code, attachment.uuid]),
    ]
    assert [officer_client.get(url).status_code for url in urls * 2] == [200] * 8
    other = reverse("services:bundle_pdf", args=["BKS-2611-9999"])
    assert officer_client.get(other).status_code == 429  # a second case: over a budget of 1
    colleague = log_in(
        Client(), SupervisorFactory(username="lurah", office=officer.membership.office)
    )
    assert colleague.get(case_url(case)).status_code == 200


@pytest.mark.django_db
def test_d27_an_rt_chair_scraping_request_pages_is_throttled_too(
    client, officer, rt1, rt_chair, supervisor, settings, time_machine
):
    from tests.factories import sent_to_rt

    time_machine.move_to(NOON, tick=False)
    settings.CASE_VIEWS_PER_HOUR = 1
    vr = sent_to_rt(officer=officer, rt=rt1)
    client.force_login(rt_chair)
    page = reverse("verification:request", args=[vr.uuid])
    assert [client.get(page).status_code for _ in range(3)] == [200, 200, 200]
    probe = reverse("verification:request", args=[uuid.uuid4()])
    assert client.get(probe).status_code == 429  # a second request this hour: over
    assert client.get(page).status_code == 429
    alert = Notification.objects.get(kind="case_views")
    assert alert.recipient == supervisor and vr.application.code not in alert.message


def test_b8_a_trusted_proxy_that_is_not_an_address_refuses_to_start():
    from tests.test_settings import run_manage

    result = run_manage("check", TRUSTED_PROXIES="nginx,10.0.0.1")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES" in result.stderr and "10.0.0.1,10.0.1.0/24" in result.stderr
