"""Length limits of the free text people type (SECURITY.md J63), in characters.

Every CharField has its max_length; a TextField gets one from here, sized for what the field
really holds, with room. ``TextField.max_length`` alone only reaches the form (ModelForm and
the admin); ``text_limit()`` adds the MaxLengthValidator so ``full_clean`` refuses too. The
workflow functions, which take text directly, check the same numbers
(``services.workflow.within_limit``). ``tests/test_text_limits.py`` fails for any model or
form text field without a limit.
"""

from django.core.validators import MaxLengthValidator

# An Indonesian address: street and number, RT/RW, kelurahan, kecamatan, city, province and
# postcode come to about 150 characters ("Jl. Merdeka No. 12, RT 003/RW 005, Kel. Bukit
# Sangkal, Kec. Kalidoni, Kota Palembang, Sumatera Selatan 30114" is 110); 500 leaves room
# for directions ("gang kedua sesudah masjid").
ADDRESS_MAX = 500
# Extra letterhead lines under the office address (website, postcode, email): a few lines.
LETTERHEAD_MAX = 500
# A reason for a step (cancel, reject a document, revoke a letter): a sentence or two.
REASON_MAX = 500
# A note for the file, to the RT chair or from them, a neighbour's statement: a paragraph.
NOTE_MAX = 1000
# A catalogue paragraph read to the applicant.
DESCRIPTION_MAX = 2000
# The letter's own wording after the data table: one A4 page holds about 3,500 characters.
LETTER_BODY_MAX = 5000
# The choices of a data field, one per line.
CHOICES_MAX = 2000
# A message template the admin writes (a WhatsApp message, before its placeholders are filled).
MESSAGE_TEMPLATE_MAX = 1000
# A message as sent: a template (≤ 1000) with its placeholders filled, of which the
# complaint's answer alone may be 4000 and the missing-documents list a few hundred.
MESSAGE_MAX = 8000
# An audit row's note, composed by the workflow from limited parts (a correction lists each
# changed field's old and new value and the reason).
AUDIT_NOTE_MAX = 10000
# The public complaint, the office's answer and the SKM suggestion (as the forms had them).
COMPLAINT_TEXT_MAX = 2000
COMPLAINT_ANSWER_MAX = 4000
SUGGESTION_MAX = 1000
MAKLUMAT_MAX = 3000
# Passwords are hashed whole: a 2 MB password costs the PBKDF2 rounds on 2 MB.
PASSWORD_MAX = 1000


def text_limit(limit: int) -> dict:
    """``models.TextField(..., **text_limit(N))``: the form's maxlength and model validation."""
    return {"max_length": limit, "validators": [MaxLengthValidator(limit)]}


def too_long(label: str, limit: int, length: int) -> str:
    """The Indonesian refusal of a text over its limit (thousands with a dot, as written)."""
    return (
        f"{label} terlalu panjang: paling banyak {limit:,} karakter (tertulis {length:,})."
    ).replace(",", ".")
