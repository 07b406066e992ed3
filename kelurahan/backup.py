"""Backup and restore of the database and the media folder (``manage.py backup`` / ``restore``).

A backup is one folder, ``kelurahan-<UTC time>/``, holding:

- ``database.sqlite3`` — SQLite through the online backup API (``Connection.backup``), a
  consistent copy of a live WAL database; a file copy of ``db.sqlite3`` would miss what is still
  in ``db.sqlite3-wal`` and may catch a page half-written; or ``database.dump`` — PostgreSQL
  through ``pg_dump -Fc`` on the connection parameters of ``DATABASE_URL``;
- ``media.tar`` — every file under ``MEDIA_ROOT``;
- ``manifest.json`` — the SHA-256 and size of both files, the SHA-256 of every media file, and
  the row count of every table, all taken from the same snapshot as the dump.

Restore checks the manifest against the files before it touches anything (a tampered or
truncated backup is refused), extracts the media to a folder beside ``MEDIA_ROOT`` and checks
each file's hash, then restores the database, runs ``PRAGMA integrity_check`` (SQLite), compares
every table's row count with the manifest, and only then puts the media in place.

Optionally the folder is packed and encrypted with ``age`` (Debian's ``age`` package) to one
``.tar.age`` file: with ``BACKUP_AGE_RECIPIENTS`` (public keys) set, nobody without the private
key can read the residents' data in it, and age's authenticated encryption refuses a tampered file.

Generic on purpose (it knows tables and files, not cases), so it lives in the ground floor.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connections

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_TAR = "media.tar"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in Indonesian."""


@dataclass(frozen=True)
class RestoreResult:
    tables: int
    rows: int
    media_files: int
    integrity: str  # "ok" (SQLite's integrity_check) or "pg_restore" (PostgreSQL)


# --- helpers ----------------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def media_hashes(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``root`` (empty when it does not exist)."""
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): sha256_file(path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def _engine(alias: str) -> str:
    engine = connections[alias].vendor
    if engine not in {"sqlite", "postgresql"}:
        raise BackupError(f"Basis data {engine} tidak didukung (hanya SQLite dan PostgreSQL).")
    return engine


def _quote(alias: str, name: str) -> str:
    return connections[alias].ops.quote_name(name)


def _row_counts(cursor, tables: list[str], quote) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - introspected names
        counts[table] = cursor.fetchone()[0]
    return counts


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return sorted(name for (name,) in rows)


def _pg_env(alias: str) -> tuple[list[str], dict[str, str]]:
    return pg_arguments(connections[alias].settings_dict)


def pg_arguments(params: dict) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection arguments; the password goes through the environment,
    never the command line (which `ps` shows)."""
    args = []
    if params.get("HOST"):
        args += ["--host", str(params["HOST"])]
    if params.get("PORT"):
        args += ["--port", str(params["PORT"])]
    if params.get("USER"):
        args += ["--username", str(params["USER"])]
    args += ["--dbname", str(params["NAME"])]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "20"}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    if params.get("OPTIONS", {}).get("sslmode"):  # DATABASE_URL's ?sslmode=require
        env["PGSSLMODE"] = str(params["OPTIONS"]["sslmode"])
    return args, env


def _pg_binary(name: str) -> str:
    folder = getattr(settings, "BACKUP_PG_BINDIR", "")
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not Path(found).exists():
        raise BackupError(
            f"{name} tidak ditemukan: pasang paket Debian postgresql-client "
            "(versi sama dengan server atau lebih baru) atau atur BACKUP_PG_BINDIR."
        )
    return found


def _run(command: list[str], env: dict[str, str] | None = None, what: str = "") -> None:
    # The binary is found on PATH or BACKUP_PG_BINDIR; the arguments are the settings' own.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BackupError(f"{what} gagal (kode {result.returncode}): " + " | ".join(detail))


# --- backup -----------------------------------------------------------------------------------
def _backup_sqlite(alias: str, target: Path) -> dict[str, int]:
    source = sqlite3.connect(connections[alias].settings_dict["NAME"], timeout=20)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # the online backup API: a consistent snapshot of a live database
        # One self-contained file: no -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        return _row_counts(copy.cursor(), _sqlite_tables(copy), lambda n: f'"{n}"')
    finally:
        copy.close()
        source.close()


def _backup_postgresql(alias: str, target: Path) -> dict[str, int]:
    """pg_dump in the snapshot the row counts are taken in (an exported snapshot), so the
    manifest's counts are those of the dump even while the office keeps working."""
    args, env = _pg_env(alias)
    pg_dump = _pg_binary("pg_dump")
    # A connection of its own: its transaction must start with SET TRANSACTION, whatever
    # transaction the caller's connection is in.
    connection = connections.create_connection(alias)
    try:
        connection.set_autocommit(False)
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            tables = connection.introspection.table_names(cursor)
            counts = _row_counts(cursor, tables, connection.ops.quote_name)
            # The snapshot lives as long as this transaction: pg_dump runs inside it.
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--file", str(target)]
                + args,
                env=env,
                what="pg_dump",
            )
        connection.rollback()
    finally:
        connection.close()
    return counts


def _write_media_tar(root: Path, target: Path, hashes: dict[str, str]) -> None:
    with tarfile.open(target, "w") as archive:
        for relative in hashes:
            archive.add(root / relative, arcname=relative, recursive=False)


def backup(*, output_dir: Path, alias: str = "default", now: datetime | None = None) -> Path:
    """Write one backup folder under ``output_dir`` (or one ``.tar.age`` file when
    ``BACKUP_AGE_RECIPIENTS`` is set) and return its path."""
    engine = _engine(alias)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    output_dir.mkdir(parents=True, exist_ok=True)
    folder = output_dir / f"kelurahan-{stamp}"
    if folder.exists() or folder.with_suffix(".tar.age").exists():
        raise BackupError(f"{folder} sudah ada; cadangan tidak ditimpa.")
    partial = output_dir / f".kelurahan-{stamp}.partial"
    partial.mkdir(mode=0o700)
    try:
        database = partial / (SQLITE_FILE if engine == "sqlite" else PG_FILE)
        if engine == "sqlite":
            counts = _backup_sqlite(alias, database)
        else:
            counts = _backup_postgresql(alias, database)
        media_root = Path(settings.MEDIA_ROOT)
        media = media_hashes(media_root)
        _write_media_tar(media_root, partial / MEDIA_TAR, media)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "engine": engine,
            "files": {
                path.name: {"sha256": sha256_file(path), "size": path.stat().st_size}
                for path in (database, partial / MEDIA_TAR)
            },
            "tables": counts,
            "media": media,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        for path in partial.iterdir():
            path.chmod(0o600)  # residents' personal data: readable by the owner only
        recipients = list(getattr(settings, "BACKUP_AGE_RECIPIENTS", []))
        if recipients:
            encrypted = folder.with_suffix(".tar.age")
            _encrypt(partial, encrypted, folder.name, recipients)
            return encrypted
        partial.rename(folder)
        return folder
    finally:
        if partial.exists():
            shutil.rmtree(partial)


def _age_binary() -> str:
    found = shutil.which("age")
    if not found:
        raise BackupError("age tidak ditemukan: pasang paket Debian age.")
    return found


def _encrypt(folder: Path, target: Path, name: str, recipients: list[str]) -> None:
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        packed = Path(scratch) / "backup.tar"
        with tarfile.open(packed, "w") as archive:
            archive.add(folder, arcname=name)
        command = [_age_binary()]
        for recipient in recipients:
            command += ["--recipient", recipient]
        _run([*command, "--output", str(target), str(packed)], what="age (enkripsi)")
    target.chmod(0o600)


# --- restore ----------------------------------------------------------------------------------
def _decrypt(path: Path, identity: Path | None, scratch: Path) -> Path:
    if identity is None:
        raise BackupError(f"{path.name} terenkripsi: berikan kunci privat age dengan --identity.")
    packed = scratch / "backup.tar"
    _run(
        [
            _age_binary(),
            "--decrypt",
            "--identity",
            str(identity),
            "--output",
            str(packed),
            str(path),
        ],
        what="age (dekripsi; kunci salah atau berkas rusak/diubah)",
    )
    with tarfile.open(packed) as archive:
        archive.extractall(scratch / "unpacked", filter="data")
    packed.unlink()
    folders = [p for p in (scratch / "unpacked").iterdir() if p.is_dir()]
    if len(folders) != 1:
        raise BackupError(f"{path.name} tidak berisi satu folder cadangan.")
    return folders[0]


def read_manifest(folder: Path) -> dict:
    """The manifest, after checking every file it names against its size and SHA-256."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise BackupError(f"{folder} bukan folder cadangan.")
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupError(f"{folder} tidak punya {MANIFEST}: bukan cadangan yang utuh.") from None
    except ValueError:
        raise BackupError(f"{MANIFEST} rusak (bukan JSON yang sah).") from None
    if manifest.get("format") != FORMAT or manifest.get("engine") not in {"sqlite", "postgresql"}:
        raise BackupError(f"{MANIFEST}: format cadangan tidak dikenal.")
    files = manifest.get("files", {})
    database = SQLITE_FILE if manifest["engine"] == "sqlite" else PG_FILE
    if set(files) != {database, MEDIA_TAR}:
        raise BackupError(f"{MANIFEST} tidak mencantumkan {database} dan {MEDIA_TAR}.")
    for name, expected in sorted(files.items()):
        file = folder / name
        if not file.is_file():
            raise BackupError(f"Cadangan tidak lengkap: {name} tidak ada.")
        size = file.stat().st_size
        if size != expected["size"]:
            raise BackupError(
                f"{name} terpotong atau berubah: {size} byte, seharusnya {expected['size']}."
            )
        if sha256_file(file) != expected["sha256"]:
            raise BackupError(f"{name} tidak cocok dengan checksum SHA-256 di {MANIFEST}.")
    return manifest


def _database_is_empty(alias: str) -> bool:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _drop_every_table(alias: str) -> None:
    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if connection.vendor == "sqlite":
            return  # the backup API replaces the whole file's content at once
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")


def _check_sqlite_copy(source: Path, manifest: dict) -> None:
    """Before anything is replaced: the copy is a sound SQLite file holding what the manifest
    says (a manifest edited by hand to match a different copy is caught here)."""
    copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        verdict = "; ".join(str(r[0]) for r in copy.execute("PRAGMA integrity_check"))
        counts = _row_counts(copy.cursor(), _sqlite_tables(copy), lambda n: f'"{n}"')
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{SQLITE_FILE} bukan basis data SQLite yang sah: {error}") from None
    finally:
        copy.close()
    if verdict != "ok":
        raise BackupError(f"PRAGMA integrity_check pada {SQLITE_FILE}: {verdict}")
    _compare_counts(counts, manifest, when="di dalam cadangan")


def _compare_counts(counts: dict[str, int], manifest: dict, *, when: str) -> None:
    expected = manifest["tables"]
    wrong = sorted(t for t in set(counts) | set(expected) if counts.get(t) != expected.get(t))
    if wrong:
        detail = ", ".join(f"{t}: {counts.get(t)} ≠ {expected.get(t)}" for t in wrong[:5])
        raise BackupError(f"Jumlah baris {when} tidak cocok dengan {MANIFEST}: {detail}")


def _restore_sqlite(alias: str, source: Path) -> str:
    connection = connections[alias]
    connection.close()
    backup_copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    live = sqlite3.connect(connection.settings_dict["NAME"], timeout=20)
    try:
        # Replaces the whole database in one write transaction; other connections wait.
        backup_copy.backup(live)
        result = live.execute("PRAGMA integrity_check").fetchall()
    finally:
        live.close()
        backup_copy.close()
    verdict = "; ".join(str(row[0]) for row in result)
    if verdict != "ok":
        raise BackupError(f"PRAGMA integrity_check setelah pemulihan: {verdict}")
    return verdict


def _restore_postgresql(alias: str, source: Path) -> str:
    args, env = _pg_env(alias)
    connections[alias].close()
    _run(
        [
            _pg_binary("pg_restore"),
            "--no-owner",  # the restoring user owns the tables, whoever made the dump
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *args,
            str(source),
        ],
        env=env,
        what="pg_restore",
    )
    return "pg_restore"


def _current_counts(alias: str) -> dict[str, int]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return _row_counts(cursor, tables, connection.ops.quote_name)


def _extract_media(folder: Path, manifest: dict, staging: Path) -> None:
    with tarfile.open(folder / MEDIA_TAR) as archive:
        # "data": no absolute paths, no "..", no links out of the folder, no device files.
        archive.extractall(staging, filter="data")
    found = media_hashes(staging)
    expected = manifest["media"]
    if found != expected:
        wrong = sorted(
            set(found) ^ set(expected) | {k for k in found if found[k] != expected.get(k)}
        )
        raise BackupError(f"Berkas media tidak cocok dengan {MANIFEST}: {', '.join(wrong[:5])}")


def _media_is_empty(root: Path) -> bool:
    return not root.exists() or not any(root.iterdir())


def _replace_media(root: Path, staging: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for child in staging.iterdir():
        os.replace(child, root / child.name)  # same filesystem: a rename, not a copy


def check(path: Path, *, identity: Path | None = None) -> dict:
    """Verify a backup without restoring it (the restore drill's first step)."""
    with _opened(path, identity) as folder:
        manifest = read_manifest(folder)
        if manifest["engine"] == "sqlite":
            _check_sqlite_copy(folder / SQLITE_FILE, manifest)
        with tempfile.TemporaryDirectory() as scratch:
            _extract_media(folder, manifest, Path(scratch))
        return manifest


@contextlib.contextmanager
def _opened(path: Path, identity: Path | None):
    if path.is_file() and path.name.endswith(".age"):
        with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
            os.chmod(scratch, 0o700)
            yield _decrypt(path, identity, Path(scratch))
    else:
        yield path


def restore(
    path: Path, *, alias: str = "default", force: bool = False, identity: Path | None = None
) -> RestoreResult:
    """Restore a backup over the database ``alias`` and ``MEDIA_ROOT``.

    Refuses a non-empty database or media folder unless ``force``: restoring over live data
    would throw away every case recorded since the backup, so it must be asked for by name.
    """
    engine = _engine(alias)
    media_root = Path(settings.MEDIA_ROOT)
    with _opened(path, identity) as folder:
        manifest = read_manifest(folder)
        if manifest["engine"] != engine:
            raise BackupError(
                f"Cadangan ini dari {manifest['engine']}, basis data tujuan {engine}: "
                "pulihkan ke basis data yang sejenis."
            )
        occupied = []
        if not _database_is_empty(alias):
            occupied.append("basis data berisi tabel")
        if not _media_is_empty(media_root):
            occupied.append(f"{media_root} berisi berkas")
        if occupied and not force:
            raise BackupError(
                "Pemulihan ditolak: "
                + " dan ".join(occupied)
                + ". Memulihkan di atasnya akan menghapus semua data sejak cadangan dibuat; "
                "hentikan aplikasi dan ulangi dengan --force bila memang itu maksudnya."
            )
        if engine == "sqlite":
            _check_sqlite_copy(folder / SQLITE_FILE, manifest)
        media_root.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=media_root.parent, prefix=".restore-") as staging:
            _extract_media(folder, manifest, Path(staging))
            if engine == "sqlite":
                integrity = _restore_sqlite(alias, folder / SQLITE_FILE)
            else:
                _drop_every_table(alias)
                integrity = _restore_postgresql(alias, folder / PG_FILE)
            counts = _current_counts(alias)
            _compare_counts(counts, manifest, when="setelah pemulihan")
            _replace_media(media_root, Path(staging))
    return RestoreResult(
        tables=len(counts),
        rows=sum(counts.values()),
        media_files=len(manifest["media"]),
        integrity=integrity,
    )


def describe(manifest: dict) -> str:
    return (
        f"{manifest['engine']}, dibuat {manifest['created_at']}: {len(manifest['tables'])} tabel, "
        f"{sum(manifest['tables'].values())} baris, {len(manifest['media'])} berkas media"
    )
