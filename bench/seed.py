"""Seed a realistic city fast: offices, RW/RT, staff, and N applications in every state.

Rows go in with bulk inserts in large batches (never one ORM save per row), so 100k cases take
seconds and 1M a few minutes. Seeding is incremental: ``seed_city(n)`` tops the table up to n.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from kelurahan.models import RT, RW, Membership, Office, Role
from services.models import (
    Application,
    ApplicationEvent,
    ApplicationState,
    Attachment,
    Letter,
    Service,
    SlaBreach,
    Verdict,
)
from verification.models import VerificationRequest

S = ApplicationState
PASSWORD = "Bench-Password-2026"  # noqa: S105 - benchmark data on a throwaway database
RW_PER_OFFICE, RT_PER_RW = 5, 5
BATCH = 5000
# Share of cases per state: most of a year's cases are closed; about a fifth are open.
STATE_WEIGHTS = {
    S.COMPLETED: 68,
    S.CANCELLED: 5,
    S.REJECTED: 3,
    S.RECEIVED: 6,
    S.INCOMPLETE: 3,
    S.ARCHIVED: 3,
    S.IN_VERIFICATION: 5,
    S.VERIFIED: 3,
    S.ISSUED: 4,
}


def offices_for(n: int) -> int:
    """~10,000 cases per kelurahan: 100k -> 10 offices, 1M -> 100 (a whole city)."""
    return max(2, min(100, n // 10_000))


def seed_city(n: int, *, seed: int = 2026) -> dict:
    rng = random.Random(seed + Application.objects.count())
    offices = _ensure_offices(offices_for(n))
    have = Application.objects.count()
    start = have
    while have < n:
        chunk = min(20_000, n - have)
        with transaction.atomic():
            _add_applications(offices, have, chunk, rng)
        have += chunk
    return {"offices": len(offices), "applications": n, "added": n - start}


def _ensure_offices(count: int) -> list[Office]:
    existing = list(Office.objects.filter(code__startswith="B").order_by("code"))
    if len(existing) >= count:
        return existing[:count]
    User = get_user_model()
    password = make_password(PASSWORD)
    groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
    with transaction.atomic():
        for i in range(len(existing), count):
            code = f"B{i:03d}"
            office = Office.objects.create(
                code=code,
                name=f"Kelurahan Uji {i}",
                kecamatan="Kecamatan Uji",
                city="Kota Uji",
                address=f"Jl. Kantor {i}",
                lurah_name=f"Lurah {i}",
                lurah_nip="197805122005012003",
            )
            rws = RW.objects.bulk_create(
                RW(office=office, number=r + 1) for r in range(RW_PER_OFFICE)
            )
            users = User.objects.bulk_create(
                [
                    User(username=f"{code.lower()}-petugas", password=password),
                    User(username=f"{code.lower()}-petugas2", password=password),
                    User(username=f"{code.lower()}-lurah", password=password),
                ]
                + [
                    User(username=f"{code.lower()}-rt{r}", password=password)
                    for r in range(RW_PER_OFFICE * RT_PER_RW)
                ]
            )
            chairs = users[3:]
            rts = RT.objects.bulk_create(
                RT(rw=rws[k // RT_PER_RW], number=k % RT_PER_RW + 1, chair=chairs[k])
                for k in range(len(chairs))
            )
            roles = [Role.OFFICER, Role.OFFICER, Role.SUPERVISOR]
            Membership.objects.bulk_create(
                [
                    Membership(user=u, office=office, role=r)
                    for u, r in zip(users, roles, strict=False)
                ]
                + [
                    Membership(user=u, office=office, role=Role.RT_CHAIR, rt=rt)
                    for u, rt in zip(chairs, rts, strict=True)
                ]
            )
            through = User.groups.through
            through.objects.bulk_create(
                [
                    through(user_id=u.pk, group_id=groups[r].pk)
                    for u, r in zip(users, roles, strict=False)
                ]
                + [through(user_id=u.pk, group_id=groups[Role.RT_CHAIR].pk) for u in chairs]
            )
            existing.append(office)
    return existing


def _add_applications(offices: list[Office], first: int, count: int, rng) -> None:
    services = list(Service.objects.prefetch_related("requirements"))
    rts = {o.pk: list(RT.objects.filter(rw__office=o).select_related("rw")) for o in offices}
    staff = dict(
        Membership.objects.filter(office__in=offices, role=Role.OFFICER).values_list(
            "office_id", "user_id"
        )
    )
    now = timezone.now()
    states, weights = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
    apps = []
    for i in range(first, first + count):
        office = offices[i % len(offices)]
        state = rng.choices(states, weights)[0]
        open_case = state not in (S.COMPLETED, S.CANCELLED, S.REJECTED)
        # Open cases are recent; closed ones spread over the past year.
        age = (
            timedelta(hours=rng.uniform(1, 96))
            if open_case
            else timedelta(days=rng.uniform(4, 365))
        )
        received = now - age
        day = received.replace(hour=9, minute=0, second=0, microsecond=0)
        apps.append(
            Application(
                code=f"{office.code}-{i:07d}",
                office=office,
                service=services[i % len(services)],
                state=state,
                applicant_name=f"Warga Uji {i}",
                nik=f"3271{i:012d}",
                phone="+6281234567890",
                address=f"Jl. Uji No. {i % 300}",
                rt=rts[office.pk][i % len(rts[office.pk])],
                received_by_id=staff[office.pk],
                received_at=received,
                archive_due=day.replace(hour=16),
                verify_due=day.replace(hour=16) + timedelta(days=1),
                issue_due=day.replace(hour=16) + timedelta(days=2),
                archived_at=received + timedelta(hours=3) if _past(state, S.ARCHIVED) else None,
                verified_at=received + timedelta(days=1) if _past(state, S.VERIFIED) else None,
                issued_at=received + timedelta(days=2) if _past(state, S.ISSUED) else None,
                completed_at=received + timedelta(days=3) if state == S.COMPLETED else None,
                # Working seconds per stage (services.sla.stages), as the steps store them.
                archive_seconds=rng.randint(600, 8 * 3600) if _past(state, S.ARCHIVED) else None,
                verify_seconds=rng.randint(3600, 16 * 3600) if _past(state, S.VERIFIED) else None,
                issue_seconds=rng.randint(600, 8 * 3600) if _past(state, S.ISSUED) else None,
            )
        )
    apps = Application.objects.bulk_create(apps, batch_size=BATCH)
    _add_children(apps, staff, now)


ORDER = [S.RECEIVED, S.ARCHIVED, S.IN_VERIFICATION, S.VERIFIED, S.ISSUED, S.COMPLETED]


def _past(state: str, milestone: str) -> bool:
    return state in ORDER and ORDER.index(state) >= ORDER.index(milestone)


def _add_children(apps: list[Application], staff: dict, now) -> None:
    events, attachments, letters, requests, breaches = [], [], [], [], []
    for app in apps:
        if app.pk % 16 == 0:  # one case in 16 breached a milestone (the charts count them)
            milestone = ("archive", "verify", "issue")[app.pk % 3]
            due = getattr(app, f"{milestone}_due")
            breaches.append(
                SlaBreach(
                    application=app, office_id=app.office_id, milestone=milestone, due=due,
                    detected=due,
                )
            )  # fmt: skip
        officer = staff[app.office_id]
        events.append(ApplicationEvent(
            application=app, at=app.received_at, by_id=officer, transition="receive",
            target=S.RECEIVED,
        ))  # fmt: skip
        if app.state != S.RECEIVED:
            events.append(ApplicationEvent(
                application=app, at=app.received_at + timedelta(hours=3), by_id=officer,
                transition="archive", source=S.RECEIVED, target=app.state,
            ))  # fmt: skip
        for requirement in list(app.service.requirements.all())[:2]:
            attachments.append(Attachment(
                application=app, requirement=requirement, file=f"attachments/bench/{app.pk}.jpg",
                content_type="image/jpeg", size=250_000, sha256="0" * 64,
                original_name="foto.jpg", verdict=Verdict.ACCEPTED, uploaded_by_id=officer,
                uploaded_at=app.received_at,
            ))  # fmt: skip
        if app.state == S.IN_VERIFICATION:
            requests.append(VerificationRequest(
                application=app, rt=app.rt, created_by_id=officer,
                created_at=app.received_at + timedelta(hours=4),
            ))  # fmt: skip
        if app.state in (S.ISSUED, S.COMPLETED):
            letters.append(Letter(
                application=app, office_id=app.office_id, number=f"B/{app.code}",
                counter_key="bench", seq=app.pk, issued_at=app.issued_at, issued_by_id=officer,
                signatory_name="Lurah", signatory_title="Lurah", sha256="0" * 64,
                pdf=f"letters/bench/{app.pk}.pdf",
            ))  # fmt: skip
    ApplicationEvent.objects.bulk_create(events, batch_size=BATCH)
    Attachment.objects.bulk_create(attachments, batch_size=BATCH)
    VerificationRequest.objects.bulk_create(requests, batch_size=BATCH)
    Letter.objects.bulk_create(letters, batch_size=BATCH)
    SlaBreach.objects.bulk_create(breaches, batch_size=BATCH)
