"""The one way to make a PDF: letters, the digital RT cover letter, the archive cover sheet.

Everything WeasyPrint loads (stylesheets, @import, fonts, images, attachments, SVG
sub-resources) goes through one :class:`RestrictedURLFetcher`, which serves only

* ``data:`` URLs (the QR code, the office logo, document images: all in memory), and
* ``file:`` URLs whose real path lies inside a static root (``STATICFILES_DIRS``, ``STATIC_ROOT``).

Anything else (``http(s):``, ``ftp:``, ``file:///etc/passwd``, ``..`` or a symlink out of the
static root, another host) raises ``ValueError``; WeasyPrint then skips that resource and the PDF
still renders. Templates must never mark applicant text safe: autoescaping is what keeps user
text from becoming markup in the first place; this fetcher is the second line.

Fonts are bundled under ``static/fonts/`` (``fonts/fonts.css``: "Liberation Serif",
"DejaVu Sans"), so a PDF looks the same on every machine.
"""

from __future__ import annotations

import base64
import io
import logging
import mimetypes
import os
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import UNICODE_SCHEME_RE, URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

FETCH_TIMEOUT = 3  # seconds; only data: and local files are ever opened, so this is a backstop
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_LOG_URL_CHARS = 200


def _short(url: str) -> str:
    return url if len(url) <= _LOG_URL_CHARS else url[:_LOG_URL_CHARS] + "…"


def static_roots() -> tuple[str, ...]:
    """Real paths of the folders PDFs may read from: STATICFILES_DIRS entries, then STATIC_ROOT."""
    roots: list[str] = []
    for entry in getattr(settings, "STATICFILES_DIRS", ()):
        # An entry may be a (prefix, path) pair.
        path = entry[1] if isinstance(entry, (tuple, list)) else entry
        roots.append(os.path.realpath(path))
    static_root = getattr(settings, "STATIC_ROOT", None)
    if static_root:
        roots.append(os.path.realpath(static_root))
    return tuple(dict.fromkeys(roots))


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False


def _first_root() -> str:
    """The static root relative URLs in a template resolve against (the first that exists)."""
    roots = static_roots()
    if not roots:
        raise RuntimeError("PDF rendering needs STATICFILES_DIRS or STATIC_ROOT")
    return next((root for root in roots if os.path.isdir(root)), roots[0])


def base_url() -> str:
    """File URL of the first static root, ending with '/'."""
    url = Path(_first_root()).as_uri()
    return url if url.endswith("/") else url + "/"


def static_url(path: str) -> str:
    """File URL of ``path`` (relative, e.g. ``"fonts/fonts.css"``) inside the first static root."""
    if os.path.isabs(path) or urlsplit(path).scheme:
        raise ValueError(f"static_url() takes a path relative to the static root: {path!r}")
    root = _first_root()
    target = os.path.realpath(os.path.join(root, path))
    if not _inside(target, root):
        raise ValueError(f"{path!r} is outside the static root")
    return Path(target).as_uri()


class RestrictedURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that reads only static files and ``data:`` URLs.

    ``refused`` lists every URL it turned down (each also logged at WARNING); ``served`` lists
    what it did serve (static files as their real-path URL, data: URLs cut to their header).
    One instance per document: the lists are per render.
    """

    def __init__(self, *, timeout: float = FETCH_TIMEOUT, roots: Iterable[str] | None = None):
        super().__init__(
            timeout=timeout,
            allowed_protocols={"file", "data"},
            allow_redirects=False,
            fail_on_errors=False,
        )
        self.roots: tuple[str, ...] = (
            static_roots() if roots is None else tuple(os.path.realpath(r) for r in roots)
        )
        self.refused: list[str] = []
        self.served: list[str] = []

    def _refuse(self, url: str, reason: str):
        self.refused.append(url)
        logger.warning("PDF fetcher refused %s: %s", _short(url), reason)
        return ValueError(f"PDF fetcher refused {_short(url)}: {reason}")

    def fetch(self, url, headers=None):
        match = UNICODE_SCHEME_RE.match(url) if isinstance(url, str) else None
        if not match:
            raise self._refuse(str(url), "not an absolute URL")
        scheme = match[1].lower()
        if scheme == "data":
            response = super().fetch(url, headers)
            self.served.append(url[: url.find(",") + 1] + "…")
            return response
        if scheme == "file":
            return self._fetch_file(url)
        raise self._refuse(url, f"protocol {scheme!r} is not allowed")

    def _fetch_file(self, url: str) -> URLFetcherResponse:
        # The file is opened here, from the path that was checked, never by urllib.
        try:
            parts = urlsplit(url)
            path = url2pathname(parts.path)
            real = os.path.realpath(path) if os.path.isabs(path) else ""
        except ValueError as error:  # malformed URL, NUL byte in the path, ...
            raise self._refuse(url, f"bad file URL ({error})") from None
        if parts.netloc.lower() not in ("", "localhost"):
            raise self._refuse(url, "file URL names another host")
        if not real:
            raise self._refuse(url, "file URL is not absolute")
        if not any(_inside(real, root) for root in self.roots):
            raise self._refuse(url, "outside the static roots")
        if not os.path.isfile(real):
            raise self._refuse(url, "not a regular file")
        with open(real, "rb") as f:
            content = f.read()
        content_type = mimetypes.guess_type(real)[0] or "application/octet-stream"
        real_url = Path(real).as_uri()
        self.served.append(real_url)
        # The response URL is the checked real path: WeasyPrint resolves relative URLs in a
        # stylesheet against it and may re-read a raster image lazily from it.
        return URLFetcherResponse(real_url, content, {"Content-Type": content_type})


_local = threading.local()


def font_config() -> FontConfiguration:
    """The FontConfiguration reused by every render in this thread.

    Building one costs tens of milliseconds; reusing it keeps the @font-face files loaded once.
    It is not read-only (WeasyPrint adds each new @font-face to it and keeps layout caches in
    it), so it is kept per thread rather than shared by threads of one process.
    """
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


# The render guard of letters and bundles (SECURITY.md F41): a demo letter is ~5 kB of HTML,
# 2.4-2.8 kB without its data: URIs; the archive bundle's cover sheet a few times that.
# 2,000,000 characters of address made 1,277 pages in 102 s, so 100,000 characters (~60
# pages, a few seconds) is refused before WeasyPrint starts; embedded images (data: URIs:
# the logo, the QR code, the bundle's photos) are not text and do not count. The job timeout
# (Q_CLUSTER["timeout"]) still stops anything else.
PDF_MAX_HTML_CHARS = 100_000
DATA_URI = re.compile(r"data:[^\s\"')]*")


class LetterTooLarge(ValueError):
    """The document's text is over the render guard: nothing was rendered."""


def check_html_size(html: str, limit: int = PDF_MAX_HTML_CHARS) -> None:
    size = len(DATA_URI.sub("", html))
    if size > limit:
        raise LetterTooLarge(
            f"Isi dokumen terlalu panjang untuk dicetak: {size:,} karakter, paling banyak "
            f"{limit:,}. Periksa data yang dicetak (alamat, isi surat, kop).".replace(",", ".")
        )


def render_pdf_from_string(
    html: str,
    *,
    fetcher: RestrictedURLFetcher | None = None,
    stylesheets: Sequence[str] = (),
    max_html_chars: int | None = None,
) -> bytes:
    """Render an HTML string to PDF bytes; relative URLs resolve inside the first static root.

    ``stylesheets`` are extra static-relative paths (e.g. ``"letters/letter.css"``); they are
    loaded through the same fetcher as everything else. ``max_html_chars`` (letters and
    bundles pass PDF_MAX_HTML_CHARS) refuses a longer document before WeasyPrint starts.
    """
    if max_html_chars is not None:
        check_html_size(html, max_html_chars)
    if fetcher is None:
        fetcher = RestrictedURLFetcher()
    elif not isinstance(fetcher, RestrictedURLFetcher):
        raise TypeError("render_pdf needs a RestrictedURLFetcher")
    fonts = font_config()
    css = [
        weasyprint.CSS(url=static_url(path), url_fetcher=fetcher, font_config=fonts)
        for path in stylesheets
    ]
    document = weasyprint.HTML(string=html, base_url=base_url(), url_fetcher=fetcher)
    return document.write_pdf(stylesheets=css, font_config=fonts, presentational_hints=False)


def render_pdf(
    template_name: str,
    context: dict,
    *,
    fetcher: RestrictedURLFetcher | None = None,
    stylesheets: Sequence[str] = (),
    max_html_chars: int | None = None,
) -> bytes:
    """Render a Django template (autoescaped) to PDF bytes."""
    html = render_to_string(template_name, context)
    return render_pdf_from_string(
        html, fetcher=fetcher, stylesheets=stylesheets, max_html_chars=max_html_chars
    )


def qr_svg_data_uri(url: str) -> str:
    """A QR code (never a Micro QR) of ``url`` as an SVG data: URI for an <img src>."""
    qr = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _sniff_image(content: bytes) -> str | None:
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_data_uri(content: bytes, content_type: str) -> str:
    """A raster image (PNG, JPEG, GIF, WebP) as a data: URI, e.g. the office logo.

    The bytes decide the media type written in the URI; a declared type outside the allow-list
    (SVG, HTML, PDF, ...) or bytes that are no such image raise ValueError.
    """
    declared = content_type.split(";", 1)[0].strip().lower()
    if declared == "image/jpg":
        declared = "image/jpeg"
    if declared not in IMAGE_TYPES:
        raise ValueError(f"not an image type a PDF may embed: {content_type!r}")
    actual = _sniff_image(content)
    if actual is None:
        raise ValueError("content is not a PNG, JPEG, GIF or WebP image")
    return f"data:{actual};base64," + base64.b64encode(content).decode("ascii")
