"""Identity-number and phone validators (no database needed).

"Today" is frozen at 23 November 2026 (noon in Jakarta) so the century choice is deterministic.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from services.validators import (
    MSG_KK_DATE,
    MSG_KK_LENGTH,
    MSG_KK_REGION,
    MSG_KK_SERIAL,
    MSG_NIK_DATE,
    MSG_NIK_LENGTH,
    MSG_NIK_REGION,
    MSG_NIK_SERIAL,
    MSG_PHONE_LENGTH,
    MSG_PHONE_NOT_INDONESIAN,
    PROVINCE_CODES,
    mask_nik,
    nik_birth_date,
    nik_is_female,
    normalize_phone,
    validate_kk_number,
    validate_nik,
)

# Region 327301, born 17-08-1990, serial 0002.
MALE_NIK = "3273011708900002"
FEMALE_NIK = "3273015708900001"  # day 57 = 17 + 40


@pytest.fixture(autouse=True)
def _today_is_23_november_2026(time_machine):
    # Noon in Jakarta, so localdate() is 2026-11-23 whatever the machine's own time zone.
    time_machine.move_to("2026-11-23T12:00:00+07:00", tick=False)


def assert_invalid(func, value, message, code):
    with pytest.raises(ValidationError) as excinfo:
        func(value)
    assert excinfo.value.messages == [message]
    assert excinfo.value.code == code


# --- NIK -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(MALE_NIK, MALE_NIK, id="male"),
        pytest.param(FEMALE_NIK, FEMALE_NIK, id="female-day-plus-40"),
        pytest.param("3273012902000001", "3273012902000001", id="29-feb-2000-leap-year"),
        pytest.param("3273016902960001", "3273016902960001", id="29-feb-1996-female"),
        pytest.param("9671011708900002", "9671011708900002", id="province-96-papua-barat-daya"),
        pytest.param("1171011708900002", "1171011708900002", id="province-11-aceh"),
        pytest.param("3273.01.170890.0002", MALE_NIK, id="dots-stripped"),
        pytest.param("3273 0117 0890 0002", MALE_NIK, id="spaces-stripped"),
        pytest.param("3273-01-170890-0002", MALE_NIK, id="dashes-stripped"),
        pytest.param(" 3273011708900002\n", MALE_NIK, id="surrounding-whitespace"),
        pytest.param("3273012311260001", "3273012311260001", id="born-today"),
    ],
)
def test_valid_nik_is_returned_as_16_digits(raw, expected):
    assert validate_nik(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message", "code"),
    [
        pytest.param("327301170890002", MSG_NIK_LENGTH, "nik_length", id="15-digits"),
        pytest.param("32730117089000021", MSG_NIK_LENGTH, "nik_length", id="17-digits"),
        pytest.param("32730117089O0002", MSG_NIK_LENGTH, "nik_length", id="letter-O"),
        pytest.param("NIK3273011708900", MSG_NIK_LENGTH, "nik_length", id="letters"),
        pytest.param("", MSG_NIK_LENGTH, "nik_length", id="empty"),
        pytest.param("0073011708900002", MSG_NIK_REGION, "nik_region", id="province-00"),
        pytest.param("9973011708900002", MSG_NIK_REGION, "nik_region", id="province-99"),
        pytest.param("2073011708900002", MSG_NIK_REGION, "nik_region", id="province-20"),
        pytest.param("3200011708900002", MSG_NIK_REGION, "nik_region", id="regency-00"),
        pytest.param("3273001708900002", MSG_NIK_REGION, "nik_region", id="kecamatan-00"),
        pytest.param("3273010008900002", MSG_NIK_DATE, "nik_birth_date", id="day-00"),
        pytest.param("3273013208900002", MSG_NIK_DATE, "nik_birth_date", id="day-32"),
        pytest.param("3273014008900002", MSG_NIK_DATE, "nik_birth_date", id="day-40"),
        pytest.param("3273017208900002", MSG_NIK_DATE, "nik_birth_date", id="day-72-female-32"),
        pytest.param("3273011713900002", MSG_NIK_DATE, "nik_birth_date", id="month-13"),
        pytest.param("3273011700900002", MSG_NIK_DATE, "nik_birth_date", id="month-00"),
        pytest.param("3273013104900002", MSG_NIK_DATE, "nik_birth_date", id="31-april"),
        pytest.param("3273012902010001", MSG_NIK_DATE, "nik_birth_date", id="29-feb-2001"),
        pytest.param("3273016902990001", MSG_NIK_DATE, "nik_birth_date", id="29-feb-1999-female"),
        pytest.param("3273011708900000", MSG_NIK_SERIAL, "nik_serial", id="serial-0000"),
    ],
)
def test_invalid_nik_is_rejected_with_indonesian_message(raw, message, code):
    assert_invalid(validate_nik, raw, message, code)


def test_nik_messages_read_as_specified():
    with pytest.raises(ValidationError, match="NIK harus 16 angka."):
        validate_nik("12345")
    with pytest.raises(ValidationError, match=r"Kode wilayah pada NIK \(6 angka pertama\)"):
        validate_nik("9973011708900002")
    with pytest.raises(ValidationError, match=r"Tanggal lahir pada NIK \(angka ke-7 s\.d\. 12\)"):
        validate_nik("3273013208900002")
    with pytest.raises(ValidationError, match="Nomor urut pada NIK tidak boleh 0000."):
        validate_nik("3273011708900000")


def test_province_codes_cover_all_current_provinces():
    expected = {
        *(str(code) for code in range(11, 20)),
        "21",
        *(str(code) for code in range(31, 37)),
        *(str(code) for code in range(51, 54)),
        *(str(code) for code in range(61, 66)),
        *(str(code) for code in range(71, 77)),
        "81",
        "82",
        *(str(code) for code in range(91, 98)),
    }
    assert expected == PROVINCE_CODES


@pytest.mark.parametrize(
    ("nik", "birth_date", "female"),
    [
        pytest.param(MALE_NIK, dt.date(1990, 8, 17), False, id="male-1990"),
        pytest.param(FEMALE_NIK, dt.date(1990, 8, 17), True, id="female-1990"),
        pytest.param("3273010105050003", dt.date(2005, 5, 1), False, id="yy-05-is-2005"),
        pytest.param("3273014101260003", dt.date(2026, 1, 1), True, id="yy-26-earlier-is-2026"),
        pytest.param("3273012311260003", dt.date(2026, 11, 23), False, id="today-is-2026"),
        pytest.param("3273016311260003", dt.date(2026, 11, 23), True, id="today-female"),
        pytest.param("3273012411260003", dt.date(1926, 11, 24), False, id="tomorrow-is-1926"),
        pytest.param("3273010101270003", dt.date(1927, 1, 1), False, id="yy-27-is-1927"),
        pytest.param("3273011505500003", dt.date(1950, 5, 15), False, id="yy-50-is-1950"),
        pytest.param("3273012902000001", dt.date(2000, 2, 29), False, id="leap-day-2000"),
        pytest.param("3.273.0171-1299.0003", dt.date(1999, 12, 31), True, id="separators"),
    ],
)
def test_birth_date_and_sex_are_decoded_from_nik(nik, birth_date, female):
    assert nik_birth_date(nik) == birth_date
    assert nik_is_female(nik) is female


@pytest.mark.parametrize("func", [nik_birth_date, nik_is_female])
def test_decoding_helpers_reject_invalid_nik(func):
    assert_invalid(func, "3273013208900002", MSG_NIK_DATE, "nik_birth_date")


# --- Nomor KK ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("3273012005150003", "3273012005150003", id="issued-2015"),
        pytest.param("3273012311260001", "3273012311260001", id="issued-today"),
        pytest.param("3273012902240001", "3273012902240001", id="issued-29-feb-2024"),
        pytest.param("9401010101230001", "9401010101230001", id="papua-tengah"),
        pytest.param("3273 0120 0515 0003", "3273012005150003", id="spaces-stripped"),
        pytest.param("3273.01.200515.0003", "3273012005150003", id="dots-stripped"),
    ],
)
def test_valid_kk_number_is_returned_as_16_digits(raw, expected):
    assert validate_kk_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message", "code"),
    [
        pytest.param("327301200515000", MSG_KK_LENGTH, "kk_length", id="15-digits"),
        pytest.param("32730120051500031", MSG_KK_LENGTH, "kk_length", id="17-digits"),
        pytest.param("KK73012005150003", MSG_KK_LENGTH, "kk_length", id="letters"),
        pytest.param("9973012005150003", MSG_KK_REGION, "kk_region", id="province-99"),
        pytest.param("3200012005150003", MSG_KK_REGION, "kk_region", id="regency-00"),
        pytest.param("3273002005150003", MSG_KK_REGION, "kk_region", id="kecamatan-00"),
        pytest.param("3273016005150003", MSG_KK_DATE, "kk_date", id="no-plus-40-for-kk"),
        pytest.param("3273010005150003", MSG_KK_DATE, "kk_date", id="day-00"),
        pytest.param("3273013104150003", MSG_KK_DATE, "kk_date", id="31-april"),
        pytest.param("3273012902230003", MSG_KK_DATE, "kk_date", id="29-feb-2023"),
        pytest.param("3273012013150003", MSG_KK_DATE, "kk_date", id="month-13"),
        pytest.param("3273012005150000", MSG_KK_SERIAL, "kk_serial", id="serial-0000"),
    ],
)
def test_invalid_kk_number_is_rejected_with_indonesian_message(raw, message, code):
    assert_invalid(validate_kk_number, raw, message, code)


def test_kk_messages_mention_nomor_kk():
    for message in (MSG_KK_LENGTH, MSG_KK_REGION, MSG_KK_DATE, MSG_KK_SERIAL):
        assert "nomor kk" in message.lower()
    with pytest.raises(ValidationError, match="Nomor KK harus 16 angka."):
        validate_kk_number("123")


# --- Phone numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("0812-3456-7890", "+6281234567890", id="dashes"),
        pytest.param("0812 3456 7890", "+6281234567890", id="spaces"),
        pytest.param("0812.3456.7890", "+6281234567890", id="dots"),
        pytest.param("6281234567890", "+6281234567890", id="62-without-plus"),
        pytest.param("+62 812 3456 7890", "+6281234567890", id="plus-62"),
        pytest.param("+6281234567890", "+6281234567890", id="already-e164"),
        pytest.param("0062 812 3456 7890", "+6281234567890", id="0062-prefix"),
        pytest.param("81234567890", "+6281234567890", id="without-trunk-0"),
        pytest.param("(0711) 123456", "+62711123456", id="landline-palembang"),
        pytest.param("(021) 5550-1234", "+622155501234", id="landline-jakarta"),
        pytest.param("0811-6012-34", "+62811601234", id="old-short-mobile"),
        pytest.param("0812-3456-7890-1", "+62812345678901", id="12-digit-national"),
        pytest.param("021-555-012", "+6221555012", id="8-digit-national"),
    ],
)
def test_indonesian_phone_is_normalised_to_e164(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message", "code"),
    [
        pytest.param("0812-345", MSG_PHONE_LENGTH, "phone_invalid", id="too-short"),
        pytest.param("0812-3456-7890-12", MSG_PHONE_LENGTH, "phone_invalid", id="too-long-13"),
        pytest.param("021-555-01", MSG_PHONE_LENGTH, "phone_invalid", id="too-short-7"),
        pytest.param("", MSG_PHONE_LENGTH, "phone_invalid", id="empty"),
        pytest.param("+62 0812 3456 7890", MSG_PHONE_LENGTH, "phone_invalid", id="plus-62-then-0"),
        pytest.param("00812 3456 7890", MSG_PHONE_NOT_INDONESIAN, "phone_not_indonesian", id="00"),
        pytest.param(
            "0812-3456-ABCD", MSG_PHONE_NOT_INDONESIAN, "phone_not_indonesian", id="letters"
        ),
        pytest.param(
            "telp 08123456789", MSG_PHONE_NOT_INDONESIAN, "phone_not_indonesian", id="word"
        ),
        pytest.param(
            "+1 202 555 0100", MSG_PHONE_NOT_INDONESIAN, "phone_not_indonesian", id="plus-1-usa"
        ),
        pytest.param(
            "+60 12-345 6789", MSG_PHONE_NOT_INDONESIAN, "phone_not_indonesian", id="plus-60-my"
        ),
        pytest.param(
            "1 202 555 0100", MSG_PHONE_NOT_INDONESIAN, "phone_not_indonesian", id="usa-no-plus"
        ),
        pytest.param(
            "0062 1 234 5678", MSG_PHONE_LENGTH, "phone_invalid", id="national-starts-with-1"
        ),
    ],
)
def test_invalid_phone_is_rejected(raw, message, code):
    assert_invalid(normalize_phone, raw, message, code)


def test_foreign_phone_message_gives_an_example():
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone("+1 202 555 0100")
    assert excinfo.value.messages == ["Nomor telepon harus nomor Indonesia, mis. 0812-3456-7890."]


# --- Masking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("3273010101900002", "327301******0002", id="plain"),
        pytest.param(FEMALE_NIK, "327301******0001", id="birth-date-hidden"),
        pytest.param("3273.01.010190.0002", "327301******0002", id="separators"),
        pytest.param("12345", "*****", id="too-short-fully-hidden"),
        pytest.param("", "", id="empty"),
    ],
)
def test_mask_nik_shows_only_region_and_serial(raw, expected):
    assert mask_nik(raw) == expected
