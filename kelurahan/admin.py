from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from kelurahan import two_factor
from kelurahan.closed_days import notify_changes
from kelurahan.models import (
    RT,
    RW,
    Kecamatan,
    Membership,
    Office,
    OfficeClosedDay,
    Oversight,
    OversightRole,
    Role,
)

User = get_user_model()


def group_label(group: Group) -> str:
    """A role group by its Indonesian name; the stored name stays the code the roles use."""
    for choices in (Role, OversightRole):
        try:
            return f"{choices(group.name).label} ({group.name})"
        except ValueError:
            continue
    return group.name


class GroupChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Group) -> str:
        return group_label(obj)


class RWInline(admin.TabularInline):
    model = RW
    extra = 0


class ClosedDayInline(admin.TabularInline):
    model = OfficeClosedDay
    extra = 1
    ordering = ["-date"]


def _closed_day_changes(old: OfficeClosedDay | None, new: OfficeClosedDay) -> dict:
    """What a saved closed day changed, for the deadline recompute (nothing: reason only)."""
    if old is None:
        return {"added": [(new.office_id, new.date)]}
    if old.office_id != new.office_id:
        return {"added": [(new.office_id, new.date)], "removed": [(old.office_id, old.date)]}
    if old.date != new.date:
        return {"moved": [(new.office_id, old.date, new.date)]}
    return {}


@admin.register(Kecamatan)
class KecamatanAdmin(admin.ModelAdmin):
    list_display = ["name", "city"]
    search_fields = ["name", "city"]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kecamatan", "city", "lurah_name"]
    list_filter = ["kecamatan_ref__city", "kecamatan_ref"]
    list_select_related = ["kecamatan_ref"]
    search_fields = ["code", "name", "kecamatan", "city"]
    autocomplete_fields = ["kecamatan_ref"]
    inlines = [RWInline, ClosedDayInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "kecamatan_ref", "address", "phone"]}),
        ("Lurah", {"fields": ["lurah_name", "lurah_nip"]}),
        (
            "Penanda tangan surat",
            {
                "fields": [
                    "signatory_form",
                    "signatory_name",
                    "signatory_title",
                    "signatory_nip",
                ],
                "description": "Kosongkan bentuk tanda tangan bila Lurah menandatangani sendiri.",
            },
        ),
        ("Kop dan nomor surat", {"fields": ["logo", "letterhead", "letter_counter_per_service"]}),
        ("Pengaduan", {"fields": ["complaints_public_list"]}),
        ("Maklumat Pelayanan", {"fields": ["maklumat"]}),
        (
            "Pelindungan data pribadi (UU PDP)",
            {
                "fields": ["dpo_name", "dpo_contact"],
                "description": "Tampil di pemberitahuan privasi untuk warga (/privasi/).",
            },
        ),
    ]

    def save_formset(self, request, form, formset, change):
        if formset.model is not OfficeClosedDay:
            return super().save_formset(request, form, formset, change)
        # The dates as stored before this save (a changed row's instance holds the new one).
        before = {f.instance.pk: f.initial.get("date") for f in formset.initial_forms}
        super().save_formset(request, form, formset, change)
        notify_changes(
            by=request.user,
            added=[(obj.office_id, obj.date) for obj in formset.new_objects],
            removed=[(obj.office_id, obj.date) for obj in formset.deleted_objects],
            moved=[
                (obj.office_id, before[obj.pk], obj.date)
                for obj, fields in formset.changed_objects
                if "date" in fields and before.get(obj.pk)
            ],
        )


class RTInline(admin.TabularInline):
    model = RT
    extra = 0
    fields = ["number", "chair"]
    readonly_fields = ["chair"]


@admin.register(RW)
class RWAdmin(admin.ModelAdmin):
    list_display = ["__str__", "office"]
    list_filter = ["office"]
    list_select_related = ["office"]
    inlines = [RTInline]


@admin.register(RT)
class RTAdmin(admin.ModelAdmin):
    list_display = ["__str__", "office_name", "chair"]
    list_filter = ["rw__office"]
    list_select_related = ["rw__office", "chair"]
    search_fields = ["chair__username", "chair__first_name", "chair__last_name"]
    # The chair is set on the user's membership (role Ketua RT + RT), so the two never disagree.
    readonly_fields = ["chair"]

    @admin.display(description="kantor", ordering="rw__office__name")
    def office_name(self, obj: RT) -> str:
        return obj.rw.office.name


@admin.register(Oversight)
class OversightAdmin(admin.ModelAdmin):
    """Camat and city supervisors: read-only oversight of several offices, set here for a user
    without a membership (a user has one or the other; ``Oversight.clean`` refuses both)."""

    list_display = ["user", "role", "kecamatan", "city"]
    list_filter = ["role", "city"]
    list_select_related = ["user", "kecamatan"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "city"]
    autocomplete_fields = ["kecamatan"]


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    fk_name = "user"
    autocomplete_fields = []
    verbose_name_plural = "kantor dan peran"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "rt":
            kwargs["queryset"] = RT.objects.select_related("rw__office")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


admin.site.unregister(User)
# Devices are reset from the user (the action below), never edited: the admin shows no key.
admin.site.unregister(TOTPDevice)

STAFF_WARNING = (
    "Peringatan: status staf saja tidak membuka halaman admin ini. Admin hanya untuk superuser "
    "(pengelola sistem). Jangan centang untuk petugas, Lurah atau Ketua RT: pekerjaan mereka "
    "ada di portal, terbatas pada kantor atau RT-nya."
)
SUPERUSER_WARNING = (
    "Peringatan: superuser melihat dan mengubah data semua kantor, termasuk NIK dan nomor KK "
    "warga, dan wajib memakai verifikasi dua langkah. Berikan hanya kepada pengelola sistem."
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "full_name", "office", "role", "is_active", "is_staff"]
    list_filter = ["membership__office", "membership__role", "is_active", "is_staff"]
    list_select_related = ["membership__office"]
    actions = ["reset_second_factor"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name, warning in (("is_staff", STAFF_WARNING), ("is_superuser", SUPERUSER_WARNING)):
            if name in form.base_fields:
                form.base_fields[name].help_text = warning
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.is_superuser:
            messages.warning(request, f"{obj.username}: {SUPERUSER_WARNING}")
        elif obj.is_staff:
            messages.warning(request, f"{obj.username}: {STAFF_WARNING}")

    @admin.action(description="Atur ulang verifikasi dua langkah (ponsel hilang/diganti)")
    def reset_second_factor(self, request, queryset):
        two_factor.devices_reset(users=queryset, by=request.user)
        self.message_user(
            request,
            f"Verifikasi dua langkah {queryset.count()} pengguna diatur ulang: pada login "
            "berikutnya mereka mendaftarkan ponsel baru.",
            messages.SUCCESS,
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["form_class"] = GroupChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="nama lengkap", ordering="first_name")
    def full_name(self, obj) -> str:
        return obj.get_full_name()

    @admin.display(description="kantor", ordering="membership__office__code")
    def office(self, obj) -> str:
        membership = getattr(obj, "membership", None)
        return membership.office.code if membership else "—"

    @admin.display(description="peran", ordering="membership__role")
    def role(self, obj) -> str:
        membership = getattr(obj, "membership", None)
        return membership.get_role_display() if membership else "—"


@admin.register(OfficeClosedDay)
class OfficeClosedDayAdmin(admin.ModelAdmin):
    """Adding, moving or removing a closed day re-plans the office's open deadlines (a job)."""

    list_display = ["date", "office", "reason"]
    list_filter = ["office"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        old = OfficeClosedDay.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        notify_changes(by=request.user, **_closed_day_changes(old, obj))

    def delete_model(self, request, obj):
        removed = [(obj.office_id, obj.date)]
        super().delete_model(request, obj)
        notify_changes(by=request.user, removed=removed)

    def delete_queryset(self, request, queryset):
        removed = list(queryset.values_list("office_id", "date"))
        super().delete_queryset(request, queryset)
        notify_changes(by=request.user, removed=removed)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    list_display = ["label", "name"]

    @admin.display(description="peran", ordering="name")
    def label(self, obj: Group) -> str:
        return group_label(obj)
