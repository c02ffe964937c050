from django.contrib import admin

from diagnostics.models import Diagnostic, GridObjective, GridQuestion


@admin.register(GridQuestion)
class GridQuestionAdmin(admin.ModelAdmin):
    list_display = ["label", "section", "position", "active"]
    list_filter = ["section", "active"]
    list_editable = ["position", "active"]
    search_fields = ["label"]


@admin.register(GridObjective)
class GridObjectiveAdmin(admin.ModelAdmin):
    list_display = ["label", "theme", "position"]
    list_editable = ["position"]


@admin.register(Diagnostic)
class DiagnosticAdmin(admin.ModelAdmin):
    list_display = ["title", "scope", "region", "status", "updated_at"]
    list_filter = ["scope", "status", "region"]
    search_fields = ["title"]
    raw_id_fields = ["ght", "legal_entity", "created_by"]
