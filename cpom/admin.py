from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cpom.models import Cpom


@admin.register(Cpom)
class CpomAdmin(SimpleHistoryAdmin):
    """Read-only: a CPOM changes through its pages, where the negotiation
    steps, the signature freeze and the amendments apply."""

    list_display = ("legal_entity", "period", "region", "status", "signed_on", "reference")
    list_filter = ("status", "region")
    list_select_related = ("legal_entity", "region")
    search_fields = ("legal_entity__name", "legal_entity__finess", "reference")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
