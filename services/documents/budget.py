"""The decoding budget of one request: how many files, and how many pixels in total.

Why: the 40-MP cap of ``cleaning`` is per file. One intake POST with 40 copies of a 38 KB
6300×6300 PNG (a few kB of zeros each, 39.7 MP once decoded) kept a gunicorn worker decoding
for 30.8 s, and two of them froze the site. So before any decode a form counts the files of
the request and adds up the pixel counts read from the image headers (``Inspected.pixels``),
and refuses the whole request when either is over:

- ``UPLOAD_MAX_FILES_PER_REQUEST`` (default 16): a service asks for a handful of documents
  (KTP, KK, pas foto, surat pengantar: 3–6 requirements), one or two pages each, so a full
  intake is about 12 files; 16 leaves room for a second page here and there;
- ``UPLOAD_MAX_PIXELS_PER_REQUEST`` (default 200 MP): every one of those 16 files at a
  phone camera's usual 12.5 MP (a 50-MP sensor bins 4:1; WhatsApp photos are ~2 MP), or five
  photos at the 40-MP per-file cap. Decoding is about linear in pixels: a PNG without
  ``Image.draft`` costs ~20 ms per MP here, so the worst case is ~4 s of one worker, against
  the 30.8 s (and the worker timeout) of the probe; JPEGs, scaled by the decoder, far less.

Files kept from an earlier failed submit (services.documents.pending) count too: kept files
that were already decoded count as files only; kept raw files will be decoded now, so their
pixels count as well.
"""

from __future__ import annotations

from django.conf import settings


def max_files() -> int:
    return getattr(settings, "UPLOAD_MAX_FILES_PER_REQUEST", 16)


def max_pixels() -> int:
    return getattr(settings, "UPLOAD_MAX_PIXELS_PER_REQUEST", 200_000_000)


def too_many_files(count: int) -> str | None:
    """The Indonesian refusal when ``count`` files are more than one request may carry."""
    cap = max_files()
    if count <= cap:
        return None
    return (
        f"Terlalu banyak berkas dalam satu kiriman ({count} berkas); paling banyak {cap} "
        "berkas sekaligus. Tidak ada berkas yang diproses: kirim sebagian dulu, sisanya "
        "dapat ditambahkan kemudian di halaman permohonan."
    )


def too_many_pixels(pixels: int) -> str | None:
    """The Indonesian refusal when the photos of one request hold more pixels than allowed."""
    cap = max_pixels()
    if pixels <= cap:
        return None
    return (
        f"Foto dalam satu kiriman terlalu besar: jumlahnya {_mp(pixels)} juta piksel, paling "
        f"banyak {_mp(cap)} juta piksel. Tidak ada berkas yang diproses: kirim foto dengan "
        "resolusi lebih kecil (mis. lewat WhatsApp) atau kirim sebagian dulu."
    )


def _mp(pixels: int) -> str:
    return f"{pixels / 1_000_000:.1f}".removesuffix(".0").replace(".", ",")
