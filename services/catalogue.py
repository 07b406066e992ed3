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

import dataclasses
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
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


# --- the catalogue of one service, cached in each process -----------------------------------
# The case page reads the requirements, variants and data fields of the case's service on
# every load; they change only when an admin edits the catalogue. Each process keeps them per
# service under ``Service.catalogue_version``, which comes with the case's own query (the
# service is select_related): a change saved anywhere gives the service a new version, so
# every process sees it on its next request; the process that saved it drops its copy at once.
@dataclass(frozen=True)
class Catalogue:
    version: UUID
    requirements: tuple[Requirement, ...]  # in order; each with ``variant_ids`` (a frozenset)
    variants: tuple[ServiceVariant, ...]  # all of them, active or not, in order
    data_fields: tuple[ServiceField, ...]
    _by_variant: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def requirements_for(self, variant: ServiceVariant | None) -> list[Requirement]:
        """``requirements_for`` (the module function) without a query."""
        key = variant.pk if variant is not None else None
        if key not in self._by_variant:
            self._by_variant[key] = [
                r
                for r in self.requirements
                if key is None or not r.variant_ids or key in r.variant_ids
            ]
        return self._by_variant[key]

    def active_variants(self) -> list[ServiceVariant]:
        return [v for v in self.variants if v.active]


_catalogues: dict[int, Catalogue] = {}
# Services changed in a transaction not committed yet (in this process): read, never cached,
# until the commit (a rollback leaves them uncached: slower, never stale).
_changing: set[int] = set()


def catalogue(service: Service) -> Catalogue:
    """The service's requirements, variants and data fields: no query while its version holds.

    The objects are shared by every request of the process: read them, never change them.
    """
    cached = _catalogues.get(service.pk)
    if cached is not None and cached.version == service.catalogue_version:
        return cached
    requirements = list(Requirement.objects.filter(service_id=service.pk).order_by("order", "id"))
    links: dict[int, set[int]] = {}
    for requirement_id, variant_id in Requirement.variants.through.objects.filter(
        requirement__service_id=service.pk
    ).values_list("requirement_id", "servicevariant_id"):
        links.setdefault(requirement_id, set()).add(variant_id)
    for requirement in requirements:
        requirement.variant_ids = frozenset(links.get(requirement.pk, ()))
    read = Catalogue(
        version=service.catalogue_version,
        requirements=tuple(requirements),
        variants=tuple(ServiceVariant.objects.filter(service_id=service.pk)),
        data_fields=tuple(ServiceField.objects.filter(service_id=service.pk)),
    )
    if service.pk not in _changing:
        _catalogues[service.pk] = read
    return read


def clear_catalogue_cache() -> None:
    """Forget every cached catalogue of this process (tests: another process's view)."""
    _catalogues.clear()
    _changing.clear()


def _forget(service_id: int) -> None:
    _catalogues.pop(service_id, None)
    if transaction.get_connection().in_atomic_block:
        _changing.add(service_id)
        transaction.on_commit(lambda: _changing.discard(service_id))


def catalogue_changed(service_id: int | None) -> None:
    """A row of the service's catalogue changed: a new version for every process, and this
    process forgets its copy (even requests holding the service's old version read anew)."""
    if service_id is None:
        return
    Service.objects.filter(pk=service_id).update(catalogue_version=uuid4())
    _forget(service_id)


def _on_service_saved(sender, instance, **kwargs):
    # Service.save() wrote a new version itself; this process forgets its copy.
    if instance.pk is not None:
        _forget(instance.pk)


def _on_catalogue_row(sender, instance, **kwargs):
    catalogue_changed(instance.service_id)


def _on_requirement_variants(sender, instance, action, pk_set, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        catalogue_changed(instance.service_id)


def connect_catalogue_receivers() -> None:
    """Called by ``ServicesConfig.ready()``: every save and delete of a service, requirement,
    variant or data field, and every change of which variants a requirement is for (either
    side of the many-to-many), admin inlines included, changes the service's version."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    post_save.connect(_on_service_saved, sender=Service, dispatch_uid="catalogue_service")
    post_delete.connect(_on_service_saved, sender=Service, dispatch_uid="catalogue_service_del")
    for model in (Requirement, ServiceVariant, ServiceField):
        for signal in (post_save, post_delete):
            signal.connect(
                _on_catalogue_row,
                sender=model,
                dispatch_uid=f"catalogue_{model.__name__}_{signal is post_save}",
            )
    m2m_changed.connect(
        _on_requirement_variants,
        sender=Requirement.variants.through,
        dispatch_uid="catalogue_requirement_variants",
    )


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
    fields = catalogue(application.service).data_fields
    rows = [
        ExtraRow(f.code, f.label, display(f, extra[f.code]), f.on_letter)
        for f in fields
        if f.code in extra
    ]
    known = {f.code for f in fields}
    rows += [ExtraRow(c, c, display(None, v), False) for c, v in extra.items() if c not in known]
    return rows
