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
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from kelurahan.models import RT, RW, Membership, Office, Role
from services.models import (
    Application,
    ApplicationEvent,
    ApplicationState,
    Attachment,
    Letter,
    Notification,
    Service,
    SlaBreach,
    Verdict,
)
from verification.models import VerificationRequest

S = ApplicationState
PASSWORD = "Bench-Password-2026"  # noqa: S105 - benchmark data on a throwaway database
RW_PER_OFFICE, RT_PER_RW = 5, 5
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


CHUNK = 50_000  # cases per transaction


def seed_city(n: int, *, seed: int = 2026) -> dict:
    rng = random.Random(seed + Application.objects.count())
    offices = _ensure_offices(offices_for(n))
    have = Application.objects.count()
    start = have
    if have >= n:  # already that big: nothing to load (and no index to rebuild)
        return {"offices": len(offices), "applications": have, "added": 0}
    with _bulk_load():
        while have < n:
            chunk = min(CHUNK, n - have)
            with transaction.atomic():
                _add_applications(offices, have, chunk, rng)
            have += chunk
        _reset_sequences()
    return {"offices": len(offices), "applications": n, "added": n - start}


SEEDED = [Application, ApplicationEvent, Attachment, VerificationRequest, Letter, SlaBreach]


class _bulk_load:
    """A throwaway database loaded in bulk, as a DBA would load it: the seeded tables'
    secondary indexes are dropped before and built once after (one sort each instead of
    a million B-tree inserts per index); SQLite skips fsync and gets a large page cache;
    PostgreSQL skips the foreign-key triggers (session_replication_role = replica: the rows
    are consistent by construction). Indexes that back a constraint (primary keys, UNIQUE)
    stay, so the ids and codes are still checked as they go in."""

    def __enter__(self):
        tables = [m._meta.db_table for m in SEEDED]
        with connection.cursor() as cursor:
            # (PRAGMA synchronous cannot change inside a transaction: in the tests' one)
            self.pragmas = connection.vendor == "sqlite" and not connection.in_atomic_block
            if self.pragmas:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-262144")  # 256 MB
                cursor.execute("PRAGMA temp_store=MEMORY")
            if connection.vendor == "sqlite":
                marks = ", ".join(["%s"] * len(tables))
                cursor.execute(
                    f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                    f" AND tbl_name IN ({marks})",
                    tables,
                )
            else:
                cursor.execute("SET session_replication_role = replica")
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i"
                    " JOIN pg_class c ON c.relname = i.indexname"
                    " WHERE i.tablename = ANY(%s) AND i.schemaname = current_schema()"
                    " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)",
                    [tables],
                )
            self.indexes = cursor.fetchall()
            _check_pending_constraints(cursor)
            for name, _ in self.indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        return self

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            _check_pending_constraints(cursor)
            for _, sql in self.indexes:
                cursor.execute(sql)
            if self.pragmas:
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA cache_size=-2000")
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def _check_pending_constraints(cursor) -> None:
    """PostgreSQL refuses to drop or build an index of a table with deferred foreign-key
    checks pending (rows written earlier in an enclosing transaction, as in the tests):
    run those checks now, and defer the rest again."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _reset_sequences() -> None:
    """Cases are written with explicit ids (their children point at them before the rows
    exist); PostgreSQL's sequences are moved past them so the ORM's next insert is free."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), SEEDED):
            cursor.execute(sql)


def _converter(field):
    """Model attribute value -> the value the database driver takes, decided once per field."""
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite":  # what DatabaseOperations.adapt_datetimefield_value does
            utc = timezone.get_fixed_timezone(0)

            def sqlite_datetime(value):
                if value is None:
                    return None
                if value.utcoffset():
                    value = value.astimezone(utc)
                return str(value.replace(tzinfo=None))

            return sqlite_datetime
        return None  # psycopg takes aware datetimes as they are
    if isinstance(field, (models.CharField, models.TextField, models.FileField)):
        # Choices are str-and-Enum members: the driver gets their value as a plain str.
        return lambda value: value if value is None or type(value) is str else str(value)
    if isinstance(field, (models.IntegerField, models.ForeignKey, models.BooleanField)):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def insert_rows(model, rows: list[dict]) -> None:
    """Write rows (dicts by attribute name: ``office_id``, not ``office``) straight to the
    table: PostgreSQL COPY (psycopg's cursor.copy), SQLite one executemany. No model
    instances, no per-row SQL, no RETURNING: a million cases in minutes.

    A field a row leaves out gets its default (a callable one called per row: tokens, UUIDs);
    auto_now fields get "now"; generated columns are left to the database. The id column is
    written when the rows carry one (cases: their children point at them).
    """
    if not rows:
        return
    now = timezone.now()
    given = rows[0].keys()
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.generated and (not f.primary_key or f.attname in given)
    ]
    # One compiled function per table builds a row's tuple (no call per column).
    scope, parts = {}, []
    for k, f in enumerate(fields):
        convert = _converter(f)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            scope[f"v{k}"] = convert(now) if convert else now
            parts.append(f"v{k}")
        elif f.attname in given:
            if convert is None:
                parts.append(f"row[{f.attname!r}]")
            else:
                scope[f"c{k}"] = convert
                parts.append(f"c{k}(row[{f.attname!r}])")
        elif f.has_default() and callable(f.default):
            scope[f"m{k}"] = f.default
            if convert is None:
                parts.append(f"m{k}()")
            else:
                scope[f"c{k}"] = convert
                parts.append(f"c{k}(m{k}())")
        else:
            value = f.get_default()
            scope[f"v{k}"] = convert(value) if convert else value
            parts.append(f"v{k}")
    as_tuple = eval(f"lambda row: ({', '.join(parts)},)", scope)  # noqa: S307 - our own field names
    values = map(as_tuple, rows)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the driver's own cursor: no per-row wrapping
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join(["?"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)


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
            _add_notifications(code, users[:3])
            existing.append(office)
    return existing


# Each officer's and supervisor's bell: more notes than its page shows (services.selectors.
# notifications_for: the newest 100), a third unread, one every few hours back in time, as the
# SLA sweep writes them. Without them the bench timed the first size's page empty and the next
# one full (the sweep measured at the first size notifies the same members).
NOTES_PER_MEMBER = 150


def _add_notifications(code: str, members: list) -> None:
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            key=f"bench:{i}",
            kind="breach",
            message=f"{code}-{2612 - i // 90:04d}-{i:04d} terlambat: verifikasi Ketua RT.",
            url=f"/permohonan/{code}-{i:04d}/",
            created_at=now - timedelta(hours=3 * i + 1),
            read_at=None if i % 3 == 0 else now - timedelta(hours=3 * i),
        )
        for user in members
        for i in range(NOTES_PER_MEMBER)
    )


def _add_applications(offices: list[Office], first: int, count: int, rng) -> None:
    services = list(Service.objects.prefetch_related("requirements"))
    requirements = {sv.pk: [r.pk for r in sv.requirements.all()][:2] for sv in services}
    rts = {
        o.pk: list(RT.objects.filter(rw__office=o).values_list("pk", flat=True)) for o in offices
    }
    staff = dict(
        Membership.objects.filter(office__in=offices, role=Role.OFFICER).values_list(
            "office_id", "user_id"
        )
    )
    now = timezone.now()
    states, weights = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
    next_id = (Application.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
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
        day = received.replace(hour=16, minute=0, second=0, microsecond=0)
        office_rts = rts[office.pk]
        apps.append(
            {
                "id": next_id + i - first,
                "code": f"{office.code}-{i:07d}",
                "office_id": office.pk,
                "service_id": services[i % len(services)].pk,
                "state": state,
                "applicant_name": f"Warga Uji {i}",
                "nik": f"3271{i:012d}",
                "phone": "+6281234567890",
                "address": f"Jl. Uji No. {i % 300}",
                "rt_id": office_rts[i % len(office_rts)],
                "received_by_id": staff[office.pk],
                "received_at": received,
                "archive_due": day,
                "verify_due": day + timedelta(days=1),
                "issue_due": day + timedelta(days=2),
                "archived_at": received + timedelta(hours=3) if _past(state, S.ARCHIVED) else None,
                "verified_at": received + timedelta(days=1) if _past(state, S.VERIFIED) else None,
                "issued_at": received + timedelta(days=2) if _past(state, S.ISSUED) else None,
                "completed_at": received + timedelta(days=3) if state == S.COMPLETED else None,
                # Working seconds per stage (services.sla.stages), as the steps store them.
                "archive_seconds": (
                    rng.randint(600, 8 * 3600) if _past(state, S.ARCHIVED) else None
                ),
                "verify_seconds": (
                    rng.randint(3600, 16 * 3600) if _past(state, S.VERIFIED) else None
                ),
                "issue_seconds": rng.randint(600, 8 * 3600) if _past(state, S.ISSUED) else None,
            }
        )
    insert_rows(Application, apps)
    _add_children(apps, staff, requirements)


ORDER = [S.RECEIVED, S.ARCHIVED, S.IN_VERIFICATION, S.VERIFIED, S.ISSUED, S.COMPLETED]


def _past(state: str, milestone: str) -> bool:
    return state in ORDER and ORDER.index(state) >= ORDER.index(milestone)


def _add_children(apps: list[dict], staff: dict, requirements: dict) -> None:
    events, attachments, letters, requests, breaches = [], [], [], [], []
    for app in apps:
        pk, office_id, state = app["id"], app["office_id"], app["state"]
        received = app["received_at"]
        if pk % 16 == 0:  # one case in 16 breached a milestone (the charts count them)
            milestone = ("archive", "verify", "issue")[pk % 3]
            due = app[f"{milestone}_due"]
            breaches.append({"application_id": pk, "office_id": office_id, "rt_id": app["rt_id"],
                             "milestone": milestone, "due": due, "detected": due})  # fmt: skip
        officer = staff[office_id]
        events.append({"application_id": pk, "at": received, "by_id": officer,
                       "transition": "receive", "source": "", "target": S.RECEIVED})  # fmt: skip
        if state != S.RECEIVED:
            events.append({"application_id": pk, "at": received + timedelta(hours=3),
                           "by_id": officer, "transition": "archive", "source": S.RECEIVED,
                           "target": state})  # fmt: skip
        for requirement in requirements[app["service_id"]]:
            attachments.append({
                "application_id": pk, "requirement_id": requirement,
                "file": f"attachments/bench/{pk}.jpg", "content_type": "image/jpeg",
                "size": 250_000, "sha256": "0" * 64, "original_name": "foto.jpg",
                "verdict": Verdict.ACCEPTED, "uploaded_by_id": officer, "uploaded_at": received,
            })  # fmt: skip
        if state == S.IN_VERIFICATION:
            requests.append({"application_id": pk, "rt_id": app["rt_id"], "created_by_id": officer,
                             "created_at": received + timedelta(hours=4)})  # fmt: skip
        if state in (S.ISSUED, S.COMPLETED):
            letters.append({
                "application_id": pk, "office_id": office_id, "number": f"B/{app['code']}",
                "counter_key": "bench", "seq": pk, "issued_at": app["issued_at"],
                "issued_by_id": officer, "signatory_name": "Lurah", "signatory_title": "Lurah",
                "sha256": "0" * 64, "pdf": f"letters/bench/{pk}.pdf",
            })  # fmt: skip
    insert_rows(ApplicationEvent, events)
    insert_rows(Attachment, attachments)
    insert_rows(VerificationRequest, requests)
    insert_rows(Letter, letters)
    insert_rows(SlaBreach, breaches)
