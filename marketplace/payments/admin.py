"""Staff record providers' Stripe connected accounts here; the ledger, the outbox, chargebacks, differences
and webhook events are read-only (they change only through the services, reconciliation and the webhook)."""

from django.contrib import admin

from . import services
from .models import (
    Chargeback,
    PaymentDifference,
    PaymentRecord,
    Payout,
    PayoutAccount,
    StripeEvent,
    StripeOperation,
)


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


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Every field shown, nothing added, changed or deleted from the admin."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentRecord)
class PaymentRecordAdmin(_ReadOnlyAdmin):
    list_display = ("service_order", "kind", "amount_fen", "origin", "reference", "created_at")
    list_filter = ("kind", "origin")
    search_fields = ("reference", "intent_id", "service_order__order__number")


@admin.register(StripeOperation)
class StripeOperationAdmin(_ReadOnlyAdmin):
    list_display = ("service_order", "kind", "amount_fen", "status", "attempts", "created_at", "completed_at")
    list_filter = ("kind", "status")
    search_fields = ("purpose", "target", "result_id", "idempotency_key", "service_order__order__number")
    list_select_related = ("service_order__order",)


@admin.register(Chargeback)
class ChargebackAdmin(_ReadOnlyAdmin):
    list_display = ("dispute_id", "service_order", "amount_fen", "status", "reason", "opened_at", "closed_at")
    list_filter = ("status",)
    search_fields = ("dispute_id", "intent_id", "service_order__order__number")
    list_select_related = ("service_order__order",)


@admin.register(PaymentDifference)
class PaymentDifferenceAdmin(_ReadOnlyAdmin):
    list_display = ("kind", "service_order", "amount_fen", "found_at", "resolved_at", "resolved_by")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("key", "detail", "resolution", "service_order__order__number")
    list_select_related = ("service_order__order", "resolved_by")


@admin.register(StripeEvent)
class StripeEventAdmin(_ReadOnlyAdmin):
    list_display = ("event_id", "type", "object_id", "status", "attempts", "received_at")
    list_filter = ("status", "type")
    search_fields = ("event_id", "object_id")
