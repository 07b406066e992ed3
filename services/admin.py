from django.contrib import admin, messages

from services.models import Requirement, Service


class RequirementInline(admin.TabularInline):
    model = Requirement
    extra = 0
    fields = ["order", "code", "label", "kind", "required", "help_text"]
    ordering = ["order", "id"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active", "sla_days", "requirement_count", "order"]
    list_editable = ["active", "order"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    inlines = [RequirementInline]
    actions = ["activate", "deactivate"]

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
