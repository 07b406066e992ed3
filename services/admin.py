import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format

from kelurahan.admin import OfficeAdmin as BaseOfficeAdmin
from kelurahan.models import Office
from services import workflow
from services.documents.cleaning import UploadRejected, clean_upload
from services.documents.serving import log_access
from services.models import (
    QUEUE_LAST,
    Application,
    ApplicationEvent,
    ApplicationState,
    Attachment,
    Complaint,
    ComplaintBreach,
    ComplaintDeadline,
    ComplaintEvent,
    DataBreach,
    Letter,
    MessageTemplate,
    Requirement,
    ResidentMessage,
    Service,
    ServiceField,
    ServiceVariant,
    SlaBreach,
    SurveyResponse,
)
from services.pdp.export import export_zip, person_export
from services.workflow import WorkflowError


class VariantInline(admin.TabularInline):
    model = ServiceVariant
    extra = 0
    fields = ["order", "code", "name", "description", "active"]
    ordering = ["order", "id"]


class DataFieldInline(admin.TabularInline):
    model = ServiceField
    extra = 0
    fields = [
        "order",
        "code",
        "label",
        "kind",
        "required",
        "max_length",
        "choices",
        "help_text",
        "on_letter",
    ]
    ordering = ["order", "id"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2})}}


class RequirementInline(admin.TabularInline):
    model = Requirement
    extra = 0
    fields = ["order", "code", "label", "kind", "required", "help_text", "variants"]
    ordering = ["order", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("variants")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "variants":
            # Only this service's variants (a new one can be ticked after the first save).
            service_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = (
                ServiceVariant.objects.filter(service_id=service_id)
                if service_id
                else ServiceVariant.objects.none()
            )
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def _posted_field_codes(request) -> list[str] | None:
    """The data-field codes the admin is saving with the service (the inline's rows, minus
    those ticked for deletion), or None when the request carries no such inline."""
    prefix = DataFieldInline.model._meta.get_field("service").remote_field.get_accessor_name()
    try:
        total = min(int(request.POST[f"{prefix}-TOTAL_FORMS"]), 1000)
    except (KeyError, ValueError):
        return None
    return [
        code
        for i in range(total)
        if not request.POST.get(f"{prefix}-{i}-DELETE")
        and (code := request.POST.get(f"{prefix}-{i}-code", "").strip())
    ]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active", "sla_days", "requirement_count", "order"]
    list_editable = ["active", "order"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    inlines = [VariantInline, DataFieldInline, RequirementInline]
    actions = ["activate", "deactivate"]
    fieldsets = [
        (None, {"fields": ["code", "name", "description", "output", "active", "order"]}),
        ("Janji layanan", {"fields": ["sla_days", "fee", "rt_approval_replaces_cover_letter"]}),
        ("Penyerahan hasil", {"fields": ["electronic_delivery"]}),
        (
            "Surat hasil layanan",
            {"fields": ["classification", "number_pattern", "letter_title", "letter_body"]},
        ),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        codes = _posted_field_codes(request) if request.method == "POST" else None
        if codes is None:
            return form

        class WithPostedFields(form):
            def _post_clean(self):
                # Service.clean checks the body's placeholders against these codes, so a new
                # data field and the body that uses it are saved together.
                self.instance.pending_field_codes = codes
                super()._post_clean()

        return WithPostedFields

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_requirements=Count("requirements"))

    @admin.display(description="jumlah persyaratan", ordering="_requirements")
    def requirement_count(self, obj: Service) -> int:
        return obj._requirements

    @admin.action(description="Aktifkan layanan terpilih")
    def activate(self, request, queryset):
        count = queryset.update(active=True)
        self.message_user(request, f"{count} layanan diaktifkan.", messages.SUCCESS)

    @admin.action(description="Nonaktifkan layanan terpilih")
    def deactivate(self, request, queryset):
        count = queryset.update(active=False)
        self.message_user(request, f"{count} layanan dinonaktifkan.", messages.SUCCESS)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def state_label(code: str) -> str:
    return ApplicationState(code).label if code in ApplicationState.values else (code or "—")


class EventInline(ReadOnlyInline):
    """The case's history as officers read it: the step's name, not its code."""

    model = ApplicationEvent
    fields = ["at", "step", "from_state", "to_state", "by", "note"]
    readonly_fields = fields
    ordering = ["at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description="langkah")
    def step(self, obj: ApplicationEvent) -> str:
        return obj.label

    @admin.display(description="dari status")
    def from_state(self, obj: ApplicationEvent) -> str:
        return state_label(obj.source)

    @admin.display(description="ke status")
    def to_state(self, obj: ApplicationEvent) -> str:
        return state_label(obj.target)


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = [
        "requirement",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "verdict",
        "verdict_reason",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requirement")


class ReadOnlyFieldsMixin:
    """Rows written only by the workflow and its jobs: the admin shows, never edits them."""

    # Columns that exist for queries (generated flags, sort keys), not for reading; and
    # displays that stand in for them.
    internal_fields: tuple[str, ...] = ()
    extra_readonly: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        shown = [f.name for f in self.model._meta.fields if f.name not in self.internal_fields]
        return [*shown, *self.extra_readonly]

    def has_add_permission(self, request):
        return False


class AccessLoggedMixin:
    """Opening a row that shows a resident's data in the admin is written to the access log.

    ``logged_application_id(obj)`` names the case the row belongs to (None: nothing to log).
    """

    access_action = "admin_view"

    def logged_application_id(self, obj) -> int | None:
        return getattr(obj, "application_id", None)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        context = getattr(response, "context_data", None) or {}
        obj = context.get("original")
        application_id = self.logged_application_id(obj) if obj is not None else None
        if request.method == "GET" and response.status_code == 200 and application_id:
            log_access(user=request.user, application_id=application_id, action=self.access_action)
        return response


@admin.register(Application)
class ApplicationAdmin(AccessLoggedMixin, ReadOnlyFieldsMixin, admin.ModelAdmin):
    """Read-mostly: the history inline; state changes only through services.workflow."""

    list_display = ["code", "service", "state", "applicant_name", "office", "received_at"]
    internal_fields = ("is_open", "queue_due")
    extra_readonly = ("next_due",)
    list_filter = ["state", "service", "office", "channel"]
    list_select_related = ["service", "office"]
    search_fields = ["code", "applicant_name"]
    date_hierarchy = "received_at"
    inlines = [AttachmentInline, EventInline]
    actions = ["archive", "cancel", "pdp_export"]

    def logged_application_id(self, obj) -> int | None:
        return obj.pk

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="batas tahap berikutnya")
    def next_due(self, obj: Application) -> str:
        if obj.queue_due is None or obj.queue_due == QUEUE_LAST:
            return "— (jam layanan tidak berjalan)"
        return date_format(timezone.localtime(obj.queue_due), "l, j F Y H:i")

    def _apply(self, request, queryset, step, done: str, **kwargs):
        ok = 0
        for application in queryset:
            try:
                step(application=application, by=request.user, **kwargs)
                ok += 1
            except WorkflowError as exc:
                self.message_user(request, f"{application.code}: {exc.message}", messages.ERROR)
        if ok:
            self.message_user(request, f"{ok} permohonan {done}.", messages.SUCCESS)

    @admin.action(description="Arsipkan permohonan terpilih (bila lengkap)")
    def archive(self, request, queryset):
        self._apply(request, queryset, workflow.application_archive, "diarsipkan")

    @admin.action(description="Ekspor data pribadi pemohon (UU PDP, satu permohonan dipilih)")
    def pdp_export(self, request, queryset):
        """Everything held about the selected case's applicant, by NIK, as a zip."""
        cases = list(queryset[:2])
        if len(cases) != 1:
            self.message_user(
                request, "Pilih tepat satu permohonan untuk ekspor data pribadi.", messages.ERROR
            )
            return None
        case = cases[0]
        if not case.nik:
            self.message_user(request, "Data pribadi permohonan ini sudah dihapus.", messages.ERROR)
            return None
        zipped = export_zip(person_export(nik=case.nik, by=request.user))
        response = HttpResponse(zipped, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="data-pribadi-{case.code}.zip"'
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(description="Batalkan permohonan terpilih")
    def cancel(self, request, queryset):
        self._apply(
            request,
            queryset,
            workflow.application_cancel,
            "dibatalkan",
            reason="Dibatalkan oleh admin",
        )


@admin.register(Letter)
class LetterAdmin(AccessLoggedMixin, ReadOnlyFieldsMixin, admin.ModelAdmin):
    """Issued letters are immutable; revoke or re-issue from the case page."""

    list_display = ["number", "kind", "office", "issued_at", "revoked_at"]
    list_filter = ["kind", "office", "revoked_at"]
    list_select_related = ["office"]
    search_fields = ["number", "application__code"]
    date_hierarchy = "issued_at"

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DataBreach)
class DataBreachAdmin(admin.ModelAdmin):
    """The UU PDP breach register: notify subjects and the agency within 3 × 24 hours."""

    list_display = [
        "title",
        "office",
        "discovered_at",
        "notify_due",
        "subjects_notified_at",
        "agency_notified_at",
    ]
    list_filter = ["office"]
    date_hierarchy = "discovered_at"
    readonly_fields = ["notify_due", "recorded_by", "warned_at", "overdue_at", "notice"]
    fields = [
        "title",
        "office",
        "discovered_at",
        "occurred",
        "data_affected",
        "subjects_count",
        "remedy",
        "notify_due",
        "subjects_notified_at",
        "agency_notified_at",
        "recorded_by",
        "warned_at",
        "overdue_at",
        "notice",
    ]

    @admin.display(description="naskah pemberitahuan (salin ke surat)")
    def notice(self, obj: DataBreach) -> str:
        return obj.notice_text() if obj.pk else "—"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaBreach)
class SlaBreachAdmin(ReadOnlyFieldsMixin, admin.ModelAdmin):
    list_display = ["application", "milestone", "due", "detected"]
    list_filter = ["milestone", "application__office"]
    list_select_related = ["application"]
    date_hierarchy = "detected"


@admin.register(ComplaintDeadline)
class ComplaintDeadlineAdmin(admin.ModelAdmin):
    """Working days per kind of report (SP4N-LAPOR!: verify 3, answer 5). A change applies
    to reports received (verify) or verified (answer) after it."""

    list_display = ["kind", "verify_days", "answer_days"]
    list_editable = ["verify_days", "answer_days"]
    readonly_fields = ["kind"]

    def has_add_permission(self, request):
        return False  # one per kind, seeded by a migration

    def has_delete_permission(self, request, obj=None):
        return False


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    fields = ["at", "by", "transition", "source", "target", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyFieldsMixin, admin.ModelAdmin):
    """Read only: complaints move through services.complaints (the staff's Pengaduan page)."""

    internal_fields = ("is_open", "queue_due")
    list_display = ["code", "office", "kind", "state", "received_at", "verify_due", "answer_due"]
    list_filter = ["state", "kind", "office", "held", "published"]
    list_select_related = ["office"]
    search_fields = ["code", "lapor_ref"]
    date_hierarchy = "received_at"
    inlines = [ComplaintEventInline]


@admin.register(ComplaintBreach)
class ComplaintBreachAdmin(ReadOnlyFieldsMixin, admin.ModelAdmin):
    list_display = ["complaint", "milestone", "due", "detected"]
    list_filter = ["milestone", "complaint__office"]
    list_select_related = ["complaint"]
    date_hierarchy = "detected"


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """The text residents receive at each step; an unknown placeholder is refused by the
    field's validator (services.models.messages.validate_placeholders)."""

    list_display = ["step", "active", "updated_at"]
    readonly_fields = ["step"]
    fields = ["step", "text", "active"]

    def has_add_permission(self, request):
        return False  # one per step, seeded by a migration

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ResidentMessage)
class ResidentMessageAdmin(AccessLoggedMixin, ReadOnlyFieldsMixin, admin.ModelAdmin):
    """The outbox as written by the workflow; sent from the case page or by a job."""

    list_display = [
        "created_at",
        "office",
        "application",
        "step",
        "channel",
        "state",
        "attempts",
        "last_error",
        "sent_at",
    ]
    list_filter = ["state", "channel", "step", "office", "sent_at"]
    list_select_related = ["office", "application"]
    search_fields = ["application__code"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None):
        return False


# --- the office logo -----------------------------------------------------------------------------
# The kop of every letter prints it. It is cleaned like any upload
# (services.documents.cleaning: real type from the content, pixel limits, re-encoded without
# metadata or trailing bytes) and stored under a random name. This lives here, not in
# kelurahan/admin.py, because kelurahan imports no app.
LOGO_NOT_IMAGE = "Logo harus berupa gambar JPG, PNG atau WebP (bukan PDF, SVG atau berkas lain)."


class OfficeForm(forms.ModelForm):
    logo = forms.FileField(
        label="logo",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text="Lambang daerah untuk kop surat: JPG, PNG atau WebP, latar putih.",
    )

    class Meta:
        model = Office
        fields = "__all__"  # noqa: DJ007 - the fields are OfficeAdmin's fieldsets

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not isinstance(upload, UploadedFile):
            return upload  # unchanged (the stored file) or cleared (False)
        try:
            clean = clean_upload(upload)
        except UploadRejected as exc:
            if exc.code in ("wrong_type", "extension_mismatch", "heic"):
                raise ValidationError(LOGO_NOT_IMAGE, code="not_image") from exc
            raise ValidationError(exc.messages) from exc
        if not clean.content_type.startswith("image/"):
            raise ValidationError(LOGO_NOT_IMAGE, code="not_image")
        return SimpleUploadedFile(f"{uuid.uuid4()}.jpg", clean.content, "image/jpeg")


admin.site.unregister(Office)


@admin.register(Office)
class OfficeAdmin(BaseOfficeAdmin):
    form = OfficeForm


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    """Read-only, and without the case: a response is never shown next to a code or a name."""

    list_display = ["created_at", "office", "service", "channel"]
    list_filter = ["office", "service", "channel"]
    list_select_related = ["office", "service"]
    exclude = ["application"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
