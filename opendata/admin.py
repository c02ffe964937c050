from django.contrib import admin

from opendata.models import Withholding


@admin.register(Withholding)
class WithholdingAdmin(admin.ModelAdmin):
    list_display = ["cpom", "reason", "created_by", "created_at", "released_at", "released_by"]
    list_filter = ["cpom__region"]
    search_fields = ["cpom__legal_entity__name", "cpom__legal_entity__finess", "reason"]
    readonly_fields = ["cpom", "reason", "created_by", "created_at", "released_at", "released_by"]

    def has_add_permission(self, request):
        return False  # through the page, which checks the région
