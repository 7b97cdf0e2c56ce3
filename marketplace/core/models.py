"""The one organisation concept: enterprises, providers and issuing authorities all have members.

Core stores only what every app must ask of the organisations alike: who may not deal with whom
(``RelatedParty``) and the acts refused for it (``ConflictAttempt``, see ``conflicts``). The three
membership tables (``enterprises.EnterpriseMember``,
``providers.ProviderMember``, ``signing.AuthorityMember``) extend ``Membership`` so every app asks
the same questions of them (whose organisation, is this person its owner) in the same words.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Membership(models.Model):
    """A person's place in one organisation.

    Subclasses declare the foreign key to their organisation (named by ``organisation_field``),
    the ``user`` foreign key (each with its own reverse name, ``user.enterprise_memberships`` …)
    and the ``role`` field with their organisation's roles; ``owner_roles`` says which roles
    manage the organisation (its members, its seal).
    """

    kind: ClassVar[str]  # "enterprise" | "provider" | "authority"
    organisation_field: ClassVar[str]
    owner_roles: ClassVar[frozenset[str]] = frozenset({"owner"})

    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.user} @ {self.organisation}"

    @property
    def organisation(self):
        return getattr(self, self.organisation_field)

    @property
    def is_owner(self) -> bool:
        return self.role in self.owner_roles


class RelatedParty(models.Model):
    """An enterprise and a provider that must not deal with each other (a parent company, a shared owner, a
    family tie …), declared by either side or recorded by staff. Same credit code and same legal
    representative are found without a declaration (``conflicts``)."""

    class DeclaredBy(models.TextChoices):
        ENTERPRISE = "enterprise", _("The enterprise")
        PROVIDER = "provider", _("The provider")
        STAFF = "staff", _("Platform staff")

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="related_parties")
    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="related_parties")
    relation = models.CharField(_("Relation"), max_length=300)
    declared_by = models.CharField(max_length=12, choices=DeclaredBy.choices)
    declared_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Related party")
        verbose_name_plural = _("Related parties")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "provider"], name="one_relation_per_pair")]

    def __str__(self):
        return f"{self.enterprise} ~ {self.provider}"


class ConflictAttempt(models.Model):
    """An act refused because the person or their organisations sit on both sides of a deal (append-only,
    listed for staff). Organisations are kept by id and name: the record outlives them."""

    class Act(models.TextChoices):
        ORDER = "order", _("Hire directly")
        QUOTE = "quote", _("Quote")
        CHOOSE = "choose", _("Choose a quote")
        OBJECT = "object", _("Object to a result")
        ACCEPT = "accept", _("Accept a delivery")
        REVISE = "revise", _("Ask for a revision")
        DISPUTE = "dispute", _("Open a dispute")
        RATE = "rate", _("Rate an order")
        EVALUATE = "evaluate", _("Evaluate an order (authority)")
        DECIDE_OBJECTION = "decide_objection", _("Decide an objection")
        DECIDE_DISPUTE = "decide_dispute", _("Decide a dispute")
        DECIDE_APPEAL = "decide_appeal", _("Decide a credit appeal")
        DECIDE_CERTIFICATION = "decide_certification", _("Decide a certification")
        IMPOSE_BAN = "impose_ban", _("Impose a ban")

    class Reason(models.TextChoices):
        SAME_PERSON = "same_person", _("belongs to both sides")
        SAME_CREDIT_CODE = "same_credit_code", _("same unified social credit code")
        SAME_LEGAL_REPRESENTATIVE = "same_legal_rep", _("same legal representative")
        RELATED_PARTY = "related_party", _("declared related party")
        OWN_CASE = "own_case", _("decides a case of their own organisation")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    act = models.CharField(max_length=24, choices=Act.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    enterprise_id = models.BigIntegerField(null=True)
    enterprise_name = models.CharField(max_length=200, blank=True)
    provider_id = models.BigIntegerField(null=True)
    provider_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=200, blank=True)  # "request RQ-…", "order ON-…"
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.act} refused: {self.reason}"


class Notification(models.Model):
    """One thing that happened, for one person: listed in their notification centre, and emailed as
    they chose for its kind (at once, in the daily digest, or not at all). Its words are kept in
    every language the platform speaks, so it reads in whichever the person uses."""

    class Kind(models.TextChoices):
        ORDERS = "orders", _("Orders: payments, deliveries, revisions and disputes")
        MESSAGES = "messages", _("Messages in order conversations")
        REQUESTS = "requests", _("Requests for quotes: invitations, clarifications and results")
        PROVIDER = "provider", _("Your provider's certification, qualifications and bans")
        RATINGS = "ratings", _("Evaluations")
        ACCOUNT = "account", _("Your account and teams")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Immediately by email")
        DIGEST = "digest", _("In a daily digest email")
        PLATFORM = "platform", _("In OneWindow only")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="onewindow_notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # {"en": "...", "zh-hans": "..."}
    subject = models.JSONField()
    body = models.JSONField()
    url = models.CharField(max_length=500, blank=True)
    # How it was to reach the person by email, chosen when it was made (their preference then).
    channel = models.CharField(max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="core_notif_unread"),
            models.Index(fields=["channel", "emailed_at"], name="core_notif_digest"),
        ]
        verbose_name = _("Notification")
        verbose_name_plural = _("Notifications")

    def __str__(self):
        return f"{self.user}: {self.kind}"

    def text(self, field: str, language: str) -> str:
        value = getattr(self, field)
        return value.get(language) or value.get("en") or next(iter(value.values()), "")


class NotificationPreference(models.Model):
    """How one person wants one kind of notification emailed; no row: immediately."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    channel = models.CharField(max_length=10, choices=Notification.Channel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="core_notif_pref_unique")]

    def __str__(self):
        return f"{self.user}: {self.kind} → {self.channel}"


class PersonalSettings(models.Model):
    """What a person chose for themselves: the language their emails come in (empty: both)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_settings")
    language = models.CharField(_("Language of your emails"), max_length=10, choices=settings.LANGUAGES, blank=True)

    def __str__(self):
        return f"{self.user}: {self.language or 'both languages'}"
