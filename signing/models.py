"""Seals, who may use them, the seal-use log, and the documents sealed with them.

Private keys are not here: a seal holds only a *reference* into a key store (see keystores.py).
"""

import datetime as dt
import hashlib
import json
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from marketplace.core.i18n import BilingualMixin
from marketplace.core.models import Membership


class DocumentKind(models.TextChoices):
    PERMIT = "permit", _("Permit")
    PROVIDER_CERTIFICATE = "provider_certificate", _("Provider certification certificate")
    SERVICE_CONTRACT = "service_contract", _("Service contract")
    VERIFICATION_REPORT = "verification_report", _("Verification report")
    DELIVERY_NOTE = "delivery_note", _("Delivery note")
    SEALED_BUNDLE = "sealed_bundle", _("Sealed bundle manifest")


class IssuingAuthority(BilingualMixin, models.Model):
    """An organisation that issues sealed documents: an approving office, or the platform itself."""

    name = models.CharField(_("Name"), max_length=200)
    name_zh = models.CharField(_("Name (Chinese)"), max_length=200, blank=True)
    code = models.SlugField(_("Code"), max_length=40, unique=True)
    number_prefix = models.CharField(
        _("Permit number prefix"),
        max_length=12,
        unique=True,
        help_text=_("Letters that start every permit number this authority issues, e.g. BJEP."),
    )
    region = models.CharField(_("Region"), max_length=6, blank=True)
    is_platform = models.BooleanField(_("Is the platform itself"), default=False)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="AuthorityMember", related_name="authorities")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Issuing authority")
        verbose_name_plural = _("Issuing authorities")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AuthorityMember(Membership):
    kind = "authority"
    organisation_field = "authority"
    owner_roles = frozenset({"admin"})

    class Role(models.TextChoices):
        OFFICER = "officer", _("Officer")
        ADMIN = "admin", _("Administrator")

    authority = models.ForeignKey(IssuingAuthority, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="authority_memberships")
    role = models.CharField(_("Role"), max_length=20, choices=Role.choices, default=Role.OFFICER)

    class Meta:
        verbose_name = _("Authority officer")
        verbose_name_plural = _("Authority officers")
        constraints = [models.UniqueConstraint(fields=["authority", "user"], name="unique_authority_member")]


class Seal(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")

    class KeyStoreKind(models.TextChoices):
        ENCRYPTED = "encrypted", _("Encrypted key at rest")
        PKCS11 = "pkcs11", _("PKCS#11 token (HSM)")

    # Exactly one owner: an issuing authority (the platform is one), or an organisation that seals
    # its own side of a contract. Three nullable keys rather than a generic relation keep real
    # foreign keys (PROTECT, joins, scoping by the owner's members) and a database constraint.
    authority = models.ForeignKey(
        IssuingAuthority, on_delete=models.PROTECT, related_name="seals", null=True, blank=True
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="seals", null=True, blank=True
    )
    provider = models.ForeignKey(
        "providers.Provider", on_delete=models.PROTECT, related_name="seals", null=True, blank=True
    )
    name = models.CharField(_("Name"), max_length=200)
    purpose = models.CharField(_("Purpose"), max_length=200, blank=True)
    certificate_chain = models.TextField(_("Certificate chain (PEM)"), help_text=_("Seal certificate first."))
    certificate_serial = models.CharField(_("Certificate serial number"), max_length=64, db_index=True)
    certificate_subject = models.CharField(_("Certificate subject"), max_length=300)
    not_before = models.DateTimeField(_("Valid from"))
    not_after = models.DateTimeField(_("Valid until"))
    key_store = models.CharField(_("Key store"), max_length=20, choices=KeyStoreKind.choices)
    # A label or path inside the key store, never key material.
    key_ref = models.CharField(_("Key reference"), max_length=200)
    stamp_png = models.BinaryField(_("Stamp image (PNG)"), editable=False)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(_("Reason"), max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Seal")
        verbose_name_plural = _("Seals")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(authority__isnull=False, enterprise__isnull=True, provider__isnull=True)
                    | models.Q(authority__isnull=True, enterprise__isnull=False, provider__isnull=True)
                    | models.Q(authority__isnull=True, enterprise__isnull=True, provider__isnull=False)
                ),
                name="seal_has_exactly_one_owner",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def owner(self):
        """The authority, enterprise or provider this seal belongs to."""
        return self.authority or self.enterprise or self.provider

    @property
    def owner_name(self) -> str:
        return self.owner.name

    def is_usable(self, at=None) -> bool:
        at = at or timezone.now()
        return self.status == self.Status.ACTIVE and self.not_before <= at <= self.not_after


class SealGrantQuerySet(models.QuerySet):
    def current(self, at=None):
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, valid_from__lte=at).filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=at)
        )


class SealGrant(models.Model):
    """One user may apply one seal to one kind of document during a period, until revoked."""

    seal = models.ForeignKey(Seal, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seal_grants")
    document_kind = models.CharField(_("Document kind"), max_length=40, choices=DocumentKind.choices)
    valid_from = models.DateTimeField(_("Valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("Valid until"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("Revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SealGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("Seal grant")
        verbose_name_plural = _("Seal grants")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} → {self.seal} ({self.document_kind})"


class SealLogHead(models.Model):
    """One row, locked while an entry is appended, so concurrent sealings cannot fork the chain."""

    last_hash = models.CharField(max_length=64, default="0" * 64)
    entries = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"seal-use log head ({self.entries} entries)"


class AppendOnlyError(Exception):
    pass


class SealUse(models.Model):
    """Append-only, hash-chained record of every sealing and every refused attempt."""

    class Outcome(models.TextChoices):
        SEALED = "sealed", _("Sealed")
        REFUSED = "refused", _("Refused")

    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="uses")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    actor_email = models.CharField(max_length=254, blank=True)
    document_kind = models.CharField(_("Document kind"), max_length=40, choices=DocumentKind.choices)
    document_number = models.CharField(_("Document number"), max_length=60, blank=True)
    document_sha256 = models.CharField(_("SHA-256 of the sealed PDF"), max_length=64, blank=True)
    outcome = models.CharField(_("Outcome"), max_length=20, choices=Outcome.choices)
    detail = models.CharField(_("Detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("Time"), default=timezone.now)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("Seal use")
        verbose_name_plural = _("Seal-use log")
        ordering = ["id"]

    def __str__(self):
        return f"#{self.pk} {self.outcome} {self.document_kind} {self.document_number}"

    def compute_hash(self) -> str:
        payload = {
            "prev": self.prev_hash,
            "seal": self.seal_id,
            "actor": self.actor_id,
            "actor_email": self.actor_email,
            "kind": self.document_kind,
            "number": self.document_number,
            "sha256": self.document_sha256,
            "outcome": self.outcome,
            "detail": self.detail,
            "at": self.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("The seal-use log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The seal-use log is append-only.")


class SealedDocument(models.Model):
    """The exact bytes the platform issued. Kept in the database so a document and its record are
    written in one transaction: a crash can leave neither a PDF without a record nor the reverse."""

    kind = models.CharField(_("Document kind"), max_length=40, choices=DocumentKind.choices)
    number = models.CharField(_("Number"), max_length=60)
    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="documents")
    pdf = models.BinaryField(editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveIntegerField()
    pades_level = models.CharField(max_length=8)
    sealed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Sealed document")
        verbose_name_plural = _("Sealed documents")
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="unique_sealed_document_number")]

    def __str__(self):
        return f"{self.kind} {self.number}"


def new_verification_token() -> str:
    return secrets.token_urlsafe(24)


def verification_code_for(token: str) -> str:
    """The short code printed on a permit beside its number, derived from the QR token.

    Eight characters from the Crockford-style base32 alphabet (no I, L, O, U), shown as
    XXXX-XXXX. Knowing it does not reveal the token; with the number it lets a person who has
    only the paper look the permit up.
    """
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    value = int.from_bytes(hashlib.sha256(b"onewindow-verification-code:" + token.encode()).digest()[:5], "big")
    chars = "".join(alphabet[(value >> shift) & 31] for shift in range(35, -1, -5))
    return f"{chars[:4]}-{chars[4:]}"


def normalize_verification_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == 8 else cleaned


class PermitSequence(models.Model):
    """Last number used per authority and year; locked while a permit is numbered."""

    authority = models.ForeignKey(IssuingAuthority, on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["authority", "year"], name="unique_permit_sequence")]

    def __str__(self):
        return f"{self.authority_id}/{self.year}: {self.last}"


class PermitNumberReservation(models.Model):
    """A permit number taken from the sequence for one issuance before its PDF is sealed (the number
    is printed on it), in a short transaction of its own: sealing then runs with no lock held, and
    the permit is recorded afterwards, all or nothing. An issuance that stops in between leaves its
    reservation, and the same issuance key (the file re-run, the form resubmitted) is issued under
    the same number, so the sequence has no gap once the file is re-run. Append-only in the database:
    a number that no permit carries is explained by its reservation."""

    authority = models.ForeignKey(IssuingAuthority, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=60, unique=True)
    # The permit's issue key; blank when the issuance has none (its number then serves it alone).
    issue_key = models.CharField(max_length=64, blank=True, default="")
    reserved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "issue_key"], condition=~models.Q(issue_key=""), name="unique_reservation_key"
            )
        ]

    def __str__(self):
        return self.number


class Permit(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", pgettext_lazy("permit status", "Valid")  # "Valid" alone is the validity period
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    number = models.CharField(_("Permit number"), max_length=60, unique=True)
    authority = models.ForeignKey(IssuingAuthority, on_delete=models.PROTECT, related_name="permits")
    holder = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="permits")
    matter = models.CharField(_("Approval matter"), max_length=300)
    scope = models.TextField(pgettext_lazy("permit", "Scope"))
    conditions = models.TextField(_("Conditions"), blank=True)
    valid_from = models.DateField(_("Valid from"))
    valid_until = models.DateField(_("Valid until"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("Issued at"), default=timezone.now)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.VALID)
    status_reason = models.CharField(_("Reason"), max_length=500, blank=True)
    status_changed_at = models.DateTimeField(_("Status changed at"), null=True, blank=True)
    document = models.OneToOneField(SealedDocument, on_delete=models.PROTECT, related_name="permit")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    token = models.CharField(max_length=64, unique=True, default=new_verification_token, editable=False)
    # What makes issuing idempotent: a CSV row's key (its own, or a digest of its content) or the issue
    # form's token. One permit per key and authority; blank for permits issued before keys.
    # The documents the permit relies on, printed on it and shown by the registry: [{"label": ..., "sha256": ...}]
    # (an approval case's accepted deliverables, named by the app that issues from a case).
    citations = models.JSONField(default=list, blank=True)
    issue_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("Permit")
        verbose_name_plural = _("Permits")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "issue_key"], condition=~models.Q(issue_key=""), name="unique_permit_issue_key"
            )
        ]

    def __str__(self):
        return self.number

    @property
    def verification_code(self) -> str:
        return verification_code_for(self.token)

    @property
    def verification_url(self) -> str:
        return f"{settings.PUBLIC_BASE_URL}/v/{self.token}"

    @property
    def current_status(self) -> str:
        """The status as of today: a valid permit past its end date reads as expired."""
        if self.status == self.Status.VALID and self.valid_until < timezone.localdate():
            return self.Status.EXPIRED
        return self.status

    def get_current_status_display(self):
        return self.Status(self.current_status).label


class PermitEvent(models.Model):
    """Status history: written in the same transaction as every change, never edited."""

    class Action(models.TextChoices):
        ISSUED = "issued", _("Issued")
        SUSPENDED = "suspended", _("Suspended")
        REINSTATED = "reinstated", _("Reinstated")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("Action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(_("Reason"), max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Permit event")
        verbose_name_plural = _("Permit events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.permit_id} {self.action}"


class DocumentSigner(models.Model):
    """An issuing authority's key for signed QR codes (ECDSA P-256), certified by the platform's seal
    CA: not a seal, and never used on a PDF. One active per authority; rotating retires the old one,
    whose codes still check until its certificate ends (it stays in the trust list), while revoking
    takes it out of the list, so nothing it signed checks any more."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired (its codes still check)")
        REVOKED = "revoked", _("Revoked")

    authority = models.ForeignKey(IssuingAuthority, on_delete=models.PROTECT, related_name="document_signers")
    kid = models.CharField(_("Key id"), max_length=16, unique=True)  # hex of the first 8 bytes of SHA-256(cert)
    certificate_pem = models.TextField(_("Certificate (PEM)"))
    key_ref = models.CharField(_("Key reference"), max_length=200)  # into the encrypted key store, never key material
    not_before = models.DateTimeField(_("Valid from"))
    not_after = models.DateTimeField(_("Valid until"))
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Document signer")
        verbose_name_plural = _("Document signers")
        ordering = ["authority", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority"], condition=models.Q(status="active"), name="one_active_document_signer"
            )
        ]

    def __str__(self):
        return f"{self.authority.code} {self.kid}"
