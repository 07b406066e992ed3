"""Forms for intake, documents and the queue; messages in Indonesian."""

from __future__ import annotations

from html import escape

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from kelurahan import limits
from kelurahan.models import RT
from kelurahan.prepared import PreparedRows
from services import catalogue
from services.documents.cleaning import UploadRejected, inspect_upload
from services.documents.pending import PendingUploadsMixin
from services.models import ApplicationState, Channel, Delivery, Requirement, Service
from services.sla.charts import DateRange
from services.validators import normalize_phone, validate_kk_number, validate_nik
from services.workflow import EDITABLE_STATES, ApplicantData

# Django's own words name no limit in Indonesian plainly; this one does (J63).
TOO_LONG = "Terlalu panjang: paling banyak %(limit_value)d karakter (tertulis %(show_value)d)."

ACCEPT = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf"
MAX_FILES_PER_REQUIREMENT = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class DocumentsField(forms.FileField):
    """Several files for one requirement (two pages of a KK), each checked and normalised.

    The field only inspects (``inspect_upload``: no decode); ``PendingUploadsMixin``, which
    every form with this field has, decodes once the request is within its budget and the
    other fields are valid. ``accepted`` holds the files that passed even when another one
    failed, so the form keeps them (``keep_pending``).
    """

    keep_pending = True
    max_files = MAX_FILES_PER_REQUIREMENT
    skip_reading = False  # set by the form when the request carries too many files

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = [d for d in (data if isinstance(data, list | tuple) else [data]) if d]
        if not uploads:
            if self.required:
                raise ValidationError("Pilih minimal satu berkas.", code="required")
            return []
        if len(uploads) > MAX_FILES_PER_REQUIREMENT:
            raise ValidationError(
                f"Paling banyak {MAX_FILES_PER_REQUIREMENT} berkas sekaligus "
                "untuk satu persyaratan."
            )
        self.accepted = []
        if self.skip_reading:
            return []
        cleaned, errors = [], []
        for upload in uploads:
            try:
                cleaned.append(inspect_upload(upload))
            except UploadRejected as exc:
                errors.extend(f"{_display_name(upload)}: {m}" for m in exc.messages)
        self.accepted = cleaned
        if errors:
            raise ValidationError(errors)
        return cleaned


NO_ELECTRONIC = (
    "Hasil layanan ini tidak dapat diunduh sendiri: pilih diambil di kantor kelurahan atau "
    "dikirim kurir."
)


def offer_deliveries(field: forms.ChoiceField, *, electronic: bool) -> None:
    """The delivery choices a form offers: electronic only where the service allows it."""
    field.choices = [
        (value, label)
        for value, label in Delivery.choices
        if electronic or value != Delivery.ELECTRONIC
    ]
    field.error_messages = {**field.error_messages, "invalid_choice": NO_ELECTRONIC}
    if electronic:
        field.help_text = (
            "Diunduh sendiri: setelah surat terbit, pemohon mengunduh PDF surat dari tautan "
            "status pada tanda terima; unduhan pertama menyelesaikan permohonan."
        )


def _display_name(upload) -> str:
    name = (upload.name or "berkas").replace("\\", "/").rsplit("/", 1)[-1]
    return name[:60]


class ApplicationForm(PendingUploadsMixin, forms.Form):
    applicant_name = forms.CharField(label="Nama lengkap pemohon (sesuai KTP/KK)", max_length=120)
    nik = forms.CharField(
        label="NIK pemohon",
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    kk_number = forms.CharField(
        label="Nomor KK",
        max_length=24,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label="Nomor WhatsApp/telepon",
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label="Email (bila ada)", max_length=254, required=False)
    address = forms.CharField(
        label="Alamat",
        max_length=limits.ADDRESS_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": TOO_LONG},
    )
    rt = forms.ModelChoiceField(label="RT/RW tempat tinggal", queryset=RT.objects.none())
    purpose = forms.CharField(label="Keperluan", max_length=240, required=False)
    channel = forms.ChoiceField(
        label="Berkas diterima lewat", choices=Channel.choices, initial=Channel.WALK_IN
    )
    assisted_by = forms.CharField(
        label="Dibantu oleh (nama dan hubungan)",
        max_length=160,
        required=False,
        help_text="Isi bila warga dibantu tetangga atau Ketua RT, mis. 'Bu Sri, tetangga'.",
    )
    delivery = forms.ChoiceField(
        label="Hasil layanan",
        choices=Delivery.choices,
        initial=Delivery.PICKUP,
        widget=forms.RadioSelect,
    )
    delivery_address = forms.CharField(
        label="Alamat pengiriman kurir — wajib bila dikirim kurir",
        max_length=limits.ADDRESS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": TOO_LONG},
    )

    # The intake page's cards, in order: a heading ("" for none) and the fields in it. The
    # service's own questions follow the first card; the documents come last.
    SECTIONS = (
        (
            "Data pemohon",
            ("applicant_name", "nik", "kk_number", "phone", "email", "address", "rt", "purpose"),
        ),
        ("Jalur dan pengambilan hasil", ("channel", "assisted_by", "delivery", "delivery_address")),
    )
    # Optional fields whose label says when they are needed: no "(tidak wajib)" on them.
    NO_OPTIONAL_MARK = ("delivery_address",)
    # Who is recorded as having submitted for the resident (the RT chair's form sets it).
    assisted_by_user = None

    def __init__(self, *args, office, service: Service, variant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.office = office
        self.service = service
        self.variant = variant
        self.fields["rt"].queryset = RT.objects.filter(rw__office=office).select_related("rw")
        offer_deliveries(self.fields["delivery"], electronic=service.electronic_delivery)
        self.data_fields = list(service.data_fields.all())
        for data_field in self.data_fields:
            self.fields[self.data_field_name(data_field)] = catalogue.formfield(data_field)
        self.requirements = list(catalogue.requirements_for(service, variant))
        for requirement in self.requirements:
            self.fields[self.file_field_name(requirement)] = DocumentsField(
                label=requirement.label,
                required=False,
                help_text=requirement.help_text,
            )

    def sections(self) -> list[tuple[str, list]]:
        """``SECTIONS`` as bound fields, each with whether to hide its "(tidak wajib)"."""
        return [
            (heading, [(self[name], name in self.NO_OPTIONAL_MARK) for name in names])
            for heading, names in self.SECTIONS
        ]

    @staticmethod
    def file_field_name(requirement: Requirement) -> str:
        return f"berkas_{requirement.pk}"

    def file_fields(self):
        return [(r, self[self.file_field_name(r)]) for r in self.requirements]

    @staticmethod
    def data_field_name(data_field) -> str:
        return f"data_{data_field.code}"

    def extra_fields(self):
        """The service's own questions (bound fields), in order."""
        return [self[self.data_field_name(f)] for f in self.data_fields]

    def extra_data(self) -> dict:
        """The answers to the service's data fields, as stored in Application.extra."""
        answers = {}
        for data_field in self.data_fields:
            value = self.cleaned_data.get(self.data_field_name(data_field))
            if not catalogue.is_empty(value):
                answers[data_field.code] = catalogue.to_json(data_field, value)
        return answers

    def clean_nik(self) -> str:
        return validate_nik(self.cleaned_data["nik"])

    def clean_kk_number(self) -> str:
        value = self.cleaned_data["kk_number"]
        return validate_kk_number(value) if value.strip() else ""

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        if data.get("channel") == Channel.ASSISTED and not data.get("assisted_by", "").strip():
            self.add_error("assisted_by", "Tulis siapa yang membantu warga mengajukan.")
        if (
            data.get("delivery") == Delivery.COURIER
            and not data.get("delivery_address", "").strip()
        ):
            self.add_error("delivery_address", "Tulis alamat pengiriman untuk kurir.")
        return data

    def applicant_data(self) -> ApplicantData:
        d = self.cleaned_data
        return ApplicantData(
            applicant_name=d["applicant_name"].strip(),
            nik=d["nik"],
            kk_number=d["kk_number"],
            phone=d["phone"],
            email=d["email"],
            address=d["address"].strip(),
            rt_id=d["rt"].pk,
            purpose=d["purpose"].strip(),
            channel=d["channel"],
            assisted_by=d["assisted_by"].strip() if d["channel"] == Channel.ASSISTED else "",
            delivery=d["delivery"],
            delivery_address=d["delivery_address"].strip()
            if d["delivery"] == Delivery.COURIER
            else "",
        )

    def documents(self) -> dict[Requirement, list]:
        return {
            r: self.cleaned_data.get(self.file_field_name(r)) or []
            for r in self.requirements
            if self.cleaned_data.get(self.file_field_name(r))
        }


class UploadForm(PendingUploadsMixin, forms.Form):
    """A document added on the case page (a rejected one sent again): the same inspection,
    budget and decode-last as the intake; nothing is kept (``pending`` stays None)."""

    requirement = forms.ModelChoiceField(label="Persyaratan", queryset=Requirement.objects.none())
    files = DocumentsField(label="Berkas (foto atau PDF)", required=True)

    def __init__(self, *args, service: Service, variant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirement"].queryset = catalogue.requirements_for(service, variant)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Alasan",
        max_length=240,
        error_messages={
            "required": "Tulis alasannya, agar pemohon tahu apa yang harus diperbaiki."
        },
    )


class NoteForm(forms.Form):
    note = forms.CharField(label="Catatan", max_length=500, required=False)


class PlainSelect(forms.Select):
    """A flat select written in Python, the markup of Django's select.html without one
    template (and one option dict) per option: the queue's filters are on every queue page
    (issue 12). No option groups. The options are escaped with the standard library's
    ``html.escape`` (what Django's ``escape`` calls) and joined once: ``format_html`` per
    option, three lazy-aware escapes each, cost ~0.5 ms for the queue's ~45 options. The
    labels are plain text (a label marked safe would be escaped again)."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {"name": name, **self.build_attrs(self.attrs, attrs)}
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if key in chosen else ""}>'
            f"{escape(str(label))}</option>"
            for key, label in ((str(v), text) for v, text in self.choices)
        )
        safe_options = mark_safe(options)  # noqa: S308 - each key and label escaped above
        return format_html("<select{}>{}</select>", flatatt(attrs), safe_options)


class PlainSearchInput(forms.TextInput):
    """``<input type="search">`` written in Python, as input.html writes it."""

    input_type = "search"

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            shown,
            flatatt(widget["attrs"]),
        )


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            ("", "Semua yang masih berjalan"),
            ("all", "Semua status"),
            *ApplicationState.choices,
        ],
        widget=PlainSelect,
    )
    service = forms.ModelChoiceField(
        label="Layanan",
        required=False,
        queryset=Service.objects.all(),
        to_field_name="code",
        empty_label="Semua layanan",
        widget=PlainSelect,
    )
    rt = forms.ModelChoiceField(
        label="RT",
        required=False,
        queryset=RT.objects.none(),
        empty_label="Semua RT",
        widget=PlainSelect,
    )
    q = forms.CharField(
        label="Cari kode, nama, nomor HP atau NIK",
        required=False,
        max_length=60,
        widget=PlainSearchInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        # The fields validate against their querysets (one query for a chosen value); the
        # widgets print plain rows read when the form is drawn, not a model instance per
        # option (ModelChoiceIterator). The labels are the models' __str__.
        self.fields["rt"].queryset = RT.objects.filter(rw__office=office)
        self.fields["service"].widget.choices = RowChoices(
            "Semua layanan",
            lambda: ((code, f"{code} — {name}") for code, name in service_rows()),
        )
        self.fields["rt"].widget.choices = RowChoices(
            "Semua RT",
            lambda: ((pk, f"RT {n:03d}/RW {rw:03d}") for pk, n, rw in rt_rows(office)),
        )


class RowChoices(BaseChoiceIterator):
    """A select's choices: the empty choice, then ``rows()``, read only when iterated past
    the first (as ModelChoiceIterator: a select's required check looks at the first only)."""

    def __init__(self, empty_label: str, rows):
        self.empty_label = empty_label
        self.rows = rows

    def __iter__(self):
        yield "", self.empty_label
        yield from self.rows()


# The filter's two lists, on every queue page: their SQL cost ten times more to build than
# to run (kelurahan.prepared.PreparedRows), so it is built once per connection.
_service_rows = PreparedRows(Service, lambda: Service.objects.values_list("code", "name"))
# An office pk no office has, within every backend's integer range.
_OFFICE_PLACEHOLDER = -1_987_654_321
_rt_rows = PreparedRows(
    RT,
    lambda office_id: RT.objects.filter(rw__office_id=office_id).values_list(
        "pk", "number", "rw__number"
    ),
    office_id=_OFFICE_PLACEHOLDER,
)


def service_rows() -> list[tuple[str, str]]:
    """``(code, name)`` of every service, in the model's order (the queue's filter)."""
    return _service_rows.rows()


def rt_rows(office) -> list[tuple[int, int, int]]:
    """``(pk, number, rw number)`` of the office's RTs, in the model's order."""
    return _rt_rows.rows(office_id=office.pk)


class NikSearchForm(forms.Form):
    nik = forms.CharField(label="Cari NIK", max_length=24)

    def clean_nik(self) -> str:
        return validate_nik(self.cleaned_data["nik"])


class HandOverForm(forms.Form):
    # What the officer records; an electronic case completes by the resident's download
    # (services.public), though the officer may still record a pickup.
    method = forms.ChoiceField(
        label="Cara penyerahan",
        choices=[c for c in Delivery.choices if c[0] != Delivery.ELECTRONIC],
        widget=forms.RadioSelect,
    )
    # Which fields are needed depends on the method, so none is required on its own: the
    # labels say when each is needed and clean() asks for it.
    received_by = forms.CharField(
        label="Diambil oleh (nama dan hubungan) — wajib bila diambil",
        max_length=160,
        required=False,
    )
    courier_name = forms.CharField(
        label="Nama kurir — wajib bila dikirim kurir", max_length=120, required=False
    )
    courier_receipt = forms.CharField(
        label="Nomor resi — wajib bila dikirim kurir", max_length=60, required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("method") == Delivery.PICKUP and not data.get("received_by", "").strip():
            self.add_error("received_by", "Tulis nama orang yang mengambil surat.")
        if data.get("method") == Delivery.COURIER:
            for name in ("courier_name", "courier_receipt"):
                if not data.get(name, "").strip():
                    self.add_error(name, "Wajib diisi bila surat dikirim lewat kurir.")
        return data


class CorrectionForm(forms.Form):
    """Corrected applicant data, prefilled from the case; the workflow writes what differs."""

    applicant_name = ApplicationForm.base_fields["applicant_name"]
    nik = ApplicationForm.base_fields["nik"]
    kk_number = ApplicationForm.base_fields["kk_number"]
    phone = ApplicationForm.base_fields["phone"]
    email = ApplicationForm.base_fields["email"]
    address = forms.CharField(
        label="Alamat", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    rt = forms.ModelChoiceField(label="RT/RW tempat tinggal", queryset=RT.objects.none())
    purpose = ApplicationForm.base_fields["purpose"]
    delivery = ApplicationForm.base_fields["delivery"]
    delivery_address = forms.CharField(
        label="Alamat pengiriman kurir",
        max_length=500,
        required=False,
        help_text="Wajib bila hasil layanan dikirim kurir.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label="Alasan koreksi",
        max_length=240,
        help_text="Mis. salah ketik nama saat pencatatan; pemohon pindah ke RT 002.",
        error_messages={"required": "Tulis alasan koreksi."},
    )
    # The case as the page showed it: a case changed since then is refused (stale page).
    version = forms.DateTimeField(widget=forms.HiddenInput)

    clean_nik = ApplicationForm.clean_nik
    clean_kk_number = ApplicationForm.clean_kk_number
    clean_phone = ApplicationForm.clean_phone

    def __init__(self, *args, application, **kwargs):
        kwargs.setdefault("auto_id", "koreksi_%s")
        super().__init__(*args, **kwargs)
        self.application = application
        self.fields["rt"].queryset = RT.objects.filter(
            rw__office_id=application.office_id
        ).select_related("rw")
        # Electronic where the service allows it, or where the case already has it.
        offer_deliveries(
            self.fields["delivery"],
            electronic=application.service.electronic_delivery
            or application.delivery == Delivery.ELECTRONIC,
        )
        # The service's variants and data fields from the process's catalogue (no query).
        service_catalogue = catalogue.catalogue(application.service)
        variants = service_catalogue.active_variants()
        if variants:
            # The requirements follow the variant, so it changes only before the archive.
            empty_label = None if application.variant_id else "— pilih —"
            self.fields["variant"] = forms.ModelChoiceField(
                label="Jenis permohonan",
                queryset=application.service.variants.filter(pk__in=[v.pk for v in variants]),
                initial=application.variant_id,
                empty_label=empty_label,
                disabled=application.state not in EDITABLE_STATES,
                help_text="Dapat diganti sebelum diarsipkan; persyaratannya ikut berganti.",
            )
            # Shown from the same variants (the queryset still validates a posted choice).
            self.fields["variant"].widget.choices = [
                *([("", empty_label)] if empty_label is not None else []),
                *((v.pk, str(v)) for v in variants),
            ]
        # The service's own data fields (SITU: nama usaha), corrected like the rest.
        self.data_fields = list(service_catalogue.data_fields)
        for data_field in self.data_fields:
            self.fields[self.extra_name(data_field)] = catalogue.formfield(data_field)
        if not self.is_bound:
            self.initial = {
                **{name: getattr(application, name) for name in self.changes_fields()},
                **{
                    self.extra_name(f): (application.extra or {}).get(f.code, "")
                    for f in self.data_fields
                },
                "rt": application.rt_id,
                "version": application.updated_at.isoformat(),
            }

    @staticmethod
    def extra_name(data_field) -> str:
        return f"data_{data_field.code}"

    def extra_fields(self):
        return [self[self.extra_name(f)] for f in self.data_fields]

    @staticmethod
    def changes_fields() -> list[str]:
        return [
            "applicant_name",
            "nik",
            "kk_number",
            "phone",
            "email",
            "address",
            "purpose",
            "delivery",
            "delivery_address",
        ]

    def clean(self):
        data = super().clean()
        if (
            data.get("delivery") == Delivery.COURIER
            and not data.get("delivery_address", "").strip()
        ):
            self.add_error("delivery_address", "Tulis alamat pengiriman untuk kurir.")
        return data

    def changes(self) -> dict:
        changes = {
            **{name: self.cleaned_data[name] for name in self.changes_fields()},
            "rt": self.cleaned_data["rt"],
        }
        if "variant" in self.fields:
            changes["variant"] = self.cleaned_data["variant"]
        if self.data_fields:
            changes["extra"] = {
                f.code: self.cleaned_data.get(self.extra_name(f)) for f in self.data_fields
            }
        return changes


class ReopenForm(forms.Form):
    """A supervisor reopens an RT rejection, moving the case to another RT if needed."""

    rt = forms.ModelChoiceField(
        label="Kirim ke RT",
        queryset=RT.objects.none(),
        help_text="Ganti bila pemohon ternyata warga RT lain (mis. “pindah ke RT 002”).",
    )
    reason = forms.CharField(
        label="Alasan membuka kembali",
        max_length=240,
        error_messages={"required": "Tulis alasan membuka kembali permohonan ini."},
    )
    note = forms.CharField(
        label="Catatan untuk Ketua RT",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, application, **kwargs):
        kwargs.setdefault("auto_id", "buka_%s")
        super().__init__(*args, **kwargs)
        self.fields["rt"].queryset = RT.objects.filter(
            rw__office_id=application.office_id
        ).select_related("rw")
        self.fields["rt"].initial = application.rt_id


class ChartRangeForm(forms.Form):
    """The charts' date range (GET ``dari``, ``sampai``); empty: the last eight weeks."""

    MAX_DAYS = 366
    DATE_MESSAGES = {"invalid": "Tanggal tidak dikenali. Pilih tanggal dari kalender."}

    dari = forms.DateField(
        label="Dari tanggal",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=DATE_MESSAGES,
    )
    sampai = forms.DateField(
        label="Sampai tanggal",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=DATE_MESSAGES,
    )

    def __init__(self, data=None, *, today):
        self.today = today
        self.default = DateRange.default(today)
        super().__init__(data, initial={"dari": self.default.start, "sampai": self.default.end})

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        start = data.get("dari") or self.default.start
        end = data.get("sampai") or self.today
        if end > self.today:
            self.add_error("sampai", "Tanggal akhir tidak boleh setelah hari ini.")
        elif start > end:
            self.add_error("dari", "Tanggal awal harus sebelum atau sama dengan tanggal akhir.")
        elif (end - start).days + 1 > self.MAX_DAYS:
            self.add_error("dari", "Rentang tanggal paling panjang satu tahun (366 hari).")
        else:
            data["period"] = DateRange(start, end)
        return data

    @property
    def period(self):
        """The range asked for, or the default one when the form has errors."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["period"]
        return self.default
