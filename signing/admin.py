"""Admin: seals show their certificate, never key material; logs and documents are read-only."""

from django.contrib import admin

from .models import AuthorityMember, IssuingAuthority, Permit, PermitEvent, Seal, SealGrant, SealUse


class AuthorityMemberInline(admin.TabularInline):
    model = AuthorityMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(IssuingAuthority)
class IssuingAuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "name_zh", "code", "number_prefix", "is_platform"]
    inlines = [AuthorityMemberInline]


@admin.register(Seal)
class SealAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "status", "key_store", "not_after"]
    list_select_related = ["authority", "enterprise", "provider"]
    list_filter = ["status", "key_store"]
    # key_ref names where the key lives; even that stays out of the admin, as does the chain editor.
    fields = [
        "authority",
        "enterprise",
        "provider",
        "name",
        "purpose",
        "certificate_subject",
        "certificate_serial",
        "not_before",
        "not_after",
        "key_store",
        "status",
        "status_reason",
        "status_changed_at",
    ]
    readonly_fields = [
        "authority",
        "enterprise",
        "provider",
        "certificate_subject",
        "certificate_serial",
        "not_before",
        "not_after",
        "key_store",
        "status",
        "status_reason",
        "status_changed_at",
    ]

    def has_add_permission(self, request):
        return False  # seals are made by init_pki / the import service, which handle keys


@admin.register(SealGrant)
class SealGrantAdmin(admin.ModelAdmin):
    list_display = ["seal", "user", "document_kind", "valid_from", "valid_until", "revoked_at"]
    raw_id_fields = ["user", "granted_by", "revoked_by"]


@admin.register(SealUse)
class SealUseAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "outcome", "seal", "actor_email", "document_kind", "document_number"]
    list_filter = ["outcome", "document_kind"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PermitEventInline(admin.TabularInline):
    model = PermitEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "reason", "actor", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Permit)
class PermitAdmin(admin.ModelAdmin):
    list_display = ["number", "holder", "authority", "status", "valid_until"]
    list_filter = ["status", "authority"]
    search_fields = ["number", "holder__name", "holder__credit_code"]
    readonly_fields = [f for f in ["number", "authority", "holder", "issued_by", "issued_at", "sha256", "document"]]
    exclude = ["status", "status_reason", "status_changed_at"]  # changed only through the services
    inlines = [PermitEventInline]

    def has_delete_permission(self, request, obj=None):
        return False  # revocation never deletes
