"""The city's staff and residents at human pace (`make bench-city`, run by bench.city_load).

Every user is one account of the plan (BENCH_CITY_PLAN, written by bench.city_load.plan): a
session already stored in the database (supervisors and camat past their TOTP step), and the
cases that user may act on, disjoint from every other user's, so two users never race for one
case. Between two actions a user thinks 5-20 s.

Every request is checked to be what it should be: a page is HTTP 200 with its marker (its
heading, the case code), never a login redirect; a step (POST) is a 302 to the page it should
lead to, and that page is then loaded with the step's success message (the messages cookie
carried over as a browser does). Anything else is a failure, counted in the results.

No Django here: Locust runs in its own process and talks HTTP only.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
import string
from html import escape
from pathlib import Path

from locust import HttpUser, between, task

PLAN = json.loads(Path(os.environ["BENCH_CITY_PLAN"]).read_text())
PHOTO = Path(PLAN["photo"]).read_bytes()
SESSION_COOKIE = "__Host-sessionid"
CSRF_COOKIE = "__Host-csrftoken"
_ACCOUNTS = {role: itertools.cycle(accounts) for role, accounts in PLAN["accounts"].items()}


def _secret() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


class StaffUser(HttpUser):
    abstract = True
    wait_time = between(5, 20)
    role = ""

    def on_start(self):
        self.me = next(_ACCOUNTS[self.role])
        # The CSRF secret a browser would hold in its cookie; sent back as the form's token.
        self.csrf = _secret()

    def cookies(self, extra: str = "") -> dict:
        parts = [f"{CSRF_COOKIE}={self.csrf}"]
        if self.me.get("cookie"):
            parts.append(f"{SESSION_COOKIE}={self.me['cookie']}")
        if extra:
            parts.append(extra)
        return {"Cookie": "; ".join(parts)}

    def page(self, url: str, marker: str, name: str, extra_cookie: str = "") -> bool:
        with self.client.get(
            url, name=name, headers=self.cookies(extra_cookie), allow_redirects=False,
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 200:
                where = response.headers.get("Location", "")
                response.failure(f"HTTP {response.status_code} {where}".strip())
                return False
            if marker not in response.text:
                response.failure(f"HTTP 200 without the page's marker {marker!r}")
                return False
            response.success()
            return True

    def step(self, url: str, name: str, then: str, message: str, data=None, files=None) -> bool:
        """POST a step; it must redirect to ``then``, which must then show ``message``."""
        form = {"csrfmiddlewaretoken": self.csrf, **(data or {})}
        with self.client.post(
            url, name=name, data=form, files=files, headers=self.cookies(),
            allow_redirects=False, catch_response=True,
        ) as response:  # fmt: skip
            location = response.headers.get("Location", "")
            if response.status_code != 302 or location != then:
                response.failure(f"HTTP {response.status_code} to {location!r}, not to {then}")
                return False
            response.success()
            flashed = response.cookies.get("messages")
        carried = f"messages={flashed}" if flashed else ""
        return self.page(then.split("#")[0], escape(message), f"{name} → page", carried)


class Officer(StaffUser):
    """A front-desk officer: the queue, filters and searches, case pages, and the day's steps:
    a received case's photo uploaded, its documents accepted and the case archived; a verified
    case's letter issued (the job cluster renders its PDF)."""

    fixed_count = PLAN["counts"]["officer"]
    role = "officer"

    @task(10)
    def queue(self):
        self.page("/permohonan/", "<h1>Antrean permohonan</h1>", "officer: queue")

    @task(4)
    def queue_filtered(self):
        choice = random.choice(
            [f"state=in_verification&rt={random.choice(self.me['rts'])}",
             f"service={random.choice(self.me['services'])}", "state=verified"]
        )  # fmt: skip
        self.page(f"/permohonan/?{choice}", "<h1>Antrean permohonan</h1>", "officer: queue filter")

    @task(3)
    def queue_search_name(self):
        name, code = random.choice(self.me["open_names"])
        self.page(f"/permohonan/?q={name.replace(' ', '+')}", code, "officer: search open by name")

    @task(1)
    def queue_search_all(self):
        code = random.choice(self.me["closed_codes"])
        digits = code.rsplit("-", 1)[1]
        self.page(f"/permohonan/?state=all&q={digits}", code, "officer: search all by number")

    @task(8)
    def case_page(self):
        code = random.choice(self.me["open_codes"] + self.me["closed_codes"])
        self.page(f"/permohonan/{code}/", f"<h1>{code} ", "officer: case page")

    @task(2)
    def receive_documents_and_archive(self):
        if not self.me["to_archive"]:
            return self.queue()
        code, requirement = self.me["to_archive"].pop()
        case = f"/permohonan/{code}/"
        if not self.page(case, f"<h1>{code} ", "officer: case page"):
            return None
        photo = {"files": ("foto-ktp.jpg", PHOTO, "image/jpeg")}
        if not self.step(f"{case}berkas/", "officer: upload photo", case,
                         "1 berkas ditambahkan.", {"requirement": requirement}, photo):  # fmt: skip
            return None
        accepted = "Semua berkas yang belum diperiksa diterima."
        if not self.step(f"{case}berkas/terima-semua/", "officer: accept documents",
                         f"{case}#h-docs", accepted):  # fmt: skip
            return None
        return self.step(f"{case}arsipkan/", "officer: archive", case, "Permohonan diarsipkan.",
                         {"state": "received"})  # fmt: skip

    @task(1)
    def issue_letter(self):
        if not self.me["to_issue"]:
            return self.queue()
        code = self.me["to_issue"].pop()
        case = f"/permohonan/{code}/"
        if self.page(case, f"<h1>{code} ", "officer: case page"):
            self.step(f"{case}terbitkan/", "officer: issue letter", case,
                      "Surat diterbitkan; PDF sedang dibuat.", {"state": "verified"})  # fmt: skip
        return None


class RTChair(StaffUser):
    """An RT chair: the list of requests, a request's page, an approval."""

    fixed_count = PLAN["counts"]["rt_chair"]
    role = "rt_chair"

    @task(5)
    def requests(self):
        self.page("/rt/", self.me["heading"], "RT chair: list")

    @task(2)
    def approve(self):
        if not self.me["pending"]:
            return self.requests()
        uuid, code, name = self.me["pending"].pop()
        url = f"/rt/permintaan/{uuid}/"
        if self.page(url, f"<h1>{escape(name)}</h1>", "RT chair: request page"):
            self.step(f"{url}setujui/", "RT chair: approve", "/rt/", f"{code} disetujui.")
        return None


class Supervisor(StaffUser):
    """The Lurah or Sekretaris (past TOTP): the dashboard, the charts, the queue."""

    fixed_count = PLAN["counts"]["supervisor"]
    role = "supervisor"

    @task(4)
    def dashboard(self):
        self.page("/dasbor/", "<h1>Dasbor layanan</h1>", "supervisor: dashboard")

    @task(2)
    def charts(self):
        self.page(f"/dasbor/{self.me['office']}/grafik/", "<h1>Grafik kinerja layanan</h1>",
                  "supervisor: charts")  # fmt: skip

    @task(1)
    def queue(self):
        self.page("/permohonan/", "<h1>Antrean permohonan</h1>", "supervisor: queue")


class Resident(StaffUser):
    """A resident following their case through the status link (no account)."""

    fixed_count = PLAN["counts"]["resident"]
    role = "resident"

    @task
    def status(self):
        token, code = random.choice(self.me["statuses"])
        self.page(f"/s/{token}/", f"kode permohonan <strong>{code}</strong>", "resident: status")


class Camat(StaffUser):
    """A camat (past TOTP): the kecamatan's offices side by side, then one office's page."""

    fixed_count = PLAN["counts"]["camat"]
    role = "camat"
    label = "camat"

    @task(3)
    def overview(self):
        self.page(
            "/pengawasan/", "<h1>Pengawasan layanan kelurahan</h1>", f"{self.label}: overview"
        )

    @task(2)
    def office(self):
        code, name = random.choice(self.me["offices"])
        self.page(f"/pengawasan/kantor/{code}/", f"<h1>Kelurahan {escape(name)}</h1>",
                  f"{self.label}: office page")  # fmt: skip


class CitySupervisor(Camat):
    """A city supervisor: every office of the city side by side, and one office's page."""

    fixed_count = PLAN["counts"]["city_supervisor"]
    role = "city_supervisor"
    label = "city supervisor"
