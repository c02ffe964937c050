from django.contrib import admin

from .models import IndicatorTemplate


@admin.register(IndicatorTemplate)
class IndicatorTemplateAdmin(admin.ModelAdmin):
    """The indicator library: an admin adds or adjusts the models that
    pre-fill the indicator rows of the commitment page."""

    list_display = ("label", "kind", "value_type", "unit", "direction", "computation", "position")
    list_filter = ("kind", "value_type")
    search_fields = ("label", "description")
    list_editable = ("position",)
