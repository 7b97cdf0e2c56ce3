"""Every lifecycle transition, who may take it, the service clock, payments interface and disputes."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import ProtectedError
from django.utils import timezone
from oscar.apps.order.models import Order

from marketplace.hiring import services
from marketplace.hiring.models import Dispute, Extension, ServiceOrder
from marketplace.payments import services as payments
from marketplace.payments.models import PaymentRecord, Payout
from tests.factories import UserFactory, deliver, make_service_order, pay, pdf_upload, provider_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer, providers):
    enterprise, owner = buyer
    return make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0], days=10)


def reload(so):
    return ServiceOrder.objects.select_related("order").get(pk=so.pk)


def status(so):
    return Order.objects.get(pk=so.order_id).status


def delivered(order, providers):
    pay(order)
    services.deliverable_upload(service_order=order, user=provider_owner(providers[0]), file=pdf_upload())
    return deliver(order, provider_owner(providers[0]))


def test_new_order_awaits_payment_and_tells_the_provider(buyer, providers, django_capture_on_commit_callbacks):
    enterprise, owner = buyer
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        so = make_service_order(enterprise=enterprise, buyer=owner, provider=providers[0])
    assert status(so) == "awaiting_payment"
    assert so.order.lines.get().partner == providers[0].partner
    assert so.due_at is None and not so.is_overdue()
    message = next(m for m in mail.outbox if provider_owner(providers[0]).email in m.to)
    assert message.subject == f"New order {so.order.number} / 新订单 {so.order.number}"
    assert so.get_absolute_url() in message.body


def test_periodic_jobs_are_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"procurement.close_due_requests", "hiring.auto_accept_deliveries"} <= tasks


def test_payment_starts_the_clock_once_and_must_match_the_price(order):
    with pytest.raises(ValidationError):
        payments.payment_record(service_order=order, amount=Decimal("1"), reference="r1")
    first = pay(order, "pi_1")
    again = pay(order, "pi_1")  # replayed notification
    assert first.applied and again.duplicate and first.record_id == again.record_id
    assert PaymentRecord.objects.count() == 1
    order = reload(order)
    assert status(order) == "in_service"
    assert order.due_at - order.paid_at == datetime.timedelta(days=10)
    with pytest.raises(services.TransitionNotAllowed):
        pay(order, "pi_2")


def test_only_the_provider_uploads_and_delivers_and_files_are_checked(order, buyer, providers):
    pay(order)
    enterprise, owner = buyer
    with pytest.raises(services.NotPermitted):
        services.deliverable_upload(service_order=order, user=owner, file=pdf_upload())
    with pytest.raises(services.NotPermitted):
        services.deliverable_upload(service_order=order, user=provider_owner(providers[1]), file=pdf_upload())
    with pytest.raises(ValidationError):
        services.deliverable_upload(
            service_order=order, user=provider_owner(providers[0]), file=SimpleUploadedFile("x.pdf", b"MZ\x90\x00evil")
        )
    with pytest.raises(ValidationError):  # nothing uploaded yet
        deliver(order, provider_owner(providers[0]))
    services.deliverable_upload(service_order=order, user=provider_owner(providers[0]), file=pdf_upload())
    with pytest.raises(services.NotPermitted):
        deliver(order, owner)
    deliver(order, provider_owner(providers[0]))
    assert status(order) == "delivered"


def test_buyer_accepts_and_the_clock_stops(order, buyer, providers):
    delivered(order, providers)
    enterprise, owner = buyer
    with pytest.raises(services.NotPermitted):
        services.service_order_accept(service_order=order, user=provider_owner(providers[0]))
    with pytest.raises(services.NotPermitted):
        services.service_order_accept(service_order=order, user=UserFactory())
    services.service_order_accept(service_order=order, user=owner)
    order = reload(order)
    assert status(order) == "completed" and order.accepted_at and not order.auto_accepted
    assert order.delivered_on_time and not order.is_overdue()


def test_revision_goes_back_to_the_provider_with_a_reason(order, buyer, providers):
    delivered(order, providers)
    enterprise, owner = buyer
    with pytest.raises(ValidationError):
        services.service_order_request_revision(service_order=order, user=owner, reason=" ")
    with pytest.raises(services.NotPermitted):
        services.service_order_request_revision(service_order=order, user=provider_owner(providers[0]), reason="x")
    services.service_order_request_revision(service_order=order, user=owner, reason="Missing noise study.")
    assert status(order) == "revision_requested"
    services.service_order_resume(service_order=order, user=provider_owner(providers[0]))
    assert status(order) == "in_service"
    deliver(order, provider_owner(providers[0]))
    assert status(order) == "delivered"


def test_auto_acceptance_after_seven_days_of_silence(order, providers):
    delivered(order, providers)
    assert services.service_orders_auto_accept() == 0
    ServiceOrder.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - datetime.timedelta(days=7, minutes=1))
    call_command("auto_accept_deliveries")
    order = reload(order)
    assert status(order) == "completed" and order.auto_accepted
    from marketplace.hiring.tasks import auto_accept_deliveries

    assert auto_accept_deliveries() == 0


def test_auto_acceptance_never_takes_a_fresh_re_delivery_the_batch_chose_before(buyer, order, providers):
    """The batch picks a delivery that is due; before it accepts, the buyer asks for a revision and
    the provider re-delivers. The fresh delivery keeps the buyer's whole review window."""
    enterprise, owner = buyer
    provider_user = provider_owner(providers[0])
    delivered(order, providers)
    ServiceOrder.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - datetime.timedelta(days=8))
    (chosen,) = services.deliveries_due_for_auto_accept()  # what the batch's query saw

    services.service_order_request_revision(service_order=order, user=owner, reason="Noise chapter missing.")
    deliver(order, provider_user)

    with pytest.raises(services.TransitionNotAllowed):
        services.service_order_accept(service_order=chosen, automatic=True)
    order = reload(order)
    assert status(order) == "delivered" and order.accepted_at is None
    assert not Payout.objects.filter(service_order=order).exists()  # nothing released to the provider
    # The batch itself skips it, and takes it once the new window has passed.
    assert services.service_orders_auto_accept() == 0
    later = timezone.now() + datetime.timedelta(days=7, minutes=1)
    assert services.service_orders_auto_accept(now=later) == 1
    assert status(order) == "completed" and reload(order).auto_accepted


def test_overdue_when_the_deadline_passes_without_delivery(order):
    pay(order)
    ServiceOrder.objects.filter(pk=order.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    assert reload(order).is_overdue()


def test_extension_requested_by_provider_and_granted_by_buyer(order, buyer, providers):
    pay(order)
    enterprise, owner = buyer
    due = reload(order).due_at
    with pytest.raises(services.NotPermitted):
        services.extension_request(service_order=order, user=owner, days=5, reason="x")
    with pytest.raises(ValidationError):
        services.extension_request(service_order=order, user=provider_owner(providers[0]), days=5, reason="")
    ext = services.extension_request(service_order=order, user=provider_owner(providers[0]), days=5, reason="Rain.")
    with pytest.raises(ValidationError):
        services.extension_request(service_order=order, user=provider_owner(providers[0]), days=5, reason="again")
    with pytest.raises(services.NotPermitted):
        services.extension_decide(extension=ext, user=provider_owner(providers[0]), grant=True)
    services.extension_decide(extension=ext, user=owner, grant=True)
    assert reload(order).due_at == due + datetime.timedelta(days=5)
    with pytest.raises(services.TransitionNotAllowed):
        services.extension_decide(extension=ext, user=owner, grant=False)
    ext2 = services.extension_request(service_order=order, user=provider_owner(providers[0]), days=3, reason="More.")
    services.extension_decide(extension=ext2, user=owner, grant=False)
    assert Extension.objects.get(pk=ext2.pk).status == "refused"
    assert reload(order).due_at == due + datetime.timedelta(days=5)


def test_cancel_only_before_payment_by_a_party(order, buyer, providers):
    enterprise, owner = buyer
    with pytest.raises(services.NotPermitted):
        services.service_order_cancel(service_order=order, user=UserFactory(), reason="x")
    services.service_order_cancel(service_order=order, user=provider_owner(providers[0]), reason="Fully booked.")
    assert status(order) == "cancelled"
    with pytest.raises(services.TransitionNotAllowed):
        services.service_order_cancel(service_order=order, user=owner, reason="x")


def test_cannot_cancel_a_paid_order(order, buyer):
    pay(order)
    with pytest.raises(services.TransitionNotAllowed):
        services.service_order_cancel(service_order=order, user=buyer[1], reason="Changed my mind.")


def test_dispute_refund_records_a_refund_and_ends_refunded(order, buyer, providers, staff):
    pay(order)
    enterprise, owner = buyer
    with pytest.raises(services.NotPermitted):
        services.dispute_open(service_order=order, user=UserFactory(), reason="x")
    dispute = services.dispute_open(service_order=order, user=owner, reason="No work done.")
    assert status(order) == "disputed"
    with pytest.raises(services.NotPermitted):
        services.dispute_resolve(dispute=dispute, user=owner, outcome="refund", decision="x")
    with pytest.raises(ValidationError):
        services.dispute_resolve(dispute=dispute, user=staff, outcome="refund", decision="")
    services.dispute_resolve(dispute=dispute, user=staff, outcome="refund", decision="Provider did not start.")
    assert status(order) == "refunded"
    assert payments.amount_paid(service_order=order) == Decimal("0")
    with pytest.raises(services.TransitionNotAllowed):
        services.dispute_resolve(dispute=dispute, user=staff, outcome="complete", decision="again")


def test_dispute_split_refunds_part_and_completes(order, buyer, providers, staff):
    delivered(order, providers)
    dispute = services.dispute_open(service_order=order, user=provider_owner(providers[0]), reason="Buyer silent.")
    with pytest.raises(ValidationError):
        services.dispute_resolve(dispute=dispute, user=staff, outcome="split", decision="Half.", refund_amount="48000")
    with pytest.raises(ValidationError):
        services.dispute_resolve(dispute=dispute, user=staff, outcome="split", decision="Half.", refund_amount="x")
    services.dispute_resolve(dispute=dispute, user=staff, outcome="split", decision="Half.", refund_amount="24000")
    order = reload(order)
    assert status(order) == "completed" and payments.amount_refunded(service_order=order) == Decimal("24000.00")
    assert Dispute.objects.get(pk=dispute.pk).outcome == "split"


def test_dispute_complete_pays_the_provider_in_full(order, buyer, providers, staff):
    delivered(order, providers)
    dispute = services.dispute_open(service_order=order, user=buyer[1], reason="Quality.")
    services.dispute_resolve(dispute=dispute, user=staff, outcome="complete", decision="Work meets the contract.")
    assert status(order) == "completed"
    assert payments.amount_paid(service_order=order) == Decimal("48000.00")


def test_refund_cannot_exceed_payment(order):
    pay(order)
    with pytest.raises(ValidationError):
        payments.refund_record(service_order=order, amount=Decimal("48000.01"), reference="rf")


def test_every_transition_writes_an_event(order, buyer, providers):
    delivered(order, providers)
    services.service_order_accept(service_order=order, user=buyer[1])
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds == ["created", "paid", "deliverable_uploaded", "delivered", "accepted"]


def test_order_history_reads_in_words_in_both_languages():
    from django.utils import translation

    from marketplace.hiring.models import EVENT_LABELS, OrderEvent

    event = OrderEvent(kind="extension_refused", from_status="in_service", to_status="in_service")
    assert str(event.label) == "Deadline extension refused"
    with translation.override("zh-hans"):
        assert str(event.label) == "拒绝延长期限"
        assert str(OrderEvent(kind="paid", to_status="in_service").to_status_label) == "服务中"
    assert set(EVENT_LABELS) >= {"created", "paid", "delivered", "accepted", "auto_accepted", "dispute_opened"}


def test_an_order_with_a_service_record_cannot_be_deleted(order, providers):
    """Deleting the Oscar order (from the admin, the dashboard or a shell) used to cascade to the
    service order, its events, deliverables and disputes. The money and the audit trail outlive it."""
    delivered(order, providers)
    counts = (ServiceOrder.objects.count(), order.events.count(), order.deliverables.count())
    with pytest.raises(ProtectedError):
        Order.objects.filter(pk=order.order_id).delete()
    with pytest.raises(ProtectedError):
        ServiceOrder.objects.filter(pk=order.pk).delete()
    assert (ServiceOrder.objects.count(), order.events.count(), order.deliverables.count()) == counts
    assert Order.objects.filter(pk=order.order_id).exists()
