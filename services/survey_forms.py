"""The SKM questionnaire as a form: the resident's (online) and the officer's (paper)."""

from __future__ import annotations

from django import forms

from services.models.survey import AGE_BANDS, EDUCATION, OCCUPATION, SEX
from services.survey import ELEMENTS, PROFILE_FIELDS

PICK = "Pilih salah satu jawaban."


class SurveyForm(forms.Form):
    """U1–U9 (radio, 1–4 in the regulation's words), the profile and a suggestion."""

    ELEMENT_FIELDS = tuple(e.code for e in ELEMENTS)
    profile_required = True

    sex = forms.ChoiceField(label="Jenis kelamin", choices=SEX, widget=forms.RadioSelect)
    age_band = forms.ChoiceField(label="Umur", choices=AGE_BANDS, widget=forms.RadioSelect)
    education = forms.ChoiceField(
        label="Pendidikan terakhir", choices=EDUCATION, widget=forms.RadioSelect
    )
    occupation = forms.ChoiceField(
        label="Pekerjaan utama", choices=OCCUPATION, widget=forms.RadioSelect
    )
    suggestion = forms.CharField(
        label="Saran dan masukan untuk kantor kelurahan",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Tidak wajib. Jangan tulis NIK atau nomor KK.",
        error_messages={"max_length": "Saran paling banyak %(limit_value)d huruf."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        elements = {}
        for number, element in enumerate(ELEMENTS, start=1):
            elements[element.code] = forms.TypedChoiceField(
                label=f"{number}. {element.question}",
                choices=[(i, text) for i, text in enumerate(element.answers, start=1)],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": PICK, "invalid_choice": PICK},
            )
        # The nine questions first, then the profile and the suggestion.
        self.fields = {**elements, **self.fields}
        for name in PROFILE_FIELDS:
            field = self.fields[name]
            field.error_messages = {"required": PICK, "invalid_choice": PICK}
            if not self.profile_required:
                field.required = False
                field.choices = [("", "Tidak diisi"), *field.choices]

    def element_fields(self):
        return [self[name] for name in self.ELEMENT_FIELDS]

    def profile_fields(self):
        return [self[name] for name in PROFILE_FIELDS]

    @property
    def answers(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.ELEMENT_FIELDS}

    @property
    def profile(self) -> dict:
        return {name: self.cleaned_data.get(name) or "" for name in PROFILE_FIELDS}


class PaperSurveyForm(SurveyForm):
    """A paper questionnaire typed in by an officer: which service, and the profile may be
    left blank (a respondent skipped it on paper)."""

    profile_required = False

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {
            "service": forms.ChoiceField(
                label="Layanan yang diterima responden",
                choices=[("", "— pilih layanan —"), *((s.code, s.name) for s in services)],
                error_messages={
                    "required": "Pilih layanannya.",
                    "invalid_choice": "Pilih layanannya.",
                },
            ),
            **self.fields,
        }
        self.fields["suggestion"].label = "Saran dan masukan (tulis seperti pada kertas)"
