"""services.documents.cleaning: what a resident's photo or scan must pass before it is stored.

Every test file is built in memory (Pillow, pikepdf, a hand-made PNG); no database is needed.
"""

import hashlib
import importlib
import io
import math
import os
import struct
import zlib

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from services.documents.cleaning import CleanFile, UploadRejected, clean_upload, display_name

MIB = 1024 * 1024
ORIENTATION = 0x0112
GPS_IFD = 0x8825
# Markers a clean baseline JPEG may carry before the scan: SOI's successors APP0 (JFIF),
# DQT, SOF0, DHT, DRI and SOS. No APP1 (EXIF/XMP), APP2 (ICC) or COM.
CLEAN_JPEG_MARKERS = {0xE0, 0xDB, 0xC0, 0xC4, 0xDD, 0xDA}
UPLOAD_SETTINGS = (
    "UPLOAD_MAX_BYTES",
    "UPLOAD_MAX_PIXELS",
    "UPLOAD_IMAGE_MAX_SIDE",
    "UPLOAD_MAX_PDF_PAGES",
)


@pytest.fixture(autouse=True)
def _documented_defaults(settings):
    """Test the defaults of services.documents.cleaning, whatever the project settings choose."""
    for name in UPLOAD_SETTINGS:
        if hasattr(settings, name):
            delattr(settings, name)


# Builders --------------------------------------------------------------------------------------


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def image_bytes(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg(size=(64, 48), color="teal", **params) -> bytes:
    return image_bytes(Image.new("RGB", size, color), "JPEG", **params)


def png(size=(64, 48), color="teal", mode="RGB") -> bytes:
    return image_bytes(Image.new(mode, size, color), "PNG")


def tall_png_without_pixels(side: int) -> bytes:
    """A real, valid 1-bit PNG of side×side pixels that weighs only a few kB."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pdf(pages: int = 1, edit=None, **save_params) -> bytes:
    document = pikepdf.new()
    for _ in range(pages):
        document.add_blank_page(page_size=(595, 842))
    if edit:
        edit(document)
    out = io.BytesIO()
    document.save(out, **save_params)
    return out.getvalue()


def jpeg_markers(data: bytes) -> set[int]:
    """The marker codes between SOI and the start of the image data (SOS)."""
    assert data[:2] == b"\xff\xd8"
    markers, position = set(), 2
    while True:
        marker = data[position + 1]
        markers.add(marker)
        if marker == 0xDA:
            return markers
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length


def rejection(name: str, data: bytes) -> str:
    with pytest.raises(UploadRejected) as caught:
        clean_upload(upload(name, data))
    return " ".join(caught.value.messages)


def opened(result: CleanFile) -> Image.Image:
    return Image.open(io.BytesIO(result.content))


# Photos ----------------------------------------------------------------------------------------


def test_a_photo_with_gps_and_orientation_6_is_stored_upright_as_jpeg_without_any_exif():
    sideways = Image.new("RGB", (400, 200), "red")
    sideways.paste("blue", (200, 0, 400, 200))  # stored left red, right blue
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # display rotated 90° clockwise: the red half ends on top
    exif[ExifTags.IFD.GPSInfo] = {1: "S", 2: (2.0, 58.0, 30.0), 3: "E", 4: (104.0, 45.0, 10.0)}
    source = image_bytes(sideways, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)  # the test photo has GPS

    result = clean_upload(upload("ktp.jpg", source))

    stored = opened(result)
    assert stored.format == "JPEG"
    assert (result.width, result.height) == stored.size == (200, 400)
    assert len(stored.getexif()) == 0
    assert "exif" not in stored.info
    assert b"Exif" not in result.content
    assert jpeg_markers(result.content) <= CLEAN_JPEG_MARKERS
    red, green, blue = stored.convert("RGB").getpixel((100, 50))
    assert red > 200 and blue < 60
    assert (result.extension, result.content_type) == ("jpg", "image/jpeg")


def test_a_script_in_the_jpeg_comment_is_not_stored():
    source = jpeg(comment=b"<script>alert(document.cookie)</script>")
    assert b"<script>" in source

    result = clean_upload(upload("foto.jpg", source))

    assert b"<script>" not in result.content
    assert 0xFE not in jpeg_markers(result.content)  # no COM marker at all
    assert "comment" not in opened(result).info


def test_html_appended_after_a_png_is_dropped_by_re_encoding():
    polyglot = png() + b"<html><script>alert(1)</script></html>"

    result = clean_upload(upload("foto.png", polyglot))

    assert b"<script>" not in result.content
    assert opened(result).format == "JPEG"


def test_a_png_with_transparency_becomes_a_jpeg_on_white():
    source = png(size=(80, 60), color=(255, 0, 0, 0), mode="RGBA")  # fully transparent

    result = clean_upload(upload("tanda-tangan.png", source))

    stored = opened(result)
    assert stored.format == "JPEG" and stored.mode == "RGB"
    assert min(stored.getpixel((40, 30))) > 245
    assert result.extension == "jpg"


def test_a_16_bit_grey_scan_keeps_its_grey_instead_of_turning_white():
    source = image_bytes(Image.new("I;16", (40, 30), 30000), "PNG")

    result = clean_upload(upload("scan.png", source))

    assert 100 < opened(result).getpixel((20, 15))[0] < 135


def test_a_webp_photo_is_accepted_and_stored_as_jpeg():
    result = clean_upload(upload("foto.webp", image_bytes(Image.new("RGB", (64, 48)), "WEBP")))

    assert opened(result).format == "JPEG"
    assert (result.width, result.height) == (64, 48)


@pytest.mark.parametrize("fmt, name", [("JPEG", "kk.jpg"), ("PNG", "kk.png")])
def test_a_large_photo_is_downscaled_to_2000_px_on_its_longest_side(fmt, name):
    source = image_bytes(Image.new("RGB", (4000, 3000), "navy"), fmt)

    result = clean_upload(upload(name, source))

    assert (result.width, result.height) == opened(result).size == (2000, 1500)


def test_the_longest_side_follows_the_setting(settings):
    settings.UPLOAD_IMAGE_MAX_SIDE = 500

    result = clean_upload(upload("kk.jpg", jpeg(size=(1000, 800))))

    assert (result.width, result.height) == (500, 400)


def test_a_small_photo_is_not_enlarged():
    result = clean_upload(upload("pasfoto.jpg", jpeg(size=(300, 400))))

    assert (result.width, result.height) == (300, 400)


def test_the_thumbnail_is_a_jpeg_of_at_most_320_px():
    result = clean_upload(upload("kk.jpg", jpeg(size=(4000, 3000))))

    thumbnail = Image.open(io.BytesIO(result.thumbnail))
    assert thumbnail.format == "JPEG"
    assert max(thumbnail.size) == 320
    assert jpeg_markers(result.thumbnail) <= CLEAN_JPEG_MARKERS


def test_the_sha256_is_that_of_the_stored_bytes():
    result = clean_upload(upload("foto.jpg", jpeg()))

    assert result.sha256 == hashlib.sha256(result.content).hexdigest()


def test_upper_case_and_jpeg_extensions_are_accepted():
    assert clean_upload(upload("FOTO.JPG", jpeg())).extension == "jpg"
    assert clean_upload(upload("foto.jpeg", jpeg())).extension == "jpg"


def test_a_file_already_read_by_the_form_is_read_again_from_the_start():
    uploaded = upload("foto.jpg", jpeg())
    uploaded.read()

    assert clean_upload(uploaded).width == 64


def test_a_truncated_photo_is_refused_as_damaged():
    whole = jpeg(size=(800, 600), color="orange", quality=95)
    message = rejection("foto.jpg", whole[: len(whole) // 2])

    assert "rusak atau terpotong" in message


def test_bytes_that_only_start_like_a_png_are_refused_as_damaged():
    assert "rusak" in rejection("foto.png", b"\x89PNG\r\n\x1a\n" + b"bukan gambar" * 10)


# Decompression bombs ---------------------------------------------------------------------------


def test_a_20000_by_20000_png_is_refused_before_decoding():
    bomb = tall_png_without_pixels(20_000)
    assert len(bomb) < 200_000  # a small file that would need 400 million pixels

    message = rejection("bom.png", bomb)

    assert "Resolusi foto terlalu besar" in message
    assert "40 juta piksel" in message


def test_more_pixels_than_the_setting_are_refused_with_the_size_and_the_limit(settings):
    settings.UPLOAD_MAX_PIXELS = 1_000_000

    message = rejection("foto.png", png(size=(1200, 1000)))

    assert "1200×1000 piksel" in message
    assert "maksimal 1 juta piksel" in message


def test_the_project_pixel_limit_refuses_an_image_that_pillow_alone_would_decode(settings):
    # The deployed value, as the settings module has it (the fixture above removed it).
    project = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    limit = project.UPLOAD_MAX_PIXELS
    settings.UPLOAD_MAX_PIXELS = limit
    assert isinstance(limit, int) and 0 < limit < Image.MAX_IMAGE_PIXELS, (
        f"UPLOAD_MAX_PIXELS={limit!r}: without a limit below Pillow's own warning "
        f"({Image.MAX_IMAGE_PIXELS:,} px) the portal decodes images of any size up to it"
    )
    side = math.isqrt(limit) + 1  # just above the limit, well below Pillow's guard

    message = rejection("foto.png", tall_png_without_pixels(side))

    assert f"Resolusi foto terlalu besar ({side}×{side} piksel)" in message


def test_pillows_decompression_bomb_warning_is_an_error_even_under_a_higher_setting(settings):
    settings.UPLOAD_MAX_PIXELS = 200_000_000  # our own check lets 100 Mpx through
    assert Image.MAX_IMAGE_PIXELS < 10_000 * 10_000 < 2 * Image.MAX_IMAGE_PIXELS  # only a warning

    message = rejection("bom.png", tall_png_without_pixels(10_000))

    assert "Resolusi foto terlalu besar" in message


# Types and extensions --------------------------------------------------------------------------


def test_a_png_renamed_to_pdf_is_refused_saying_what_it_really_is():
    message = rejection("surat.pdf", png())

    assert "gambar PNG" in message
    assert ".pdf" in message
    assert "Kirim foto (JPG/PNG) atau scan PDF" in message


def test_a_pdf_renamed_to_jpg_is_refused():
    message = rejection("ktp.jpg", pdf())

    assert "Isi berkas ini PDF" in message and ".jpg" in message


def test_a_photo_without_an_extension_is_refused():
    assert "tidak berakhiran" in rejection("foto", jpeg())


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"<!DOCTYPE html><html><script>alert(1)</script></html>", id="html"),
        pytest.param(image_bytes(Image.new("RGB", (8, 8)), "GIF"), id="gif"),
        pytest.param(image_bytes(Image.new("RGB", (8, 8)), "TIFF"), id="tiff"),
        pytest.param(image_bytes(Image.new("RGB", (8, 8)), "BMP"), id="bmp"),
        pytest.param(b"<?php system($_GET['c']); ?>", id="php"),
    ],
)
def test_a_file_that_is_not_a_photo_or_pdf_is_refused_even_when_named_jpg(content):
    message = rejection("ktp.jpg", content)

    assert "bukan foto JPG/PNG/WebP atau PDF" in message
    assert "Kirim foto (JPG/PNG) atau scan PDF" in message


@pytest.mark.parametrize("name", ["IMG_0001.HEIC", "IMG_0001.jpg", "IMG_0001.heif"])
def test_an_iphone_heic_photo_is_refused_with_advice_to_send_jpg(name):
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64

    message = rejection(name, heic)

    assert "HEIC" in message
    assert "Paling Kompatibel" in message


def test_a_heic_extension_alone_gets_the_heic_advice():
    assert "Paling Kompatibel" in rejection("foto.heic", jpeg())


# PDFs ------------------------------------------------------------------------------------------


# The re-writing of PDFs (actions, scripts, attachments): tests/test_pdf_rewrite.py (J67).


@pytest.mark.parametrize("user_password", ["rahasia", ""], ids=["password", "owner-only"])
def test_an_encrypted_pdf_is_refused(user_password):
    encryption = pikepdf.Encryption(owner="pemilik", user=user_password)

    message = rejection("surat.pdf", pdf(encryption=encryption))

    assert "kata sandi" in message


def test_a_pdf_with_more_pages_than_the_setting_is_refused(settings):
    settings.UPLOAD_MAX_PDF_PAGES = 2

    message = rejection("surat.pdf", pdf(pages=3))

    assert "terlalu banyak halaman (3)" in message
    assert "maksimal 2 halaman" in message


def test_a_damaged_pdf_is_refused():
    assert "PDF rusak" in rejection("surat.pdf", b"%PDF-1.7\n" + b"\x00sampah" * 50)


# Size --------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_naming_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 1 * MIB

    message = rejection("foto.jpg", b"\xff\xd8\xff" + b"\x00" * MIB)

    assert "terlalu besar" in message
    assert "maksimal 1 MB" in message


def test_the_default_limit_is_10_mb():
    assert "maksimal 10 MB" in rejection("foto.jpg", b"\xff\xd8\xff" + b"\x00" * (10 * MIB))


def test_the_bytes_read_are_capped_even_when_the_declared_size_is_wrong(settings):
    settings.UPLOAD_MAX_BYTES = 1 * MIB
    uploaded = upload("foto.jpg", b"\xff\xd8\xff" + b"\x00" * MIB)
    uploaded.size = 100  # a lying size must not let the file through

    with pytest.raises(UploadRejected, match="maksimal 1 MB"):
        clean_upload(uploaded)


def test_an_empty_file_is_refused():
    assert "kosong" in rejection("foto.jpg", b"")


def test_a_refusal_is_a_validation_error_that_a_form_can_show():
    with pytest.raises(ValidationError) as caught:
        clean_upload(upload("foto.jpg", b""))

    assert caught.value.code == "empty"


# Names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../x.jpg", "..\\..\\x.jpg", "C:\\Users\\warga\\x.jpg"])
def test_directories_are_stripped_from_the_original_name(name):
    assert clean_upload(upload(name, jpeg())).original_name == "x.jpg"


def test_a_nul_byte_is_removed_and_the_final_extension_decides():
    result = clean_upload(upload("a.php\x00.jpg", jpeg()))

    assert result.original_name == "a.php.jpg"


def test_a_php_file_with_an_encoded_nul_and_a_jpg_extension_is_refused_by_its_content():
    message = rejection("a.php%00.jpg", b"<?php echo 1; ?>")

    assert "bukan foto" in message


def test_control_characters_are_removed_from_the_original_name():
    result = clean_upload(upload("ktp\r\n\x1b[31m\u202egpj.jpg", jpeg()))

    assert result.original_name == "ktp[31mgpj.jpg"


def test_a_300_character_name_is_cut_to_100_keeping_the_extension():
    result = clean_upload(upload("a" * 300 + ".jpg", jpeg()))

    assert len(result.original_name) <= 100
    assert result.original_name.endswith(".jpg")
    assert result.original_name.startswith("aaaa")


@pytest.mark.parametrize("raw", ["", None, "..", "/", "\x00\x01"])
def test_a_display_name_is_never_empty(raw):
    assert display_name(raw) == "berkas"


def test_a_truncated_photo_is_refused_even_after_weasyprint_was_imported():
    import weasyprint  # noqa: F401  (sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True)

    whole = jpeg(size=(800, 600), color="orange", quality=95)
    assert "rusak atau terpotong" in rejection("foto.jpg", whole[: len(whole) // 2])
