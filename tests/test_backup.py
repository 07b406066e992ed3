"""SECURITY.md I57: `manage.py backup` / `restore` (kelurahan.backup).

Back up, wipe (every table dropped, the media folder deleted), restore: every row of every
table and every media file's SHA-256 comes back equal. Runs on the suite's database, so on
SQLite in `make test-sqlite` and on PostgreSQL (pg_dump/pg_restore) in `make test-postgres`.
A tampered or truncated backup is refused before anything is touched; a non-empty database is
overwritten only with --force; with age recipients the backup is one encrypted file.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kelurahan import backup
from services.models import Application, Complaint
from tests.factories import complaint_filed, issued_letter

TRANSACTIONAL = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# --- what "equal" means -------------------------------------------------------------------------
def _value(value):
    return bytes(value) if isinstance(value, memoryview) else value


def table_digests() -> dict[str, tuple[int, str]]:
    """Every table -> (row count, SHA-256 over its rows in a stable order)."""
    digests = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows = sorted(repr(tuple(_value(v) for v in row)) for row in cursor.fetchall())
            digests[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return digests


def media_digests() -> dict[str, str]:
    return backup.media_hashes(Path(settings.MEDIA_ROOT))


def wipe() -> None:
    """Drop every table and delete the media folder: the machine after a disk failure."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_keys = OFF")
        for table in tables:
            cascade = " CASCADE" if connection.vendor == "postgresql" else ""
            cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}{cascade}")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_keys = ON")
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture
def tables_come_back():
    """Should a test fail between the wipe and the restore, migrate again so the tests after it
    still have their tables."""
    yield
    with connection.cursor() as cursor:
        if "django_migrations" not in connection.introspection.table_names(cursor):
            call_command("migrate", verbosity=0)


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def world(officer, rt1, rt_chair):
    """A case with an issued letter (its PDF rendered), documents and thumbnails, a complaint."""
    letter = issued_letter(officer=officer, rt=rt1, nik="3271014501900012")
    complaint_filed(office=officer.membership.office)
    return letter


# --- the promise --------------------------------------------------------------------------------
@TRANSACTIONAL
def test_i57_backup_wipe_restore_finds_every_row_and_every_file_equal(
    world, tmp_path, tables_come_back
):
    rows_before, files_before = table_digests(), media_digests()
    assert rows_before["services_application"][0] == 1
    assert any(name.startswith("letters/") for name in files_before)
    assert len(files_before) >= 5  # the documents, their thumbnails, the letter's PDF

    path = Path(run("backup", "--output-dir", str(tmp_path / "backups")))
    assert path.is_dir() and path.parent == tmp_path / "backups"
    assert {p.name for p in path.iterdir()} == {
        "manifest.json",
        "media.tar",
        "database.sqlite3" if connection.vendor == "sqlite" else "database.dump",
    }

    wipe()
    assert connection.introspection.table_names() == []
    assert media_digests() == {}

    out = run("restore", str(path))
    assert "Dipulihkan" in out and "cocok" in out
    if connection.vendor == "sqlite":
        assert "pemeriksaan: ok" in out  # PRAGMA integrity_check
    assert table_digests() == rows_before
    assert media_digests() == files_before
    assert Application.objects.get().letters.get().sha256 == world.sha256


@TRANSACTIONAL
def test_i57_restore_refuses_a_database_with_data_unless_forced(world, tmp_path, tables_come_back):
    rows_before, files_before = table_digests(), media_digests()
    path = Path(run("backup", "--output-dir", str(tmp_path)))
    later = complaint_filed(office=world.application.office, text="Lampu jalan RT 001 mati.")
    (Path(settings.MEDIA_ROOT) / "later.txt").write_text("dibuat setelah cadangan")

    with pytest.raises(CommandError, match=r"basis data berisi tabel.*--force"):
        run("restore", str(path))
    assert Complaint.objects.filter(pk=later.pk).exists()  # refused: nothing touched
    assert "later.txt" in media_digests()

    assert "Dipulihkan" in run("restore", str(path), "--force")
    assert table_digests() == rows_before
    assert media_digests() == files_before  # what came after the backup is gone, as asked


# --- a backup that is not what was written is refused -------------------------------------------
def _flip_a_byte(path: Path, name: str) -> None:
    file = path / name
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(bytes(data))


def _truncate(path: Path, name: str) -> None:
    file = path / name
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])


def _database_file(path: Path) -> str:
    return "database.sqlite3" if (path / "database.sqlite3").exists() else "database.dump"


def _forge_a_media_hash(path: Path) -> None:
    """Change the manifest's hash of one media file (and nothing else)."""
    manifest = path / "manifest.json"
    data = json.loads(manifest.read_text())
    first = sorted(data["media"])[0]
    data["media"][first] = "0" * 64
    manifest.write_text(json.dumps(data))


def _forge_a_row_count(path: Path) -> None:
    """The manifest claims a row the copy does not hold (a hand-edited manifest, or a copy
    swapped for an older one together with its checksums)."""
    manifest = path / "manifest.json"
    data = json.loads(manifest.read_text())
    data["tables"]["services_service"] += 1
    manifest.write_text(json.dumps(data))


TAMPERING = {
    "media.tar with one byte changed": (
        lambda p: _flip_a_byte(p, "media.tar"),
        "media.tar tidak cocok dengan checksum",
    ),
    "database dump cut in half": (
        lambda p: _truncate(p, _database_file(p)),
        "terpotong atau berubah",
    ),
    "database dump with one byte changed": (
        lambda p: _flip_a_byte(p, _database_file(p)),
        "tidak cocok dengan checksum",
    ),
    "manifest deleted": (lambda p: (p / "manifest.json").unlink(), "tidak punya manifest.json"),
    "manifest truncated": (lambda p: _truncate(p, "manifest.json"), "manifest.json rusak"),
    "a media file's hash forged": (_forge_a_media_hash, "Berkas media tidak cocok"),
    "media.tar missing": (lambda p: (p / "media.tar").unlink(), "media.tar tidak ada"),
}


@pytest.mark.django_db
def test_i57_sqlite_a_copy_that_does_not_hold_the_manifests_rows_is_refused_before_restoring(
    world, tmp_path
):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's counts are compared after pg_restore (the dump is opaque)")
    path = backup.backup(output_dir=tmp_path)
    _forge_a_row_count(path)
    rows_before = table_digests()
    with pytest.raises(CommandError, match="Jumlah baris di dalam cadangan tidak cocok"):
        run("restore", str(path), "--force")
    with pytest.raises(CommandError, match="services_service"):
        run("restore", str(path), "--check")
    assert table_digests() == rows_before


@pytest.mark.django_db
@pytest.mark.parametrize("how", TAMPERING)
def test_i57_a_tampered_or_truncated_backup_is_refused_and_nothing_is_touched(how, world, tmp_path):
    path = backup.backup(output_dir=tmp_path)
    tamper, message = TAMPERING[how]
    tamper(path)
    rows_before, files_before = table_digests(), media_digests()

    with pytest.raises(CommandError, match=message):
        run("restore", str(path), "--force")  # forced: the checksums alone stop it
    with pytest.raises(CommandError, match=message):
        run("restore", str(path), "--check")
    assert table_digests() == rows_before
    assert media_digests() == files_before


@pytest.mark.django_db
def test_i57_restore_check_verifies_an_intact_backup_without_restoring(world, tmp_path):
    path = backup.backup(output_dir=tmp_path)
    rows_before = table_digests()
    out = run("restore", str(path), "--check")
    assert out.startswith("Cadangan utuh:") and "berkas media" in out
    assert table_digests() == rows_before


@pytest.mark.django_db
def test_i57_backup_files_are_readable_by_their_owner_only(world, tmp_path):
    path = backup.backup(output_dir=tmp_path)
    assert path.stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in path.iterdir())


@TRANSACTIONAL
def test_i57_sqlite_backup_holds_writes_still_in_the_wal(office, tmp_path):
    """The reason for the backup API: a file copy of db.sqlite3 misses what is in its WAL."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's WAL; PostgreSQL is dumped by pg_dump")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        cursor.execute("PRAGMA wal_autocheckpoint = 0")  # keep the write in the WAL
    complaint_filed(office=office)  # committed (a transactional test)
    copied = tmp_path / "cp.sqlite3"
    shutil.copyfile(connection.settings_dict["NAME"], copied)

    path = backup.backup(output_dir=tmp_path / "out")

    count = "SELECT COUNT(*) FROM services_complaint"
    assert sqlite3.connect(copied).execute(count).fetchone()[0] == 0  # cp lost the complaint
    copy = sqlite3.connect(path / "database.sqlite3")
    assert copy.execute(count).fetchone()[0] == 1
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, no -wal
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --- encryption (age) ---------------------------------------------------------------------------
@pytest.fixture
def age_key(tmp_path):
    key = tmp_path / "kunci.txt"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    public = subprocess.run(
        ["age-keygen", "-y", str(key)], check=True, capture_output=True, text=True
    ).stdout.strip()
    return key, public


@pytest.mark.django_db
def test_i57_with_age_recipients_the_backup_is_one_encrypted_file(
    world, tmp_path, age_key, settings
):
    key, public = age_key
    settings.BACKUP_AGE_RECIPIENTS = [public]
    path = Path(run("backup", "--output-dir", str(tmp_path / "out")))

    assert path.name.endswith(".tar.age") and path.is_file()
    assert list(path.parent.iterdir()) == [path]  # no plain copy left beside it
    data = path.read_bytes()
    assert data.startswith(b"age-encryption.org/v1")
    assert b"SQLite format 3" not in data and b"PGDMP" not in data and b"manifest" not in data

    assert run("restore", str(path), "--check", "--identity", str(key)).startswith("Cadangan utuh")
    with pytest.raises(CommandError, match="--identity"):
        run("restore", str(path), "--check")

    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(tampered))
    with pytest.raises(CommandError, match="age"):
        run("restore", str(path), "--check", "--identity", str(key))


def test_i57_pg_dump_gets_the_password_through_the_environment_not_the_command_line():
    arguments, env = backup.pg_arguments(
        {
            "NAME": "kelurahan",
            "USER": "portal",
            "PASSWORD": "rahasia-sekali",
            "HOST": "db.internal",
            "PORT": 5432,
            "OPTIONS": {"sslmode": "require"},
        }
    )
    assert arguments == [
        "--host",
        "db.internal",
        "--port",
        "5432",
        "--username",
        "portal",
        "--dbname",
        "kelurahan",
    ]
    assert "rahasia-sekali" not in " ".join(arguments)
    assert env["PGPASSWORD"] == "rahasia-sekali" and env["PGSSLMODE"] == "require"
