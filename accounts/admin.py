from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessRequest, EntityMembership, Invitation, User


class EntityMembershipInline(admin.TabularInline):
    model = EntityMembership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ("legal_entity",)
    fields = ("legal_entity", "function", "granted_at", "granted_by")
    readonly_fields = ("granted_at", "granted_by")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "last_name", "first_name", "role", "region", "manages_accounts", "is_active")
    list_filter = ("role", "region", "manages_accounts", "is_active")
    list_select_related = ("region",)
    inlines = (EntityMembershipInline,)
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Rôle et périmètre"), {"fields": ("role", "region", "manages_accounts", "proconnect_siret")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("Rôle et périmètre"), {"fields": ("role", "region", "manages_accounts")}),
    )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "kind", "legal_entity", "region", "sent_at", "expires_at", "accepted_at", "revoked_at")
    list_select_related = ("legal_entity", "region")
    exclude = ("token_hash",)
    readonly_fields = ("invited_by", "accepted_by", "accepted_at", "revoked_at", "sent_at", "expires_at")
    autocomplete_fields = ("legal_entity",)


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "legal_entity", "region", "status", "created_at", "decided_at")
    list_filter = ("status", "kind", "region")
    list_select_related = ("user", "legal_entity", "region")
    autocomplete_fields = ("legal_entity",)
