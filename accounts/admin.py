from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "last_name", "first_name", "role", "region", "legal_entity", "is_active")
    list_filter = ("role", "region", "is_active")
    list_select_related = ("region", "legal_entity")
    autocomplete_fields = ("legal_entity",)
    fieldsets = BaseUserAdmin.fieldsets + ((_("Rôle et périmètre"), {"fields": ("role", "region", "legal_entity")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("Rôle et périmètre"), {"fields": ("role", "region", "legal_entity")}),
    )
