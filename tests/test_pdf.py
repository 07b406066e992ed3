"""services.letters.pdf: the one PDF pipeline, its restricted URL fetcher, fonts, QR and image
helpers.

SECURITY.md F 38-40: user text is printed literally, the fetcher reads only static files and
data: URLs, refuses every other protocol, redirects, '..' and symlink escapes, and is used for
every stylesheet. No database needed.
"""

import base64
import builtins
import http.client
import http.server
import io
import logging
import os
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.request import HTTPRedirectHandler

import pikepdf
import pytest
import weasyprint
from django.template import Context, Template
from PIL import Image

from services.letters import pdf

A4_WIDTH_PT = 595.28
HOSTILE_PAGE_CSS = "@page { size: 100mm 100mm }"  # if this file were ever read, the page shrinks


# --- helpers ------------------------------------------------------------------------------------
def png_bytes(size=(4, 3), color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def letter_html(body: str = "", head: str = "") -> str:
    return f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<link rel="stylesheet" href="fonts/fonts.css">
<style>body {{ font-family: "Liberation Serif", "DejaVu Sans", serif; font-size: 12pt }}</style>
{head}</head>
<body>{body}</body></html>"""


def open_pdf(content: bytes) -> pikepdf.Pdf:
    assert content.startswith(b"%PDF-")
    return pikepdf.open(io.BytesIO(content))


def image_xobjects(document: pikepdf.Pdf) -> list:
    return [
        xobject
        for page in document.pages
        for _, xobject in page.Resources.get("/XObject", {}).items()
        if xobject.get("/Subtype") == "/Image"
    ]


def font_names(document: pikepdf.Pdf) -> list[str]:
    return [
        str(font.get("/BaseFont"))
        for page in document.pages
        for _, font in page.Resources.get("/Font", {}).items()
    ]


def page_width(document: pikepdf.Pdf) -> float:
    return float(document.pages[0].mediabox[2])


def layout(html: str) -> tuple[str, list[str]]:
    """The text WeasyPrint lays out for ``html`` and the kinds of images it places (raster images
    become PDF image XObjects, SVG is drawn into the page): no PDF text extractor needed."""
    document = weasyprint.HTML(
        string=html, base_url=pdf.base_url(), url_fetcher=pdf.RestrictedURLFetcher()
    ).render(font_config=pdf.font_config(), presentational_hints=False)
    texts: list[str] = []
    images: list[str] = []

    def walk(box):
        if getattr(box, "text", None):
            texts.append(box.text)
        if getattr(box, "replacement", None) is not None:
            images.append(type(box.replacement).__name__)
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return "".join(texts), images


@pytest.fixture
def opened(monkeypatch):
    """Every path opened through Python's open() during the test."""
    paths: list[str] = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)):
            paths.append(os.fsdecode(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    return paths


def was_opened(paths: list[str], target: str) -> bool:
    target = os.path.realpath(target)
    return any(os.path.realpath(p) == target for p in paths)


@pytest.fixture
def tmp_static(settings, tmp_path):
    """STATICFILES_DIRS pointed at a temporary folder, with a hostile stylesheet just outside."""
    static = tmp_path / "static"
    static.mkdir()
    (static / "ok.css").write_text("p { color: #123456 }")
    secret = tmp_path / "secret.css"
    secret.write_text(HOSTILE_PAGE_CSS)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.css").write_text(HOSTILE_PAGE_CSS)
    settings.STATICFILES_DIRS = [static]
    settings.STATIC_ROOT = tmp_path / "collected"  # does not exist, like in development
    return static


# --- the clean path -----------------------------------------------------------------------------
def test_clean_letter_renders_with_bundled_font_and_data_images():
    logo = pdf.image_data_uri(png_bytes(), "image/png")
    qr = pdf.qr_svg_data_uri("https://portal.example.id/v/Zx8c1")
    html = letter_html(
        f'<img src="{logo}" style="width: 20mm"><h1>Surat Keterangan</h1>'
        f"<p>Yang bertanda tangan di bawah ini, <b>Lurah</b> <i>Bukit Sangkal</i> ✓</p>"
        f'<img src="{qr}" style="width: 30mm">'
    )
    fetcher = pdf.RestrictedURLFetcher()
    content = pdf.render_pdf_from_string(html, fetcher=fetcher)

    document = open_pdf(content)
    assert fetcher.refused == []
    assert pdf.static_url("fonts/fonts.css") in fetcher.served
    assert sum(url.startswith("data:image/") for url in fetcher.served) == 2
    assert len(image_xobjects(document)) == 1  # the logo; the SVG QR is drawn as vectors
    assert layout(html)[1] == ["RasterImage", "SVGImage"]
    names = font_names(document)
    assert any("Liberation-Serif" in name for name in names), names
    assert any("Liberation-Serif-Bold" in name for name in names), names
    assert abs(page_width(document) - A4_WIDTH_PT) < 1


def test_fonts_css_declares_the_bundled_families():
    fonts = pdf.static_roots()[0]
    css = Path(fonts, "fonts", "fonts.css").read_text()
    assert 'font-family: "Liberation Serif"' in css
    assert 'font-family: "DejaVu Sans"' in css
    assert "local(" not in css.split("*/", 1)[1]
    for name in (
        "LiberationSerif-Regular.ttf",
        "LiberationSerif-Bold.ttf",
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "LICENSE-LiberationSerif.txt",
        "LICENSE-DejaVu.txt",
    ):
        assert Path(fonts, "fonts", name).is_file(), name
        if name.endswith(".ttf"):
            assert f'url("{name}")' in css


def test_render_pdf_renders_a_template_with_autoescape(settings, tmp_path):
    (tmp_path / "letters").mkdir()
    (tmp_path / "letters" / "t.html").write_text(letter_html("<p>Nama: {{ name }}</p>"))
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [tmp_path],
            "APP_DIRS": False,
            "OPTIONS": {},
        }
    ]
    fetcher = pdf.RestrictedURLFetcher()
    content = pdf.render_pdf(
        "letters/t.html", {"name": '<img src="file:///etc/passwd">'}, fetcher=fetcher
    )
    document = open_pdf(content)
    assert fetcher.refused == []
    assert image_xobjects(document) == []


def test_extra_stylesheets_go_through_the_fetcher():
    fetcher = pdf.RestrictedURLFetcher()
    content = pdf.render_pdf_from_string(
        "<p>Halo</p>", fetcher=fetcher, stylesheets=["fonts/fonts.css"]
    )
    open_pdf(content)
    assert fetcher.served[0] == pdf.static_url("fonts/fonts.css")
    assert fetcher.refused == []
    with pytest.raises(ValueError):
        pdf.render_pdf_from_string("<p>x</p>", stylesheets=["../pyproject.toml"])
    with pytest.raises(ValueError):
        pdf.render_pdf_from_string("<p>x</p>", stylesheets=["/etc/passwd"])


def test_only_a_restricted_fetcher_is_accepted():
    with pytest.raises(TypeError):
        pdf.render_pdf_from_string("<p>x</p>", fetcher=weasyprint.urls.URLFetcher())


# --- hostile markup in a template (what a careless template could contain) --------------------
HOSTILE = [
    ("img-file", '<img src="file:///etc/passwd">', "file:///etc/passwd", "/etc/passwd"),
    (
        "link-stylesheet-file",
        '<link rel="stylesheet" href="file:///etc/passwd">',
        "file:///etc/passwd",
        "/etc/passwd",
    ),
    (
        "link-attachment-file",
        '<link rel="attachment" href="file:///etc/hostname">',
        "file:///etc/hostname",
        "/etc/hostname",
    ),
    (
        "a-attachment-file",
        '<a rel="attachment" href="file:///etc/hostname">lampiran</a>',
        "file:///etc/hostname",
        "/etc/hostname",
    ),
    (
        "css-import-metadata",
        "<style>@import url(http://169.254.169.254/);</style>",
        "http://169.254.169.254/",
        None,
    ),
    (
        "css-url-loopback",
        '<div style="background: url(http://127.0.0.1:9/x.png); height: 1cm"></div>',
        "http://127.0.0.1:9/x.png",
        None,
    ),
    (
        "css-url-ftp",
        '<div style="background: url(ftp://x/y); height: 1cm"></div>',
        "ftp://x/y",
        None,
    ),
    (
        "font-face-local",
        '<style>@font-face { font-family: X; src: url("file:///etc/passwd") }</style>',
        "file:///etc/passwd",
        "/etc/passwd",
    ),
    (
        "img-file-other-host",
        '<img src="file://fileserver/etc/passwd">',
        "file://fileserver/etc/passwd",
        None,
    ),
    (
        "svg-data-image-nested-file",
        "<img src=\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' "
        "xmlns:xlink='http://www.w3.org/1999/xlink' width='10' height='10'>"
        "<image xlink:href='file:///etc/passwd' width='10' height='10'/></svg>\">",
        "file:///etc/passwd",
        "/etc/passwd",
    ),
]


@pytest.mark.parametrize(
    ("snippet", "refused_url", "target"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
def test_hostile_resources_are_refused_and_not_read(snippet, refused_url, target, opened, caplog):
    fetcher = pdf.RestrictedURLFetcher()
    with caplog.at_level(logging.WARNING, logger="services.letters.pdf"):
        content = pdf.render_pdf_from_string(
            letter_html(f"<p>Isi surat</p>{snippet}"), fetcher=fetcher
        )

    document = open_pdf(content)
    assert refused_url in fetcher.refused
    assert all(url.startswith(("data:", pdf.base_url())) for url in fetcher.served)
    assert any(
        r.name == "services.letters.pdf"
        and r.levelno == logging.WARNING
        and refused_url in r.getMessage()
        for r in caplog.records
    )
    if target:
        assert not was_opened(opened, target)
    assert len(document.attachments) == 0
    assert abs(page_width(document) - A4_WIDTH_PT) < 1


def test_dot_dot_out_of_static_is_refused(tmp_static, opened):
    secret = tmp_static.parent / "secret.css"
    climbing = [
        f"{pdf.base_url()}../secret.css",
        f"{pdf.base_url()}%2e%2e/secret.css",
        f"{pdf.base_url()}sub/../../secret.css",
    ]
    head = "".join(f'<link rel="stylesheet" href="{url}">' for url in climbing)
    # A relative '..' is resolved against the base URL before the fetcher sees it.
    head += '<link rel="stylesheet" href="../secret.css">'
    fetcher = pdf.RestrictedURLFetcher()
    content = pdf.render_pdf_from_string(
        f"<html><head>{head}</head><p>x</p></html>", fetcher=fetcher
    )

    for url in climbing:
        assert url in fetcher.refused
    assert secret.as_uri() in fetcher.refused
    assert fetcher.served == []
    assert not was_opened(opened, str(secret))
    assert abs(page_width(open_pdf(content)) - A4_WIDTH_PT) < 1


def test_symlink_out_of_static_is_refused(tmp_static, opened):
    outside = tmp_static.parent / "outside"
    (tmp_static / "evil.css").symlink_to(tmp_static.parent / "secret.css")
    (tmp_static / "linked").symlink_to(outside, target_is_directory=True)
    (tmp_static / "linked_ok.css").symlink_to(tmp_static / "ok.css")  # stays inside: fine
    html = (
        '<html><head><link rel="stylesheet" href="evil.css">'
        '<link rel="stylesheet" href="linked/leak.css">'
        '<link rel="stylesheet" href="linked_ok.css"></head><p>x</p></html>'
    )
    fetcher = pdf.RestrictedURLFetcher()
    content = pdf.render_pdf_from_string(html, fetcher=fetcher)

    assert fetcher.refused == [
        (tmp_static / "evil.css").as_uri(),
        (tmp_static / "linked" / "leak.css").as_uri(),
    ]
    assert fetcher.served == [(tmp_static / "ok.css").as_uri()]
    assert not was_opened(opened, str(tmp_static.parent / "secret.css"))
    assert not was_opened(opened, str(outside / "leak.css"))
    assert abs(page_width(open_pdf(content)) - A4_WIDTH_PT) < 1


def test_static_root_is_allowed_too(tmp_static, settings, tmp_path):
    collected = tmp_path / "collected"
    collected.mkdir()
    (collected / "c.css").write_text("p { color: red }")
    fetcher = pdf.RestrictedURLFetcher()
    response = fetcher.fetch((collected / "c.css").as_uri())
    assert response.content_type == "text/css"
    assert response.read() == b"p { color: red }"
    assert fetcher.refused == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "file:/etc/passwd",
        "file://localhost/etc/passwd",
        "file://127.0.0.1/etc/passwd",
        "file:etc/passwd",
        "file:///work/../etc/passwd",
        "file:///proc/self/environ",
        "http://127.0.0.1/",
        "HTTPS://example.org/x.css",
        "ftp://x/y",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "not-a-url",
    ],
)
def test_fetcher_refuses(url):
    fetcher = pdf.RestrictedURLFetcher()
    with pytest.raises(ValueError):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert fetcher.served == []


def test_fetcher_refuses_tricky_paths_inside_the_url():
    root = pdf.static_roots()[0]
    fetcher = pdf.RestrictedURLFetcher()
    for url in (
        Path(root).as_uri() + "/%2e%2e/pyproject.toml",
        Path(root).as_uri() + "/fonts/%00.css",
        Path(root).as_uri() + "/fonts/",  # a directory
        Path(root).as_uri() + "/fonts/missing.css",
        Path(root).as_uri() + "-evil/x.css",  # a sibling whose name starts like the root
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
        assert fetcher.refused[-1] == url
    assert fetcher.served == []


def test_fetcher_serves_static_files_and_data_urls():
    fetcher = pdf.RestrictedURLFetcher()
    css = fetcher.fetch(pdf.static_url("fonts/fonts.css") + "?v=1#x")
    assert css.content_type == "text/css"
    assert b"@font-face" in css.read()
    data = fetcher.fetch("data:text/plain;base64," + base64.b64encode(b"halo").decode())
    assert data.read() == b"halo"
    assert fetcher.refused == []


def test_fetcher_settings():
    fetcher = pdf.RestrictedURLFetcher()
    assert fetcher._allowed_protocols == {"file", "data"}
    assert fetcher._timeout == 3
    assert not any(isinstance(h, HTTPRedirectHandler) for h in fetcher.handlers)


# --- redirects: http is never even requested ----------------------------------------------------
@pytest.fixture
def redirect_server():
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            requests.append(self.path)
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_redirect_is_not_followed_because_http_is_never_fetched(redirect_server, opened):
    port, requests = redirect_server
    url = f"http://127.0.0.1:{port}/logo.png"
    css_url = f"http://127.0.0.1:{port}/style.css"
    fetcher = pdf.RestrictedURLFetcher()
    with pytest.raises(ValueError):
        fetcher.fetch(url)
    content = pdf.render_pdf_from_string(
        letter_html(f'<img src="{url}"><p>x</p>', head=f'<link rel="stylesheet" href="{css_url}">'),
        fetcher=fetcher,
    )

    open_pdf(content)
    assert fetcher.refused == [url, css_url, url]
    assert requests == []
    assert not was_opened(opened, "/etc/passwd")
    # The server does answer (so the zero above means something).
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    connection.request("GET", "/probe")
    assert connection.getresponse().status == 302
    connection.close()
    assert requests == ["/probe"]


# --- applicant text through an autoescaping template --------------------------------------------
APPLICANT_NAME = (
    '<img src="file:///etc/passwd"><link rel=attachment href="file:///etc/hostname">'
    "<style>@import url(http://127.0.0.1/);</style>"
)


def test_applicant_text_is_printed_literally():
    body = Template("<p>{{ name }}</p>").render(Context({"name": APPLICANT_NAME}))
    html = letter_html(body)
    fetcher = pdf.RestrictedURLFetcher()
    content = pdf.render_pdf_from_string(html, fetcher=fetcher)

    document = open_pdf(content)
    assert fetcher.refused == []  # the escaped markup never became a tag
    assert image_xobjects(document) == []
    assert len(document.attachments) == 0
    text, images = layout(html)
    assert images == []
    # Line breaks drop the spaces they fall on: compare without whitespace.
    assert "".join(text.split()) == "".join(APPLICANT_NAME.split())


def test_applicant_text_is_in_the_pdf_text_layer():
    pypdf = pytest.importorskip("pypdf")
    body = Template("<p>{{ name }}</p>").render(Context({"name": APPLICANT_NAME}))
    content = pdf.render_pdf_from_string(letter_html(body))
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    compact = "".join(text.split())
    assert '<imgsrc="file:///etc/passwd">' in compact
    assert "@importurl(http://127.0.0.1/);" in compact


# --- helpers ------------------------------------------------------------------------------------
def test_qr_svg_data_uri_is_an_svg():
    uri = pdf.qr_svg_data_uri("https://portal.example.id/v/AbCdEf123")
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    root = ET.fromstring(base64.b64decode(uri[len(prefix) :]))  # noqa: S314 (our own output)
    assert root.tag in ("svg", "{http://www.w3.org/2000/svg}svg")
    # Not a Micro QR even for a short text (phones cannot read those): version 1 is 21 modules,
    # at scale 4 with a border of 2 that is (21 + 4) * 4 = 100 px.
    short = pdf.qr_svg_data_uri("x")
    svg = ET.fromstring(base64.b64decode(short[len(prefix) :]))  # noqa: S314
    assert svg.get("width") == "100"


def test_image_data_uri():
    png = png_bytes()
    assert pdf.image_data_uri(png, "image/png") == (
        "data:image/png;base64," + base64.b64encode(png).decode()
    )
    # The bytes decide the type written in the URI.
    assert pdf.image_data_uri(png, "image/jpeg").startswith("data:image/png;base64,")
    for content_type in ("image/svg+xml", "text/html", "application/pdf"):
        with pytest.raises(ValueError):
            pdf.image_data_uri(b"<svg/>", content_type)
    with pytest.raises(ValueError):
        pdf.image_data_uri(b"<html>", "image/png")


def test_static_url_and_base_url():
    root = pdf.static_roots()[0]
    assert pdf.base_url() == Path(root).as_uri() + "/"
    assert pdf.static_url("fonts/fonts.css") == Path(root, "fonts", "fonts.css").as_uri()
    for bad in ("../pyproject.toml", "/etc/passwd", "file:///etc/passwd", "fonts/../../x"):
        with pytest.raises(ValueError):
            pdf.static_url(bad)


def test_font_configuration_is_reused_per_thread():
    first = pdf.font_config()
    assert pdf.font_config() is first
    pdf.render_pdf_from_string("<p>x</p>")
    assert pdf.font_config() is first
    other = []
    thread = threading.Thread(target=lambda: other.append(pdf.font_config()))
    thread.start()
    thread.join()
    assert other[0] is not first
