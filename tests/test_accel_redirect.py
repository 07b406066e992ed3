"""Private files through nginx: with PRIVATE_MEDIA_ACCEL_PREFIX the answer is empty and names
the file in X-Accel-Redirect; without it Python streams the file."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from services.documents.serving import private_file_response


class _Stored:
    def __init__(self, name):
        self.name = name

    def open(self, mode):
        return default_storage.open(self.name, mode)


def test_with_the_prefix_the_answer_is_empty_and_names_the_file(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PRIVATE_MEDIA_ACCEL_PREFIX = "/_protected/"
    response = private_file_response(
        _Stored("letters/a b.pdf"),
        content_type="application/pdf",
        filename="surat.pdf",
        as_attachment=True,
    )
    assert response["X-Accel-Redirect"] == "/_protected/letters/a%20b.pdf"
    assert response.content == b""
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="surat.pdf"'


def test_without_the_prefix_python_streams_the_file(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PRIVATE_MEDIA_ACCEL_PREFIX = ""
    name = default_storage.save("x.pdf", ContentFile(b"%PDF-1.4 x"))
    response = private_file_response(
        _Stored(name), content_type="application/pdf", filename="x.pdf", as_attachment=False
    )
    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == b"%PDF-1.4 x"
