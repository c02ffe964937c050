from django.contrib import admin

from cpom.models import IndicatorTemplate
from indicators.models import Campaign, ConsistencyThreshold, InputImport


@admin.register(IndicatorTemplate)
class IndicatorTemplateAdmin(admin.ModelAdmin):
    """The indicator library: an admin adds or adjusts the models that
    pre-fill the indicator rows of the commitment page."""

    list_display = ("label", "kind", "value_type", "unit", "direction", "computation", "position")
    list_filter = ("kind", "value_type")
    search_fields = ("label", "description")
    list_editable = ("position",)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("__str__", "opens_on", "closes_on", "corrections_until", "reminder_sent_on")
    list_filter = ("region", "year")
    filter_horizontal = ("cpoms",)


@admin.register(InputImport)
class InputImportAdmin(admin.ModelAdmin):
    """Imports are made through their page or command (whole or nothing); here they are only read."""

    list_display = ("__str__", "original_name", "rows", "status", "created_at")
    list_filter = ("kind", "status")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ConsistencyThreshold)
class ConsistencyThresholdAdmin(admin.ModelAdmin):
    """The thresholds of the consistency checks, per library template or per indicator (indicators.checks)."""

    list_display = ("__str__", "template", "indicator", "jump", "target_gap")
    raw_id_fields = ("indicator",)
    search_fields = ("template__label", "indicator__label")
