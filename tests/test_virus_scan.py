"""SECURITY.md J67/E34: with ``CLAMAV_SOCKET`` set, every upload is scanned by a real clamd
(Debian's clamav-daemon) before it is decoded; the EICAR test string is refused.

The daemon runs offline: the test starts it on a temporary unix socket with a one-line
signature database of its own (the EICAR string as a body signature, ``.ndb``), so no
download of ClamAV's databases is needed. CI installs clamav-daemon (.ci/run,
scripts/sysdeps.sh test); without it these tests are skipped, saying so.
"""

import logging
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from services.documents import virus
from services.documents.cleaning import UploadRejected, clean_upload
from tests.factories import EICAR, ApplicationFactory, jpeg_upload, pdf_bytes

CLAMD = shutil.which("clamd") or ("/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None)
needs_clamd = pytest.mark.skipif(
    CLAMD is None, reason="clamd is not installed (Debian: apt-get install clamav-daemon)"
)
SIGNATURE = "Eicar-Test-Signature"


@pytest.fixture(scope="module")
def clamd_socket(tmp_path_factory):
    """A clamd of our own on a temporary socket, with only the EICAR signature."""
    folder = tmp_path_factory.mktemp("clamd")
    database = folder / "db"
    database.mkdir()
    (database / "eicar.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    path = folder / "clamd.sock"
    config = folder / "clamd.conf"
    config.write_text(
        f"LocalSocket {path}\nDatabaseDirectory {database}\nTemporaryDirectory {folder}\n"
        f"Foreground yes\nLogFile {folder / 'clamd.log'}\nStreamMaxLength 25M\n"
    )
    daemon = subprocess.Popen(  # noqa: S603 (a fixed command line)
        [CLAMD, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60  # loading the engine: well under a second here
        while not _answers(path):
            if daemon.poll() is not None:
                pytest.fail(f"clamd did not start: {daemon.stderr.read().decode()[-500:]}")
            if time.monotonic() > deadline:
                pytest.fail("clamd did not open its socket within 60 s")
            time.sleep(0.1)
        yield str(path)
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()


def _answers(path: Path) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX) as conn:
        try:
            conn.settimeout(2)
            conn.connect(str(path))
            conn.sendall(b"zPING\0")
            return conn.recv(16).startswith(b"PONG")
        except OSError:
            return False


@pytest.fixture
def scanning(settings, clamd_socket):
    settings.CLAMAV_SOCKET = clamd_socket
    return clamd_socket


def eicar_pdf() -> bytes:
    """A valid PDF whose page content (uncompressed) holds the EICAR string."""

    def write(document):
        document.pages[0].Contents = document.make_stream(b"% " + EICAR + b"\n")

    return pdf_bytes(edit=write, compress_streams=False)


def eicar_jpeg() -> bytes:
    """A valid photo with the EICAR string in its comment (re-encoding would drop it)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, "JPEG", comment=EICAR)
    return out.getvalue()


@needs_clamd
def test_e34_j67_the_eicar_string_is_found_by_the_real_clamd(scanning):
    assert virus.scan(EICAR) == f"{SIGNATURE}.UNOFFICIAL"  # clamd's suffix for own signatures
    assert virus.scan(b"surat pengantar RT biasa") is None


@needs_clamd
@pytest.mark.parametrize(
    ("name", "make"), [("surat.pdf", eicar_pdf), ("ktp.jpg", eicar_jpeg)], ids=["pdf", "jpeg"]
)
def test_e34_j67_an_upload_carrying_eicar_is_refused_and_logged_without_its_name(
    scanning, name, make, caplog
):
    data = make()
    assert EICAR in data

    refused = pytest.raises(UploadRejected, match="terdeteksi mengandung virus")
    with caplog.at_level(logging.WARNING, logger="services.documents.virus"), refused:
        clean_upload(SimpleUploadedFile(name, data))

    (record,) = caplog.records
    assert SIGNATURE in record.getMessage() and name not in record.getMessage()


@needs_clamd
def test_j67_a_clean_photo_and_pdf_pass_the_scan(scanning):
    assert clean_upload(jpeg_upload("ktp.jpg")).content_type == "image/jpeg"
    assert clean_upload(SimpleUploadedFile("kk.pdf", pdf_bytes())).extension == "pdf"


@needs_clamd
@pytest.mark.django_db
def test_j67_the_case_page_refuses_an_infected_document_and_stores_nothing(
    scanning, officer_client, officer, rt1
):
    application = ApplicationFactory(officer=officer, rt=rt1)
    before = application.attachments.count()
    response = officer_client.post(
        reverse("services:attachment_upload", args=[application.code]),
        {
            "requirement": application.service.requirements.first().pk,
            "files": [SimpleUploadedFile("surat.pdf", eicar_pdf(), "application/pdf")],
        },
    )
    shown = [str(m) for m in response.wsgi_request._messages]
    assert any("surat.pdf: Berkas ini terdeteksi mengandung virus" in m for m in shown), shown
    assert application.attachments.count() == before


def test_j67_with_clamd_configured_but_unreachable_an_upload_is_refused(settings, tmp_path, caplog):
    """Fail closed: scanning was asked for, so an unscanned file is not stored."""
    settings.CLAMAV_SOCKET = str(tmp_path / "no-clamd.sock")

    refused = pytest.raises(UploadRejected, match="Pemeriksaan virus sedang tidak tersedia")
    with caplog.at_level(logging.ERROR, logger="services.documents.virus"), refused:
        clean_upload(jpeg_upload("ktp.jpg"))
    assert "unavailable" in caplog.text and "ktp.jpg" not in caplog.text


def test_j67_without_the_setting_nothing_is_scanned(settings, monkeypatch):
    settings.CLAMAV_SOCKET = ""
    settings.CLAMAV_ADDRESS = ""
    monkeypatch.setattr(virus, "scan", lambda data: pytest.fail("scanned"))
    assert clean_upload(SimpleUploadedFile("kk.pdf", pdf_bytes())).extension == "pdf"


def test_pikepdf_keeps_the_page_content_of_the_eicar_pdf():
    """The PDF of these tests is a real one (the scan, not the PDF check, must refuse it)."""
    import io

    with pikepdf.open(io.BytesIO(eicar_pdf())) as document:
        assert EICAR in document.pages[0].Contents.read_bytes()
