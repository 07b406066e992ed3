"""How letter numbers, dates and placeholders are written: pure string work.

No model imports (``Service.clean`` in ``services.models`` uses ``format_number`` and the
placeholder names), so anything in the project may import this module.
"""

import re
from datetime import datetime

from django.utils import timezone

DEFAULT_NUMBER_PATTERN = "{classification}/{seq:03}/{office}/{month_roman}/{year}"
ROMAN_MONTHS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
MONTHS_ID = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip
PLACEHOLDER = re.compile(r"\{(\w+)\}")

# The opening sentence is the letter template's (base_letter.html), above the data table;
# a service's body starts after the table and must not say it again (Service.clean).
OPENING = "Yang bertanda tangan di bawah ini"

# Placeholders every letter body may use; a service adds its data-field codes to them.
BUILTIN_PLACEHOLDERS = {
    "nama": "nama pemohon",
    "nik": "NIK",
    "kk": "nomor KK",
    "alamat": "alamat",
    "rt": "nomor RT",
    "rw": "nomor RW",
    "keperluan": "keperluan",
    "layanan": "nama layanan",
    "jenis_permohonan": "jenis permohonan",
    "kelurahan": "nama kelurahan",
    "kecamatan": "kecamatan",
    "kota": "kota",
}


def format_number(pattern: str, service, office_code: str, seq: int, when) -> str:
    """The letter number for ``service`` (anything with ``classification`` and ``code``)."""
    when = timezone.localtime(when)
    return pattern.format(
        classification=service.classification,
        seq=seq,
        office=office_code,
        service=service.code,
        month_roman=ROMAN_MONTHS[when.month - 1],
        year=when.year,
    )


def date_id(when) -> str:
    """23 November 2026."""
    when = timezone.localtime(when) if isinstance(when, datetime) else when
    return f"{when.day} {MONTHS_ID[when.month - 1]} {when.year}"
