"""SECURITY.md J67 (and E34): a PDF is stored re-written, without actions, scripts, embedded
files or bytes after ``%%EOF``; the stored file is the re-written one."""

import hashlib
import io

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from services.documents.cleaning import UploadRejected, _has_active_content, clean_upload
from tests.factories import (
    APPENDED_AFTER_EOF,
    HOSTILE_PDF_KINDS,
    ApplicationFactory,
    hostile_pdf,
    pdf_bytes,
)


def cleaned(data: bytes) -> bytes:
    return clean_upload(SimpleUploadedFile("surat.pdf", data, "application/pdf")).content


def _direct(value) -> bool:
    return isinstance(value, pikepdf.Object) and not value.is_indirect


def all_objects(data: bytes) -> list:
    """Every object of the PDF and every direct object inside one, flattened."""
    with pikepdf.open(io.BytesIO(data)) as document:
        found, stack = [], list(document.objects)
        while stack:
            obj = stack.pop()
            found.append(obj)
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                stack.extend(v for v in obj.values() if _direct(v))
                found.extend(obj.keys())
            elif isinstance(obj, pikepdf.Array):
                stack.extend(v for v in obj if _direct(v))
        return [repr(o) for o in found]


@pytest.mark.parametrize("kind", HOSTILE_PDF_KINDS)
def test_e34_j67_each_kind_of_hostile_pdf_is_stored_re_written_without_it(kind):
    source = hostile_pdf(kind)
    with pikepdf.open(io.BytesIO(source)) as document:
        assert _has_active_content(document)  # the builder really made a hostile file

    stored = cleaned(source)

    with pikepdf.open(io.BytesIO(stored)) as document:
        assert not _has_active_content(document)
        assert len(document.pages) == 1
        assert not document.attachments
    text = " ".join(all_objects(stored))
    for trace in ("JavaScript", "app.alert", "javascript:", "Launch", "cmd.exe", "MZ", "XFA"):
        assert trace not in text, trace


def test_e34_j67_a_script_hidden_in_a_compressed_object_stream_is_dropped_too():
    source = hostile_pdf(
        "open_action",
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        compress_streams=True,
    )
    assert b"JavaScript" not in source  # not visible to a plain byte search

    stored = cleaned(source)

    with pikepdf.open(io.BytesIO(stored)) as document:
        assert "/OpenAction" not in document.Root and not _has_active_content(document)


def test_j67_bytes_appended_after_eof_are_not_stored():
    source = hostile_pdf("trailing_bytes")
    assert source.endswith(APPENDED_AFTER_EOF)

    stored = cleaned(source)

    assert b"<script>" not in stored and stored.rstrip().endswith(b"%%EOF")


def test_j67_a_web_link_and_an_internal_jump_are_kept():
    def links(document):
        web = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://kelurahan.id/"))
        jump = pikepdf.Dictionary(
            S=pikepdf.Name.GoTo, D=pikepdf.Array([document.pages[1].obj, pikepdf.Name.Fit])
        )
        annots = [
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, A=a)
            for a in (web, jump)
        ]
        document.pages[0].Annots = pikepdf.Array(annots)
        document.Root.OpenAction = pikepdf.Array([document.pages[0].obj, pikepdf.Name.Fit])

    stored = cleaned(pdf_bytes(pages=2, edit=links))

    with pikepdf.open(io.BytesIO(stored)) as document:
        web, jump = (annot.A for annot in document.pages[0].Annots)
        assert str(web.URI) == "https://kelurahan.id/" and jump.S == "/GoTo"
        assert isinstance(document.Root.OpenAction, pikepdf.Array)  # the initial view only


def test_j67_a_clean_pdf_keeps_its_pages_and_the_checksum_is_of_the_stored_bytes():
    source = pdf_bytes(pages=2)

    result = clean_upload(SimpleUploadedFile("surat-pengantar.pdf", source))

    with pikepdf.open(io.BytesIO(result.content)) as document:
        assert len(document.pages) == 2
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()
    assert (result.extension, result.content_type) == ("pdf", "application/pdf")
    assert (result.thumbnail, result.width, result.height) == (None, None, None)
    assert clean_upload(SimpleUploadedFile("lagi.pdf", source)).content == result.content


def test_j67_anything_active_left_after_the_rewrite_refuses_the_file(monkeypatch):
    """The stripping is checked, not trusted: a construct it misses is refused."""
    monkeypatch.setattr("services.documents.cleaning._strip_active", lambda pdf: None)

    with pytest.raises(UploadRejected, match="PDF berisi skrip"):
        cleaned(hostile_pdf("javascript_uri"))


@pytest.mark.django_db
def test_j67_the_intake_stores_the_re_written_pdf(officer_client, officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1)
    requirement = application.service.requirements.first()
    source = hostile_pdf("javascript_uri") + APPENDED_AFTER_EOF
    upload = SimpleUploadedFile("surat.pdf", source, "application/pdf")

    officer_client.post(
        reverse("services:attachment_upload", args=[application.code]),
        {"requirement": requirement.pk, "files": [upload]},
    )

    attachment = application.attachments.get(original_name="surat.pdf")
    with attachment.file.open("rb") as f:
        stored = f.read()
    assert stored != source and b"javascript:" not in stored and b"<script>" not in stored
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
