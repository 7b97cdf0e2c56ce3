"""Requests for quotes, sealed quotes, the selection that decides them and objections to it.

Status of a request::

    open --deadline, no eligible quote--> failed --re-publish--> (a new open request)
    open --deadline--> choosing (direct, credit shortlist: the buyer picks) --pick--> publicity
    open --deadline--> publicity --period over, no pending objection--> awarded (an order exists)
    publicity --objection upheld--> publicity (rerun without the winner) | failed | cancelled
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.core.i18n import BilingualMixin
from marketplace.core.regions import region_name, validate_region_code
from marketplace.core.storage import private_storage

from . import selection


class Grade(models.TextChoices):
    """Minimum qualification grade a request asks for; qualifications state theirs as free text."""

    ANY = "", _("Any grade")
    C = "C", _("Grade C or better")
    B = "B", _("Grade B or better")
    A = "A", _("Grade A")


GRADE_RANK = {"": 0, "C": 1, "B": 2, "A": 3}
_GRADE_WORDS = (
    ("A", ("grade a", "class a", "甲", "class 1", "grade 1", "一级")),
    ("B", ("grade b", "class b", "乙", "class 2", "grade 2", "二级")),
    ("C", ("grade c", "class c", "丙", "class 3", "grade 3", "三级")),
)


def grade_rank(text: str) -> int:
    """The rank of a qualification's free-text grade: A/甲/Class 1 = 3, B/乙 = 2, C/丙 = 1, else 0."""
    lowered = (text or "").strip().lower()
    for letter, words in _GRADE_WORDS:
        if lowered == letter.lower() or any(word in lowered for word in words):
            return GRADE_RANK[letter]
    return 0


class Method(models.TextChoices):
    DIRECT = selection.DIRECT, _("Direct choice by the buyer")
    LOWEST_PRICE = selection.LOWEST_PRICE, _("Lowest price")
    SCORED = selection.SCORED, _("Scored evaluation")
    RANDOM_DRAW = selection.RANDOM_DRAW, _("Verifiable random draw")
    CREDIT_SHORTLIST = selection.CREDIT_SHORTLIST, _("Credit-ranked shortlist, then the buyer's choice")
    REASONABLE_PRICE = selection.REASONABLE_PRICE, _("Reasonable price (closest below the benchmark)")


def attachment_upload_to(instance, filename):
    return f"quotes/{instance.request_id}/{instance.provider_id}/{filename}"


class RequestForQuotes(BilingualMixin, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open for quotes")
        CHOOSING = "choosing", _("Awaiting the buyer's choice")
        PUBLICITY = "publicity", _("Result in publicity period")
        AWARDED = "awarded", _("Awarded")
        FAILED = "failed", _("Failed: no eligible quote")
        CANCELLED = "cancelled", _("Cancelled")

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="requests", verbose_name=_("Enterprise")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    category = models.ForeignKey(
        "catalogue.Category", on_delete=models.PROTECT, related_name="requests", verbose_name=_("Service item")
    )
    title = models.CharField(_("Title"), max_length=200)
    description = models.TextField(_("Description"))
    region = models.CharField(_("Project region"), max_length=6, validators=[validate_region_code])
    budget = models.DecimalField(_("Budget ceiling (CNY)"), max_digits=12, decimal_places=2)
    deadline = models.DateTimeField(_("Quote deadline"))
    required_grade = models.CharField(
        _("Minimum qualification grade"), max_length=1, choices=Grade.choices, blank=True, default=Grade.ANY
    )
    method = models.CharField(_("Selection method"), max_length=20, choices=Method.choices)
    # A request addressed to one provider (from its "from ¥…" or quote-only listing): only that provider
    # may quote, its quote opens the request at once, and the buyer's acceptance is the award.
    invited_provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("Addressed to"),
    )
    listing = models.ForeignKey(
        "catalogue.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Listing"),
    )
    state_funded = models.BooleanField(
        _("State-funded"),
        default=False,
        help_text=_("Paid from public funds: the higher minimum number of valid quotes applies."),
    )
    side_contact_forbidden = models.BooleanField(
        _("No contact outside the platform before the award"),
        default=True,
        help_text=_(
            "Questions and answers go through the platform's clarifications; a message with a phone number "
            "or an email address is refused while the request is open."
        ),
    )
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    # Random draw: the commitment is public from publication; the seed only after the deadline.
    seed_commitment = models.CharField(max_length=64, blank=True)
    seed = models.CharField(max_length=64, blank=True)
    seed_revealed_at = models.DateTimeField(null=True, blank=True)
    # A public randomness beacon round mixed into the seed (``drand``): {"chain": {...}, "round": n} from
    # publication, then "signature" and "randomness" once the round is fetched and verified at the close.
    beacon = models.JSONField(default=dict, blank=True)
    published_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    publicity_ends_at = models.DateTimeField(null=True, blank=True)
    awarded_at = models.DateTimeField(null=True, blank=True)
    republished_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="republished_as"
    )
    status_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("Request for quotes")
        verbose_name_plural = _("Requests for quotes")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gt=0), name="rfq_budget_positive"),
            models.CheckConstraint(
                condition=models.Q(invited_provider__isnull=True) | models.Q(method="direct", state_funded=False),
                name="rfq_addressed_is_direct_and_not_state_funded",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("procurement:detail", kwargs={"pk": self.pk})

    @property
    def region_name(self) -> str:
        return region_name(self.region)

    def deadline_passed(self, now=None) -> bool:
        return (now or timezone.now()) >= self.deadline

    @property
    def is_addressed(self) -> bool:
        return self.invited_provider_id is not None

    @property
    def seed_is_public(self) -> bool:
        return bool(self.seed_revealed_at)

    @property
    def quotes_unsealed(self) -> bool:
        """Quotes become visible only once the request has closed (never merely by the clock)."""
        return self.status != self.Status.OPEN


class Quote(models.Model):
    request = models.ForeignKey(RequestForQuotes, on_delete=models.CASCADE, related_name="quotes")
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="quotes")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    price = models.DecimalField(_("Price (CNY)"), max_digits=12, decimal_places=2)
    service_days = models.PositiveIntegerField(_("Service days"))
    note = models.TextField(_("Note"), blank=True)
    # The stages the work would be paid in (``core.milestone_plan``); empty: paid at once.
    milestones = models.TextField(_("Paid in stages"), blank=True)
    attachment = models.FileField(
        _("Attachment"), upload_to=attachment_upload_to, storage=private_storage, blank=True, max_length=255
    )
    first_submitted_at = models.DateTimeField(default=timezone.now)
    # The time of the latest change: a changed quote is a new submission for tie-breaking.
    submitted_at = models.DateTimeField(default=timezone.now)
    excluded = models.BooleanField(default=False, help_text="Excluded after an upheld objection.")

    class Meta:
        verbose_name = _("Quote")
        verbose_name_plural = _("Quotes")
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "provider"], name="one_quote_per_provider"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="quote_price_positive"),
        ]

    def __str__(self):
        return f"{self.provider} → {self.request_id}"


class Selection(models.Model):
    """One run of the selection; an upheld objection supersedes it with a new round."""

    request = models.ForeignKey(RequestForQuotes, on_delete=models.CASCADE, related_name="selections")
    round = models.PositiveIntegerField(default=1)
    method = models.CharField(max_length=20, choices=Method.choices)
    winner = models.ForeignKey(Quote, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    table = models.JSONField(default=list)
    weights = models.JSONField(default=dict, blank=True)
    # What the method derived and published beside the table: the shortlist, the benchmark and factor.
    parameters = models.JSONField(default=dict, blank=True)
    algorithm = models.TextField(blank=True)
    superseded = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-round"]
        constraints = [models.UniqueConstraint(fields=["request", "round"], name="one_selection_per_round")]

    def __str__(self):
        return f"{self.request_id} round {self.round}"


class Objection(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    class Outcome(models.TextChoices):
        RERUN = "rerun", _("Rerun the selection without the winner")
        CANCEL = "cancel", _("Cancel the request")

    request = models.ForeignKey(RequestForQuotes, on_delete=models.CASCADE, related_name="objections")
    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="objections")
    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="objections")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.TextField(_("Reason"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    decision = models.TextField(_("Decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["selection", "provider"], name="one_objection_per_round_and_provider")
        ]

    def __str__(self):
        return f"objection {self.pk} on {self.request_id}"


class RequestEvent(models.Model):
    """Append-only audit of a request: published, quoted (no amounts), closed, selected, objections, award."""

    request = models.ForeignKey(RequestForQuotes, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.request_id}: {self.kind}"
