"""Validation and normalisation of identity numbers and phone numbers typed in by officers.

Each ``validate_*``/``normalize_*`` function returns the normalised value or raises
``django.core.exceptions.ValidationError`` with an Indonesian message and a ``code``. Forms call
them from ``clean_<field>``.

The checks are plausibility checks only: they catch typos (wrong length, impossible region code
or date), they do not prove that a NIK or KK number was ever issued by Dukcapil.
"""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone

# Province codes (2 digits) as used in the first two digits of NIK and KK numbers. Names follow
# the Kemendagri codes; 97 is included because the BPS list uses it (Papua Pegunungan). A
# resident keeps their NIK when a province is split, so old codes stay valid next to new ones.
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        # Sumatra
        "11",  # Aceh
        "12",  # Sumatera Utara
        "13",  # Sumatera Barat
        "14",  # Riau
        "15",  # Jambi
        "16",  # Sumatera Selatan
        "17",  # Bengkulu
        "18",  # Lampung
        "19",  # Kepulauan Bangka Belitung
        "21",  # Kepulauan Riau
        # Java
        "31",  # DKI Jakarta
        "32",  # Jawa Barat
        "33",  # Jawa Tengah
        "34",  # DI Yogyakarta
        "35",  # Jawa Timur
        "36",  # Banten
        # Bali and Nusa Tenggara
        "51",  # Bali
        "52",  # Nusa Tenggara Barat
        "53",  # Nusa Tenggara Timur
        # Kalimantan
        "61",  # Kalimantan Barat
        "62",  # Kalimantan Tengah
        "63",  # Kalimantan Selatan
        "64",  # Kalimantan Timur
        "65",  # Kalimantan Utara
        # Sulawesi
        "71",  # Sulawesi Utara
        "72",  # Sulawesi Tengah
        "73",  # Sulawesi Selatan
        "74",  # Sulawesi Tenggara
        "75",  # Gorontalo
        "76",  # Sulawesi Barat
        # Maluku
        "81",  # Maluku
        "82",  # Maluku Utara
        # Papua (93-97: provinces created in 2022)
        "91",  # Papua
        "92",  # Papua Barat
        "93",  # Papua Selatan
        "94",  # Papua Tengah
        "95",  # Papua Pegunungan
        "96",  # Papua Barat Daya
        "97",  # Papua Pegunungan (BPS code)
    }
)

# Women's NIKs carry the birth day plus 40 (e.g. 41 = the 1st).
FEMALE_DAY_OFFSET = 40

# Separators officers commonly type or paste into identity numbers (incl. Unicode dashes).
_ID_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015]")
# Phone numbers may additionally contain parentheses around the area code.
_PHONE_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015()]")
_SIXTEEN_DIGITS = re.compile(r"[0-9]{16}")
_DIGITS = re.compile(r"[0-9]+")

NATIONAL_NUMBER_MIN_DIGITS = 8
NATIONAL_NUMBER_MAX_DIGITS = 12

MSG_NIK_LENGTH = "NIK harus 16 angka."
MSG_NIK_REGION = "Kode wilayah pada NIK (6 angka pertama) tidak dikenal."
MSG_NIK_DATE = "Tanggal lahir pada NIK (angka ke-7 s.d. 12) tidak valid."
MSG_NIK_SERIAL = "Nomor urut pada NIK tidak boleh 0000."

MSG_KK_LENGTH = "Nomor KK harus 16 angka."
MSG_KK_REGION = "Kode wilayah pada nomor KK (6 angka pertama) tidak dikenal."
MSG_KK_DATE = "Tanggal pada nomor KK (angka ke-7 s.d. 12) tidak valid."
MSG_KK_SERIAL = "Nomor urut pada nomor KK tidak boleh 0000."

MSG_PHONE_NOT_INDONESIAN = "Nomor telepon harus nomor Indonesia, mis. 0812-3456-7890."
MSG_PHONE_LENGTH = (
    "Nomor telepon tidak valid: tanpa kode negara atau angka 0 di depan harus 8 s.d. 12 angka, "
    "mis. 0812-3456-7890."
)


def _strip_separators(value: str | None) -> str:
    return _ID_SEPARATORS.sub("", value or "")


def _is_plausible_region(number: str) -> bool:
    """Digits 1-6: province must exist, regency/city and kecamatan must not be 00."""
    return number[:2] in PROVINCE_CODES and number[2:4] != "00" and number[4:6] != "00"


def _past_date_from_ddmmyy(day: int, month: int, yy: int) -> dt.date | None:
    """The date DD-MM-YY in the latest century that does not put it after today; None if no such
    date exists (e.g. day 32, month 13, 29 Feb of a non-leap year)."""
    today = timezone.localdate()
    year = 2000 + yy
    if (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _check_length_and_region(
    value: str | None, *, prefix: str, msg_length: str, msg_region: str
) -> str:
    """Shared NIK/KK checks of digits 1-6. Returns the bare 16 digits."""
    number = _strip_separators(value)
    if not _SIXTEEN_DIGITS.fullmatch(number):
        raise ValidationError(msg_length, code=f"{prefix}_length")
    if not _is_plausible_region(number):
        raise ValidationError(msg_region, code=f"{prefix}_region")
    return number


def _decode_nik(value: str | None) -> tuple[str, dt.date, bool]:
    """Validate a NIK and return (16 digits, birth date, is_female)."""
    nik = _check_length_and_region(
        value, prefix="nik", msg_length=MSG_NIK_LENGTH, msg_region=MSG_NIK_REGION
    )
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    is_female = day > FEMALE_DAY_OFFSET
    if is_female:
        day -= FEMALE_DAY_OFFSET
    birth_date = _past_date_from_ddmmyy(day, month, yy)
    if birth_date is None:
        raise ValidationError(MSG_NIK_DATE, code="nik_birth_date")
    if nik[12:] == "0000":
        raise ValidationError(MSG_NIK_SERIAL, code="nik_serial")
    return nik, birth_date, is_female


def validate_nik(value: str) -> str:
    """Validate a NIK (Nomor Induk Kependudukan) and return it as 16 digits.

    Spaces, dots and dashes are ignored. Layout: region code (province, regency/city,
    kecamatan: 2 digits each), birth date DDMMYY with DD + 40 for women, serial (4 digits).
    """
    return _decode_nik(value)[0]


def nik_birth_date(nik: str) -> dt.date:
    """Birth date encoded in a NIK; the century is the latest one that is not in the future.

    Raises ``ValidationError`` like ``validate_nik`` when the NIK is invalid.
    """
    return _decode_nik(nik)[1]


def nik_is_female(nik: str) -> bool:
    """Whether a NIK belongs to a woman (birth day stored as DD + 40).

    Raises ``ValidationError`` like ``validate_nik`` when the NIK is invalid.
    """
    return _decode_nik(nik)[2]


def validate_kk_number(value: str) -> str:
    """Validate a Nomor Kartu Keluarga and return it as 16 digits.

    Same layout as a NIK, but digits 7-12 are the issue date DDMMYY (no +40) and must be a real
    date that is not in the future.
    """
    kk = _check_length_and_region(
        value, prefix="kk", msg_length=MSG_KK_LENGTH, msg_region=MSG_KK_REGION
    )
    if _past_date_from_ddmmyy(int(kk[6:8]), int(kk[8:10]), int(kk[10:12])) is None:
        raise ValidationError(MSG_KK_DATE, code="kk_date")
    if kk[12:] == "0000":
        raise ValidationError(MSG_KK_SERIAL, code="kk_serial")
    return kk


def normalize_phone(value: str) -> str:
    """Normalise an Indonesian mobile or landline number to E.164, e.g. ``+6281234567890``.

    Accepts ``0812-3456-7890``, ``+62 812 3456 7890``, ``62812...``, ``0062812...``,
    ``812...`` and ``(0711) 123456``. Spaces, dashes, dots and parentheses are ignored. Without
    the country code or trunk 0 the national number must be 8-12 digits and start with 2-9:
    mobile numbers start with 8, landlines with the area code (21 Jakarta, 711 Palembang...);
    no Indonesian number starts with 0 or 1 there.
    """
    not_indonesian = ValidationError(MSG_PHONE_NOT_INDONESIAN, code="phone_not_indonesian")
    number = _PHONE_SEPARATORS.sub("", value or "")
    if number.startswith("+"):
        if not number.startswith("+62"):
            raise not_indonesian
        national = number[3:]
    elif number.startswith("00"):  # international dialling prefix, e.g. 0062 812...
        if not number.startswith("0062"):
            raise not_indonesian
        national = number[4:]
    elif number.startswith("62"):
        national = number[2:]
    elif number.startswith("0"):
        national = number[1:]
    elif number.startswith("1"):  # e.g. "1 202 555 0100": a North American number without "+"
        raise not_indonesian
    else:
        national = number

    if national and not _DIGITS.fullmatch(national):
        raise not_indonesian
    if (
        not NATIONAL_NUMBER_MIN_DIGITS <= len(national) <= NATIONAL_NUMBER_MAX_DIGITS
        or national[0] in "01"
    ):
        raise ValidationError(MSG_PHONE_LENGTH, code="phone_invalid")
    return f"+62{national}"


def mask_nik(nik: str) -> str:
    """Hide the middle of a NIK for RT chairs' pages and logs: ``327301******0002``.

    Separators are dropped first. Only the region code (first 6) and the serial (last 4) stay
    visible; the birth date is hidden. Values too short to mask that way are hidden entirely.
    """
    digits = _strip_separators(nik)
    if len(digits) <= 10:
        return "*" * len(digits)
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]
