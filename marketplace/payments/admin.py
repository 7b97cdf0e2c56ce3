"""Staff record providers' Stripe connected accounts here; the ledger itself is read-only."""

from django.contrib import admin

from . import services
from .models import PaymentRecord, Payout, PayoutAccount


@admin.register(PayoutAccount)
class PayoutAccountAdmin(admin.ModelAdmin):
    list_display = ("provider", "stripe_account_id")
    search_fields = ("provider__name", "stripe_account_id")
    raw_id_fields = ("provider",)

    def save_model(self, request, obj, form, change):
        # Through the service: it checks the id and releases payouts waiting for this account.
        services.payout_account_set(provider=obj.provider, stripe_account_id=obj.stripe_account_id)


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = ("service_order", "provider", "amount_fen", "fee_fen", "status", "transfer_id", "paid_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Payout._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentRecord)
class PaymentRecordAdmin(admin.ModelAdmin):
    list_display = ("service_order", "kind", "amount_fen", "reference", "created_at")
    list_filter = ("kind",)
    search_fields = ("reference", "service_order__order__number")
    readonly_fields = [f.name for f in PaymentRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
