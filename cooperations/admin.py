from django.contrib import admin

from cooperations.models import (
    Category,
    CooperationStructure,
    Department,
    Establishment,
    ImportRun,
    LegalEntity,
    LegalStatus,
    Membership,
    Region,
    RegisterEngagement,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region")
    list_filter = ("region",)
    search_fields = ("code", "name")


@admin.register(LegalStatus)
class LegalStatusAdmin(admin.ModelAdmin):
    list_display = ("code", "label", "sector")
    list_filter = ("sector",)
    search_fields = ("code", "label")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "label")
    search_fields = ("code", "label")


class EstablishmentInline(admin.TabularInline):
    model = Establishment
    fields = ("finess", "name", "category", "department", "commune_name")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(LegalEntity)
class LegalEntityAdmin(admin.ModelAdmin):
    list_display = ("finess", "name", "legal_status", "department", "region", "closed_on")
    list_filter = ("region", "legal_status__sector")
    list_select_related = ("legal_status", "department", "region")
    search_fields = ("finess", "name")
    autocomplete_fields = ("legal_status", "department")
    inlines = [EstablishmentInline]


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ("finess", "name", "legal_entity", "category", "department", "commune_name", "closed_on")
    list_filter = ("region", "category")
    list_select_related = ("legal_entity", "category", "department")
    search_fields = ("finess", "name", "legal_entity__finess", "legal_entity__name", "commune_name")
    autocomplete_fields = ("legal_entity", "category", "department")


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ("legal_entity", "establishment")
    extra = 0


@admin.register(CooperationStructure)
class CooperationStructureAdmin(admin.ModelAdmin):
    list_display = ("short_code", "name", "kind", "family", "region", "composition_source")
    list_filter = ("kind", "family", "region", "composition_source")
    list_select_related = ("region",)
    search_fields = ("name", "code", "short_code", "finess")
    readonly_fields = ("family", "created_at", "updated_at", "updated_by")
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RegisterEngagement)
class RegisterEngagementAdmin(admin.ModelAdmin):
    list_display = ("register_id", "legal_entity", "establishment", "kind", "subtype", "effective_date", "end_date")
    list_filter = ("kind", "subtype")
    list_select_related = ("legal_entity", "establishment")
    search_fields = ("register_id", "legal_entity__finess", "legal_entity__name")
    raw_id_fields = ("legal_entity", "establishment")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Read-only trace of the uploads; files are uploaded from the Imports page."""

    list_display = ("created_at", "original_name", "register", "status", "created_by")
    list_filter = ("register", "status")
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False
