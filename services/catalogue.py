"""What a service asks for: the requirements of a variant, and the service's own data fields.

A service may have variants (jenis permohonan: KK baru, pindah datang, ...); a requirement
tied to some variants applies only to cases of those, one with none to every case. A service
may also ask extra data at intake (SITU: nama usaha); the answers live in
``Application.extra`` as JSON (text as strings, dates as ISO strings, numbers as integers),
are shown on the case page and the receipt, and fill the letter's ``{code}`` placeholders.

One definition of how an answer is validated: ``ServiceField`` → ``formfield()``, used by the
intake forms and again by the workflow (``clean_extra``) on whatever reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from services.letters.patterns import date_id
from services.models import (
    Application,
    FieldKind,
    Requirement,
    Service,
    ServiceField,
    ServiceVariant,
)


def active_variants(service: Service) -> list[ServiceVariant]:
    return [v for v in service.variants.all() if v.active]


def requirements_for(service: Service, variant: ServiceVariant | None) -> QuerySet[Requirement]:
    """The requirements a case of this service and variant needs, in order.

    Without a variant (a service that has none, or a case recorded before its service had
    any) every requirement applies, as before variants existed.
    """
    requirements = service.requirements.order_by("order", "id")
    if variant is None:
        return requirements
    return requirements.filter(Q(variants=None) | Q(variants=variant)).distinct()


def applies_to(requirement: Requirement, variant: ServiceVariant | None) -> bool:
    """The same rule as requirements_for, for prefetched requirements (the catalogue)."""
    variants = list(requirement.variants.all())
    return variant is None or not variants or variant in variants


# --- data fields ------------------------------------------------------------------------------
def formfield(field: ServiceField) -> forms.Field:
    """The Django form field that asks and validates one data field."""
    common = {"label": field.label, "required": field.required, "help_text": field.help_text}
    if field.kind == FieldKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if field.kind == FieldKind.NUMBER:
        return forms.IntegerField(
            min_value=0,
            max_value=10**15,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            **common,
        )
    if field.kind == FieldKind.CHOICE:
        options = [(c, c) for c in field.choice_list()]
        return forms.ChoiceField(choices=[("", "— pilih —"), *options], **common)
    widget = forms.Textarea(attrs={"rows": 2}) if field.kind == FieldKind.LONG_TEXT else None
    return forms.CharField(max_length=field.max_length, widget=widget, **common)


def to_json(field: ServiceField, value) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value


def is_empty(value) -> bool:
    return value is None or value == ""


def clean_extra(service: Service, extra: dict) -> dict:
    """The answers checked against the service's fields; ValidationError lists what is wrong.

    Unknown keys are refused (a stale form, or a field deleted meanwhile); empty optional
    answers are left out.
    """
    fields = list(service.data_fields.all())
    known = {f.code for f in fields}
    unknown = sorted(set(extra) - known)
    if unknown:
        raise ValidationError(
            f"Data tambahan tidak dikenal untuk layanan ini: {', '.join(unknown)}."
        )
    cleaned, errors = {}, []
    for field in fields:
        try:
            value = formfield(field).clean(extra.get(field.code, ""))
        except ValidationError as exc:
            errors.extend(f"{field.label}: {m}" for m in exc.messages)
            continue
        if not is_empty(value):
            cleaned[field.code] = to_json(field, value)
    if errors:
        raise ValidationError(errors)
    return cleaned


@dataclass(frozen=True)
class ExtraRow:
    code: str
    label: str
    text: str  # the answer as printed (dates in Indonesian)
    on_letter: bool


def display(field: ServiceField | None, value) -> str:
    if field is not None and field.kind == FieldKind.DATE and isinstance(value, str):
        try:
            return date_id(date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def extra_rows(application: Application) -> list[ExtraRow]:
    """The case's answers in the service's field order; an answer to a field deleted since is
    still shown, under its code, so nothing recorded disappears."""
    extra = application.extra or {}
    if not extra:
        return []
    fields = list(application.service.data_fields.all())
    rows = [
        ExtraRow(f.code, f.label, display(f, extra[f.code]), f.on_letter)
        for f in fields
        if f.code in extra
    ]
    known = {f.code for f in fields}
    rows += [ExtraRow(c, c, display(None, v), False) for c, v in extra.items() if c not in known]
    return rows
