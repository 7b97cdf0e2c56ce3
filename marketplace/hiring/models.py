"""The service side of an Oscar order: who hired whom, the service clock, deliverables, disputes.

The Oscar ``Order.status`` is the lifecycle state (``settings.OSCAR_ORDER_STATUS_PIPELINE``);
only ``marketplace.hiring.services`` changes it. Amounts are ``Decimal`` CNY (yuan, 2 places).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.core.storage import private_storage
from signing.models import new_verification_token


class Status(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    IN_SERVICE = "in_service", _("In service")
    DELIVERED = "delivered", _("Delivered")
    REVISION_REQUESTED = "revision_requested", _("Revision requested")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")
    DISPUTED = "disputed", _("Disputed")


PIPELINE = {  # as settings.OSCAR_ORDER_STATUS_PIPELINE, where the stage transitions are explained
    Status.AWAITING_PAYMENT: (Status.IN_SERVICE, Status.CANCELLED, Status.COMPLETED),
    Status.IN_SERVICE: (Status.DELIVERED, Status.DISPUTED, Status.REFUNDED),
    Status.DELIVERED: (Status.COMPLETED, Status.REVISION_REQUESTED, Status.DISPUTED, Status.AWAITING_PAYMENT),
    Status.REVISION_REQUESTED: (Status.IN_SERVICE, Status.DELIVERED, Status.DISPUTED),
    Status.DISPUTED: (Status.COMPLETED, Status.REFUNDED, Status.AWAITING_PAYMENT),
    Status.COMPLETED: (),
    Status.CANCELLED: (),
    Status.REFUNDED: (),
}


def deliverable_upload_to(instance, filename):
    return f"deliverables/{instance.service_order_id}/{filename}"


class ServiceOrder(models.Model):
    class Source(models.TextChoices):
        DIRECT = "direct", _("Direct order")
        REQUEST = "request", _("Request for quotes")

    # PROTECT here and below: an order's money and audit trail outlive any attempt to delete it.
    order = models.OneToOneField("order.Order", on_delete=models.PROTECT, related_name="service")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="service_orders")
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="service_orders")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    category = models.ForeignKey("catalogue.Category", on_delete=models.PROTECT, related_name="+", null=True)
    product = models.ForeignKey("catalogue.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    request = models.OneToOneField(
        "procurement.RequestForQuotes", on_delete=models.PROTECT, null=True, blank=True, related_name="order"
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    title = models.CharField(_("Service"), max_length=255)
    # The listing's Chinese title when the order was placed (blank for a request's own title), so the
    # order reads in the reader's language and stays what was bought if the listing is renamed.
    title_zh = models.CharField(_("Service (Chinese)"), max_length=255, blank=True)
    project_name = models.CharField(_("Project name"), max_length=200)
    site_location = models.CharField(_("Site location"), max_length=300, blank=True)
    notes = models.TextField(_("Notes"), blank=True)
    price = models.DecimalField(_("Agreed price (CNY)"), max_digits=12, decimal_places=2)
    service_days = models.PositiveIntegerField(_("Promised service days"))
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(_("Paid at"), null=True, blank=True)
    due_at = models.DateTimeField(_("Promised deadline"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("Delivered at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("Accepted at"), null=True, blank=True)
    auto_accepted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("Service order")
        verbose_name_plural = _("Service orders")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.order.number

    def get_absolute_url(self):
        return reverse("hiring:detail", kwargs={"pk": self.pk})

    @property
    def status(self) -> str:
        return self.order.status

    def get_status_display(self) -> str:
        return Status(self.order.status).label if self.order.status in Status.values else self.order.status

    def is_overdue(self, now=None) -> bool:
        """Past the promised deadline without a delivery in time (the clock stops at acceptance)."""
        if self.due_at is None:
            return False
        if self.delivered_at and self.order.status in (Status.DELIVERED, Status.COMPLETED):
            return self.delivered_at > self.due_at
        if self.accepted_at:
            return self.accepted_at > self.due_at
        if self.order.status in (Status.CANCELLED, Status.REFUNDED):
            return False
        return (now or timezone.now()) > self.due_at

    def lateness(self, now=None) -> str:
        """What the deadline badge says: "late" for a delivery that stands but came after the deadline
        (a completed order is never "overdue"), "overdue" while one is still owed, "" otherwise."""
        if not self.is_overdue(now):
            return ""
        if self.delivered_at and self.order.status in (Status.DELIVERED, Status.COMPLETED):
            return "late"
        return "overdue"

    @property
    def delivered_on_time(self) -> bool | None:
        if not self.delivered_at or not self.due_at:
            return None
        return self.delivered_at <= self.due_at


class Milestone(models.Model):
    """One stage of an order paid in stages (issue 23): the buyer funds it, the provider delivers it, the
    buyer accepts it (or a dispute settles it) and its money is released; then the next stage.

    Stages run one at a time, in ``position`` order; the order's own status is the current stage's
    (awaiting payment = waiting for its funding; in service, delivered, revision requested, disputed).
    An order without milestones is paid and delivered at once, as one stage of 100 %. Amounts add up
    to the order's price to the fen; the ledger tags every entry of a stage with it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Not funded yet")
        FUNDED = "funded", _("Funded, in progress")
        RELEASED = "released", _("Accepted and released")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    service_order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("Stage"), max_length=100)
    amount = models.DecimalField(_("Amount (CNY)"), max_digits=12, decimal_places=2)
    due_day = models.PositiveIntegerField(_("Due day (days after the start)"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    funded_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service_order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["service_order", "position"], name="one_milestone_per_position"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="milestone_amount_positive"),
        ]

    def __str__(self):
        return f"{self.position}. {self.name}"

    @property
    def open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.FUNDED)


# What each event in an order's history says, for people; unknown kinds show their code.
EVENT_LABELS = {
    "created": _("Order placed"),
    "paid": _("Payment received"),
    "deliverable_uploaded": _("Deliverable uploaded"),
    "delivered": _("Marked as delivered"),
    "accepted": _("Accepted by the buyer"),
    "auto_accepted": _("Accepted automatically after the review period"),
    "revision_requested": _("Revision requested"),
    "resumed": _("Work resumed"),
    "extension_requested": _("Deadline extension requested"),
    "extension_granted": _("Deadline extension granted"),
    "extension_refused": _("Deadline extension refused"),
    "cancelled": _("Cancelled"),
    "dispute_opened": _("Dispute opened"),
    "dispute_complete": _("Dispute resolved: completed"),
    "dispute_refund": _("Dispute resolved: refunded"),
    "dispute_split": _("Dispute resolved: split"),
    "dispute_refunded": _("Refund recorded"),
    "contract_issued": _("Contract issued and certified by the platform"),
    "contract_failed": _("The contract could not be issued"),
    "contract_sealed_buyer": _("Contract sealed by the buyer"),
    "contract_sealed_provider": _("Contract sealed by the provider"),
    "milestone_released": _("Stage accepted and its payment released"),
    "milestones_cancelled": _("Remaining stages cancelled"),
}


class OrderEvent(models.Model):
    service_order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.service_order_id}: {self.kind}"

    @property
    def label(self):
        return EVENT_LABELS.get(self.kind, self.kind)

    @property
    def to_status_label(self):
        return Status(self.to_status).label if self.to_status in Status.values else self.to_status


class Deliverable(models.Model):
    service_order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="deliverables")
    file = models.FileField(_("File"), upload_to=deliverable_upload_to, storage=private_storage, max_length=255)
    name = models.CharField(max_length=255)
    # Fixed at upload: what the buyer accepted and an authority relies on is this exact content.
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.BigIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.name


class Extension(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    service_order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="extensions")
    days = models.PositiveIntegerField(_("Extra days"))
    reason = models.TextField(_("Reason"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"+{self.days}d ({self.status})"


class Dispute(models.Model):
    class Outcome(models.TextChoices):
        COMPLETE = "complete", _("Complete: the provider is paid in full")
        REFUND = "refund", _("Refund the buyer in full")
        SPLIT = "split", _("Split: refund part of the price")

    service_order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="disputes")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    opened_by_party = models.CharField(max_length=20)
    reason = models.TextField(_("Reason"))
    previous_status = models.CharField(max_length=30)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    decision = models.TextField(_("Decision"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"dispute {self.pk} on {self.service_order_id}"


# --- service contracts ------------------------------------------------------------------------


class Contract(models.Model):
    """The service contract of one order: certified by the platform, then sealed by the buyer's
    enterprise and by the provider, in that order.

    ``document`` always holds the latest version. Each seal is an incremental update, so every
    earlier version is a prefix of the latest one; :class:`ContractSeal` keeps each version's
    length and SHA-256 so the registry recognises any of them (and knows how far it got).
    """

    class Status(models.TextChoices):
        AWAITING_BUYER = "awaiting_buyer", _("Awaiting the buyer's seal")
        AWAITING_PROVIDER = "awaiting_provider", _("Awaiting the provider's seal")
        SEALED = "sealed", _("Sealed by all parties")

    service_order = models.OneToOneField(ServiceOrder, on_delete=models.PROTECT, related_name="contract")
    document = models.OneToOneField("signing.SealedDocument", on_delete=models.PROTECT, related_name="contract")
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.AWAITING_BUYER)
    token = models.CharField(max_length=64, unique=True, default=new_verification_token, editable=False)
    issued_at = models.DateTimeField(_("Issued at"), default=timezone.now)

    class Meta:
        # Moved here from the signing app (issue 14); the table keeps its name and its rows.
        db_table = "signing_contract"
        verbose_name = _("Service contract")
        verbose_name_plural = _("Service contracts")
        ordering = ["-issued_at", "-id"]

    def __str__(self):
        return self.document.number

    @property
    def number(self) -> str:
        return self.document.number

    @property
    def verification_url(self) -> str:
        return f"{settings.PUBLIC_BASE_URL}/v/{self.token}"

    @property
    def next_party(self) -> str | None:
        """Whose seal the contract waits for: ``buyer``, ``provider`` or None once sealed."""
        return {self.Status.AWAITING_BUYER: "buyer", self.Status.AWAITING_PROVIDER: "provider"}.get(self.status)


class ContractSeal(models.Model):
    """One seal applied to a contract, and the version of the PDF it produced."""

    class Party(models.TextChoices):
        PLATFORM = "platform", _("Platform")
        BUYER = "buyer", _("Buyer")
        PROVIDER = "provider", _("Provider")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="seals")
    party = models.CharField(_("Party"), max_length=20, choices=Party.choices)
    seal = models.ForeignKey("signing.Seal", on_delete=models.PROTECT, related_name="contract_seals")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    sealed_at = models.DateTimeField(_("Sealed at"))
    # The version this seal produced: the first ``size`` bytes of the latest PDF.
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveIntegerField()

    class Meta:
        db_table = "signing_contractseal"
        verbose_name = _("Contract seal")
        verbose_name_plural = _("Contract seals")
        ordering = ["sealed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["contract", "party"], name="one_seal_per_contract_party")]

    def __str__(self):
        return f"{self.contract_id} {self.party}"


# --- delivery notes ---------------------------------------------------------------------------


class DeliveryNote(models.Model):
    """One delivery of an order, attested: a PDF listing each delivered file's name, size and SHA-256,
    sealed with the provider's organisation seal in the transaction that marks the order delivered
    (no delivery goes without its note). The buyer's acceptance is recorded against the latest note.

    Written once: only ``accepted_at`` is set later, when the buyer (or the silence period) accepts.
    """

    service_order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, related_name="delivery_notes")
    sequence = models.PositiveSmallIntegerField(_("Delivery"))
    document = models.OneToOneField("signing.SealedDocument", on_delete=models.PROTECT, related_name="delivery_note")
    # What the note lists, as printed: [{"deliverable": pk, "name", "size", "sha256"}].
    files = models.JSONField(default=list)
    token = models.CharField(max_length=64, unique=True, default=new_verification_token, editable=False)
    sealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    sealed_at = models.DateTimeField(_("Sealed at"))
    accepted_at = models.DateTimeField(_("Accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Delivery note")
        verbose_name_plural = _("Delivery notes")
        ordering = ["service_order", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["service_order", "sequence"], name="unique_delivery_note_sequence")
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return self.document.number

    @property
    def sha256(self) -> str:
        return self.document.sha256

    @property
    def verification_url(self) -> str:
        return f"{settings.PUBLIC_BASE_URL}/v/{self.token}"

    def file_matching(self, sha256: str) -> dict | None:
        """The listed file whose SHA-256 is ``sha256``, or None."""
        return next((file for file in self.files if file.get("sha256") == sha256.lower()), None)
