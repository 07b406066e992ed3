"""Check and normalise one uploaded document: a photo or scan a resident sent (often by WhatsApp).

Why: an upload is the easiest way into the portal. Django's ImageField accepts any format Pillow
knows and stores the bytes as sent, with the GPS position of the resident's home in the EXIF, a
``<script>`` in a JPEG comment or HTML appended after the image. So every file passes through
``clean_upload`` before anything is stored, independent of any model:

- the size is capped before reading and again on the bytes actually read;
- the real type comes from the content (magic bytes, then Pillow with an allow-list) and must agree
  with the extension of the name; iPhone HEIC photos get their own advice;
- images: the pixel count is checked before decoding (Pillow's decompression-bomb warning is an
  error here), the EXIF orientation is applied, and the picture is re-encoded as a fresh JPEG
  with no EXIF/GPS, comment, XMP or trailing data, at most ``UPLOAD_IMAGE_MAX_SIDE`` px, plus a
  thumbnail;
- PDFs are refused when encrypted, unreadable or too long, and otherwise written afresh with
  pikepdf (``_rewrite_pdf``): actions (OpenAction, AA, Launch, JavaScript, ``javascript:``
  links), embedded files, XFA and bytes after ``%%EOF`` are dropped, and the re-written file,
  checked again for active content, is what is stored.

Every refusal is an ``UploadRejected`` whose Indonesian message says what is wrong and what to
send instead. The original name is only cleaned for display: callers store files under a UUID.
"""

import hashlib
import io
import re
import struct
import unicodedata
import warnings
from dataclasses import dataclass

import pikepdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageFile, ImageOps

from services.documents import virus

MIB = 1024 * 1024
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
NAME_MAX_CHARS = 100
FALLBACK_NAME = "berkas"

# Brands of the ISO-BMFF `ftyp` box that iPhones and Android phones use for HEIC/HEIF photos.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
HEIF_EXTENSIONS = frozenset({"heic", "heif"})

# Dictionary keys and name values that make a PDF run code, act on opening, or carry other files.
PDF_ACTIVE_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/OpenAction",
        "/Launch",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/AA",
        "/RichMedia",
        "/XFA",
        "/SubmitForm",
        "/ImportData",
    }
)

SEND_INSTEAD = "Kirim foto (JPG/PNG) atau scan PDF."
MSG_EMPTY = "Berkas kosong (0 byte). " + SEND_INSTEAD
MSG_NOT_ALLOWED = "Berkas ini bukan foto JPG/PNG/WebP atau PDF. " + SEND_INSTEAD
MSG_HEIC = (
    "Foto iPhone berformat HEIC/HEIF belum bisa diterima. Kirim sebagai JPG: di iPhone buka "
    'Pengaturan > Kamera > Format dan pilih "Paling Kompatibel", lalu foto ulang, '
    "atau kirim tangkapan layar (screenshot) fotonya."
)
MSG_CORRUPT_IMAGE = "Foto rusak atau terpotong; kirim ulang fotonya."
MSG_CORRUPT_PDF = "PDF rusak atau tidak bisa dibuka; kirim ulang scan PDF-nya atau kirim foto."
MSG_EMPTY_PDF = "PDF ini tidak berisi halaman; kirim ulang scan PDF-nya atau kirim foto."
MSG_ENCRYPTED_PDF = (
    "PDF ini dikunci dengan kata sandi (terenkripsi). "
    "Cetak ulang ke PDF tanpa kata sandi atau kirim foto dokumennya."
)
MSG_ACTIVE_PDF = (
    "PDF berisi skrip atau lampiran tersembunyi; cetak ulang ke PDF biasa atau kirim foto."
)


class UploadRejected(ValidationError):
    """An uploaded file that cannot be accepted; the message tells the resident what to send."""


@dataclass(frozen=True)
class CleanFile:
    content: bytes  # the bytes to store: re-encoded JPEG for images, re-written PDF for PDFs
    extension: str  # "jpg" or "pdf"
    content_type: str  # "image/jpeg" or "application/pdf"
    sha256: str  # hex SHA-256 of `content`
    thumbnail: bytes | None  # small JPEG (longest side <= 320 px) for images; None for PDFs
    original_name: str  # display-safe original name; never used on the filesystem
    width: int | None
    height: int | None


@dataclass(frozen=True)
class _Kind:
    label: str  # how the message names the content
    extensions: tuple[str, ...]  # accepted name extensions, lower case
    pillow_format: str | None  # the only format Pillow may open it as; None for PDF


JPEG = _Kind("foto JPG", ("jpg", "jpeg"), "JPEG")
PNG = _Kind("gambar PNG", ("png",), "PNG")
WEBP = _Kind("gambar WebP", ("webp",), "WEBP")
PDF = _Kind("PDF", ("pdf",), None)


@dataclass(frozen=True)
class Inspected:
    """An upload whose size, type, name and pixel count passed, not yet decoded.

    Cheap to make (the bytes, the magic number and the image header only), so a form can
    check every file of a request, and the request's budget, before any decode.
    """

    data: bytes  # the bytes as sent (at most UPLOAD_MAX_BYTES)
    name: str  # display-safe original name
    kind: _Kind
    pixels: int  # width × height from the header; 0 for a PDF

    @property
    def is_image(self) -> bool:
        return self.kind is not PDF


def clean_upload(uploaded: UploadedFile) -> CleanFile:
    """Validate one uploaded file and return what may be stored; raise UploadRejected otherwise."""
    return clean_inspected(inspect_upload(uploaded))


def inspect_upload(uploaded: UploadedFile) -> Inspected:
    """The checks that decode nothing: size, type from the content, extension, header size."""
    return inspect_bytes(_read_capped(uploaded), uploaded.name)


def inspect_bytes(data: bytes, raw_name: str | None) -> Inspected:
    name = display_name(raw_name)
    if len(data) > _max_bytes():
        raise _too_big(_max_bytes())
    if not data:
        raise UploadRejected(MSG_EMPTY, code="empty")
    extension = _extension(name)
    kind = _detect_kind(data, extension)
    _require_matching_extension(kind, extension)
    pixels = 0 if kind is PDF else _header_pixels(data, kind)
    return Inspected(data=data, name=name, kind=kind, pixels=pixels)


def clean_inspected(inspected: Inspected) -> CleanFile:
    """The expensive part: the virus scan (when configured), then decode and re-encode an
    image, or parse and re-write a PDF."""
    if refused := virus.refusal(inspected.data):
        message, code = refused
        raise UploadRejected(message, code=code)
    if inspected.kind is PDF:
        return _clean_pdf(inspected.data, inspected.name)
    return _clean_image(inspected.data, inspected.kind, inspected.name)


# Settings (read on every call, so tests and deployments can change them) ----------------------


def _max_bytes() -> int:
    return getattr(settings, "UPLOAD_MAX_BYTES", 10 * MIB)


def _max_pixels() -> int:
    return getattr(settings, "UPLOAD_MAX_PIXELS", 40_000_000)


def _max_side() -> int:
    return getattr(settings, "UPLOAD_IMAGE_MAX_SIDE", 2000)


def _max_pdf_pages() -> int:
    return getattr(settings, "UPLOAD_MAX_PDF_PAGES", 20)


# Name, size and type -------------------------------------------------------------------------


def display_name(raw: str | None) -> str:
    """The base name without directories or control characters, at most 100 chars, never empty."""
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    name = re.split(r"[/\\]", text)[-1].strip()
    if name in ("", ".", ".."):
        return FALLBACK_NAME
    return _truncate_keeping_extension(name, NAME_MAX_CHARS)


def _truncate_keeping_extension(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) < 10:
        return stem[: limit - len(extension) - 1] + "." + extension
    return name[:limit]


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def _read_capped(uploaded: UploadedFile) -> bytes:
    cap = _max_bytes()
    if uploaded.size is not None and uploaded.size > cap:
        raise _too_big(cap)
    uploaded.seek(0)
    data = uploaded.read(cap + 1)
    if len(data) > cap:
        raise _too_big(cap)
    if not data:
        raise UploadRejected(MSG_EMPTY, code="empty")
    return data


def _detect_kind(data: bytes, extension: str) -> _Kind:
    if _is_heif(data) or extension in HEIF_EXTENSIONS:
        raise UploadRejected(MSG_HEIC, code="heic")
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    raise UploadRejected(MSG_NOT_ALLOWED, code="wrong_type")


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS


def _require_matching_extension(kind: _Kind, extension: str) -> None:
    if extension in kind.extensions:
        return
    shown = f"berakhiran .{extension}" if extension else "tidak berakhiran .jpg/.png/.webp/.pdf"
    raise UploadRejected(
        f"Isi berkas ini {kind.label}, tetapi namanya {shown}. "
        f"Kirim berkas aslinya tanpa mengganti nama. {SEND_INSTEAD}",
        code="extension_mismatch",
    )


def _too_big(cap: int) -> UploadRejected:
    return UploadRejected(
        f"Berkas terlalu besar; ukuran maksimal {_size_label(cap)}. "
        "Kecilkan fotonya atau scan dengan resolusi lebih rendah.",
        code="too_big",
    )


def _size_label(n_bytes: int) -> str:
    if n_bytes < MIB:
        return f"{max(1, n_bytes // 1024)} KB"
    return f"{_decimal(n_bytes / MIB)} MB"


def _decimal(value: float) -> str:
    """1 decimal at most, Indonesian style: 10.0 -> "10", 2.5 -> "2,5"."""
    return f"{value:.1f}".removesuffix(".0").replace(".", ",")


# Images --------------------------------------------------------------------------------------


def _clean_image(data: bytes, kind: _Kind, name: str) -> CleanFile:
    image = _decode_image(data, kind)
    content = _encode_jpeg(image, JPEG_QUALITY)
    # A box reduction then bicubic: as sharp as Lanczos at 320 px, without copying the
    # full-size image first (measured in `make bench`).
    thumbnail = image.resize(
        _fit(image.size, THUMBNAIL_SIDE), Image.Resampling.BICUBIC, reducing_gap=2.0
    )
    return CleanFile(
        content=content,
        extension="jpg",
        content_type="image/jpeg",
        sha256=hashlib.sha256(content).hexdigest(),
        thumbnail=_encode_jpeg(thumbnail, THUMBNAIL_QUALITY),
        original_name=name,
        width=image.width,
        height=image.height,
    )


def _header_pixels(data: bytes, kind: _Kind) -> int:
    """Width × height read from the header (``Image.open`` decodes no pixel data)."""
    max_pixels = _max_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind.pillow_format]) as image:
                _check_pixels(image.size, max_pixels)
                return image.width * image.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise UploadRejected(MSG_CORRUPT_IMAGE, code="corrupt") from exc


def _decode_image(data: bytes, kind: _Kind) -> Image.Image:
    """Decode to an upright RGB image within the size limit; refuse bombs and damaged files."""
    assert kind.pillow_format is not None
    max_pixels, max_side = _max_pixels(), _max_side()
    # WeasyPrint switches Pillow's process-wide LOAD_TRUNCATED_IMAGES on when imported; a
    # document must never be accepted half-decoded, so insist on the strict default.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind.pillow_format]) as image:
                _check_pixels(image.size, max_pixels)
                if image.format == "JPEG":
                    image.draft("RGB", _fit(image.size, max_side))  # decoder scales down first
                image.load()
                ImageOps.exif_transpose(image, in_place=True)
                if image.mode in ("L", "RGB") and "transparency" not in image.info:
                    # Resample before converting: a grey scan costs a third (one channel).
                    return _flatten_to_rgb(_shrink(image, max_side))
                return _shrink(_flatten_to_rgb(image), max_side)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        # UnidentifiedImageError and "image file is truncated" are OSErrors.
        raise UploadRejected(MSG_CORRUPT_IMAGE, code="corrupt") from exc


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels, size)


def _too_many_pixels(max_pixels: int, size: tuple[int, int] | None = None) -> UploadRejected:
    actual = f" ({size[0]}×{size[1]} piksel)" if size else ""
    return UploadRejected(
        f"Resolusi foto terlalu besar{actual}; maksimal {_decimal(max_pixels / 1_000_000)} juta "
        "piksel. Kirim foto dengan resolusi lebih kecil atau tangkapan layar.",
        code="too_many_pixels",
    )


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The size scaled down (never up) so that the longest side is at most max_side."""
    width, height = size
    longest = max(width, height)
    if longest <= max_side:
        return size
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """RGB copy of the image; transparent areas become white (as on paper)."""
    if image.mode.startswith("I"):  # 16-bit grey (scanners): convert("RGB") would clip to white
        return image.convert("I").point(lambda value: value / 256).convert("RGB")
    if not image.has_transparency_data:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _shrink(image: Image.Image, max_side: int) -> Image.Image:
    size = _fit(image.size, max_side)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """A fresh JPEG with no EXIF, comment, XMP or ICC profile carried over from the source."""
    image.info = {}  # Pillow re-emits info["comment"] (a COM marker) unless told otherwise
    out = io.BytesIO()
    image.save(
        out,
        format="JPEG",
        quality=quality,
        optimize=False,
        progressive=False,  # progressive costs ~45 ms more per 3 MP (two-pass Huffman)
        exif=b"",
        comment=b"",
        icc_profile=None,
        xmp=None,
    )
    return out.getvalue()


# PDFs ----------------------------------------------------------------------------------------


def _clean_pdf(data: bytes, name: str) -> CleanFile:
    content = _rewrite_pdf(data)
    return CleanFile(
        content=content,
        extension="pdf",
        content_type="application/pdf",
        sha256=hashlib.sha256(content).hexdigest(),
        thumbnail=None,
        original_name=name,
        width=None,
        height=None,
    )


def _rewrite_pdf(data: bytes) -> bytes:
    """The PDF written afresh by qpdf without anything that acts, runs or carries files.

    Writing anew keeps only the objects the current document reaches: bytes after ``%%EOF``,
    earlier revisions (incremental updates) and orphaned objects are gone. Before writing,
    ``_strip_active`` removes open and additional actions, every action but an internal jump
    or an http(s)/mailto link (so ``javascript:`` URIs, Launch, SubmitForm…), document
    JavaScript, embedded files and XFA. The written file is then checked again: anything
    active left (a construct the stripping does not know) refuses the file.
    """
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise UploadRejected(MSG_ENCRYPTED_PDF, code="pdf_encrypted") from exc
    except pikepdf.PdfError as exc:
        raise UploadRejected(MSG_CORRUPT_PDF, code="corrupt") from exc
    with pdf:
        if pdf.is_encrypted:
            raise UploadRejected(MSG_ENCRYPTED_PDF, code="pdf_encrypted")
        try:
            _check_page_count(len(pdf.pages))
            _strip_active(pdf)
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True)
        except pikepdf.PdfError as exc:
            raise UploadRejected(MSG_CORRUPT_PDF, code="corrupt") from exc
    content = out.getvalue()
    with pikepdf.open(io.BytesIO(content)) as written:
        if _has_active_content(written):
            raise UploadRejected(MSG_ACTIVE_PDF, code="pdf_active_content")
    return content


# Keys whose value acts or carries a file wherever they appear: additional actions (/AA: on
# page open, on focus…), scripts, the embedded-files and JavaScript name trees, the embedded
# stream of a file specification (/EF), XFA forms, rich media content.
PDF_DROPPED_KEYS = frozenset(
    {"/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent"}
)
PDF_ACTION_KEYS = frozenset({"/A", "/Next", "/OpenAction"})
SAFE_URI_SCHEMES = ("http://", "https://", "mailto:")


def _strip_active(pdf: pikepdf.Pdf) -> None:
    """Remove, in place, every key of every dictionary that acts or carries a file."""
    stack: list[object] = list(pdf.objects)
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            for key in list(obj.keys()):
                value = obj[key]
                if key in PDF_DROPPED_KEYS or (
                    key in PDF_ACTION_KEYS and not _is_harmless_action(key, value)
                ):
                    del obj[key]
                else:
                    stack.extend(_direct(value))
        elif isinstance(obj, pikepdf.Array):
            for item in obj:
                stack.extend(_direct(item))


def _is_harmless_action(key: str, value: object) -> bool:
    """A destination, a jump inside the document, or a link to a web page or email address."""
    if key == "/OpenAction":  # on opening, only setting the initial view is harmless
        return _is_view_destination(key, value)
    if not isinstance(value, pikepdf.Dictionary):
        return False
    kind = value.get("/S")
    if kind == pikepdf.Name.GoTo and "/Next" not in value:
        return True
    if kind == pikepdf.Name.URI and "/Next" not in value:
        uri = "".join(ch for ch in str(value.get("/URI", "")) if ch.isprintable()).strip()
        return uri.lower().startswith(SAFE_URI_SCHEMES)
    return False


def _check_page_count(pages: int) -> None:
    cap = _max_pdf_pages()
    if pages == 0:
        raise UploadRejected(MSG_EMPTY_PDF, code="pdf_empty")
    if pages > cap:
        raise UploadRejected(
            f"PDF terlalu banyak halaman ({pages}); maksimal {cap} halaman. "
            "Kirim hanya halaman dokumen yang diminta.",
            code="pdf_too_many_pages",
        )


def _has_active_content(pdf: pikepdf.Pdf) -> bool:
    """True when any object (object streams included) names an action, script or attachment.

    Walks every indirect object and the direct objects nested in it; indirect children are not
    followed because they are in ``pdf.objects`` themselves. An /OpenAction that is only a
    destination (``[page /Fit]``, written by LibreOffice and PDF editors for the initial view)
    runs nothing and is allowed; an /OpenAction action dictionary is not.
    """
    stack: list[object] = list(pdf.objects)
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Name):
            if str(obj) in PDF_ACTIVE_NAMES:
                return True
        elif isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            for key, value in obj.items():
                if key in PDF_ACTIVE_NAMES and not _is_view_destination(key, value):
                    return True
                if key in PDF_ACTION_KEYS and not _is_harmless_action(key, value):
                    return True  # e.g. a link to a javascript: or file: URI
                stack.extend(_direct(value))
        elif isinstance(obj, pikepdf.Array):
            for item in obj:
                stack.extend(_direct(item))
    return False


def _is_view_destination(key: str, value: object) -> bool:
    return key == "/OpenAction" and isinstance(value, pikepdf.Array)


def _direct(value: object) -> list[object]:
    """[value] when it is a direct PDF object worth walking into, else []."""
    if isinstance(value, pikepdf.Object) and not value.is_indirect:
        return [value]
    return []
