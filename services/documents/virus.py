"""The optional virus scan of uploads through ClamAV's daemon (clamd), SECURITY.md E34/J67.

Off unless ``CLAMAV_SOCKET`` (a unix socket path, Debian's is
``/run/clamav/clamd.ctl``) or ``CLAMAV_ADDRESS`` (``host:port`` of a clamd with TCPSocket)
is set. When on, ``cleaning.clean_inspected`` sends every file, as the resident sent it and
before it is decoded, with clamd's INSTREAM command:

- a signature found → ``UploadRejected`` with an Indonesian message, and one log line naming
  the signature and the file's SHA-256 (never the file name, which may hold a NIK or a name);
- clamd unreachable, too slow (``CLAMAV_TIMEOUT`` seconds) or answering an error → the upload
  is refused too (fails closed): an operator who turned scanning on relies on every stored
  file having been scanned, and a silently skipped scan is noticed by nobody. The resident's
  other fields and already kept files are not lost; the message says to try again shortly,
  and the error is logged for the operator.

Why a client of our own: INSTREAM is a dozen lines (``zINSTREAM\\0``, length-prefixed chunks,
a zero length, one reply). The old libraries (``clamd`` 2014, ``pyclamd`` 2017) are
unmaintained; ``clamav-client`` is maintained but would be a dependency for these lines, and
here the timeout and the fail-closed decision stay in one short place we test against a real
clamd (tests/test_virus_scan.py).
"""

from __future__ import annotations

import hashlib
import logging
import socket
import struct

from django.conf import settings

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
MSG_INFECTED = (
    "Berkas ini terdeteksi mengandung virus atau program berbahaya dan tidak diterima. "
    "Periksa perangkat Anda, lalu foto atau scan ulang dokumennya."
)
MSG_UNAVAILABLE = (
    "Pemeriksaan virus sedang tidak tersedia, jadi berkas belum bisa diterima. "
    "Coba kirim lagi beberapa menit lagi; isian lain tidak perlu diulang."
)


class ScannerUnavailable(Exception):
    """clamd could not be reached or did not give a clean/infected answer."""


def enabled() -> bool:
    return bool(_socket_path() or _address())


def scan(data: bytes) -> str | None:
    """The name of the signature clamd found in ``data``, or None when it is clean.

    Raises ScannerUnavailable when clamd cannot answer."""
    try:
        with _connect() as conn:
            conn.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CHUNK):
                chunk = data[start : start + CHUNK]
                conn.sendall(struct.pack(">I", len(chunk)) + chunk)
            conn.sendall(struct.pack(">I", 0))
            reply = _read_reply(conn)
    except OSError as exc:
        raise ScannerUnavailable(f"clamd: {exc.__class__.__name__}: {exc}") from exc
    # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    if reply.endswith(" FOUND"):
        return reply.removeprefix("stream:").removesuffix(" FOUND").strip()
    if reply == "stream: OK":
        return None
    raise ScannerUnavailable(f"clamd answered: {reply[:200]}")


def refusal(data: bytes) -> tuple[str, str] | None:
    """Why ``data`` may not be stored (message, code), when scanning is on and it is infected
    or could not be scanned; None otherwise. ``cleaning`` raises it as UploadRejected."""
    if not enabled():
        return None
    digest = hashlib.sha256(data).hexdigest()
    try:
        found = scan(data)
    except ScannerUnavailable as exc:
        log.error("virus scan unavailable, upload refused (sha256=%s): %s", digest, exc)
        return MSG_UNAVAILABLE, "scan_unavailable"
    if found:
        log.warning("virus found, upload refused: %s (sha256=%s)", found, digest)
        return MSG_INFECTED, "infected"
    return None


def _socket_path() -> str:
    return getattr(settings, "CLAMAV_SOCKET", "") or ""


def _address() -> str:
    return getattr(settings, "CLAMAV_ADDRESS", "") or ""


def _timeout() -> float:
    return float(getattr(settings, "CLAMAV_TIMEOUT", 10))


def _connect() -> socket.socket:
    if path := _socket_path():
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(_timeout())
        try:
            conn.connect(path)
        except OSError:
            conn.close()
            raise
        return conn
    host, _, port = _address().rpartition(":")
    return socket.create_connection((host.strip("[]"), int(port)), timeout=_timeout())


def _read_reply(conn: socket.socket) -> str:
    reply = b""
    while not reply.endswith(b"\0"):
        part = conn.recv(4096)
        if not part:
            break
        reply += part
        if len(reply) > 4096:
            break
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()
