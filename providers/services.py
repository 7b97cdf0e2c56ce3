"""Every state change of providers, qualifications, teams and listings.

Each function is keyword-only, runs in one transaction, writes a ``ProviderEvent`` in that same
transaction and emails the provider after commit. A transition that is not allowed from the
current state raises ``TransitionNotAllowed`` (a ``ValidationError``) with a message for people.

Certification workflow::

    draft --submit--> pending_review --certify--> certified --suspend--> suspended
      ^                   |                         ^                      |
      +----send back------+                         +------reinstate-------+
    pending_review / certified / suspended --revoke--> revoked (final)
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import User
from marketplace.catalogue.models import AttributeOption, Category, Product, ProductCategory
from marketplace.catalogue.services import product_class_ensure_intermediary_service
from marketplace.core.regions import validate_region_code
from marketplace.core.uploads import DOCUMENT_KINDS, IMAGE_KINDS, validate_upload
from marketplace.core.validators import normalize_credit_code, validate_credit_code
from marketplace.partner.models import Partner, StockRecord

from . import emails, selectors
from .models import LOGO_MAX_SIZE, Provider, ProviderEvent, ProviderMember, Qualification, QualificationNotice

S = Provider.Status
CURRENCY = "CNY"
SCAN_MAX_SIZE = 10 * 1024 * 1024
EXPIRY_WARNING_DAYS = 30

PROFILE_FIELDS = (
    "name",
    "name_zh",
    "legal_representative",
    "address",
    "region",
    "contact_name",
    "contact_phone",
    "contact_email",
    "description",
    "description_zh",
)


class TransitionNotAllowed(ValidationError):
    """A state change asked for from a state that does not allow it."""


class NotPermitted(ValidationError):
    """The acting user may not do this (for example a member trying an owner's action)."""


def _event(provider, kind, *, actor=None, from_status="", to_status="", reason="", qualification=None, **data):
    return ProviderEvent.objects.create(
        provider=provider,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        qualification=qualification,
        data=data,
    )


def _lock(provider: Provider) -> Provider:
    return Provider.objects.select_for_update().get(pk=provider.pk)


def _require_status(provider: Provider, allowed: tuple[str, ...], action: str) -> None:
    if provider.status not in allowed:
        raise TransitionNotAllowed(
            _("A provider that is %(status)s cannot be %(action)s."),
            code="transition_not_allowed",
            params={"status": provider.get_status_display().lower(), "action": action},
        )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Please give a reason; the provider will see it."), code="reason_required")
    return reason


def _require_staff(user) -> None:
    if not (user and user.is_authenticated and user.is_staff):
        raise NotPermitted(_("Only platform staff may do this."), code="staff_only")


def _require_member(provider: Provider, user, *, owner: bool = False) -> ProviderMember:
    membership = ProviderMember.objects.filter(provider=provider, user=user).first() if user.is_authenticated else None
    if membership is None:
        raise NotPermitted(_("You are not a member of this provider."), code="not_member")
    if owner and not membership.is_owner:
        raise NotPermitted(_("Only an owner of this provider may do this."), code="owner_only")
    return membership


# --- Registration and profile --------------------------------------------------------------------


def _clean_profile(values: dict) -> dict:
    cleaned = {field: (values.get(field) or "").strip() for field in PROFILE_FIELDS}
    errors = {}
    for required in ("name", "name_zh", "legal_representative", "address", "region", "contact_name", "contact_phone"):
        if not cleaned[required]:
            errors[required] = _("This field is required.")
    if cleaned["region"]:
        try:
            validate_region_code(cleaned["region"])
        except ValidationError as error:
            errors["region"] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def provider_register(*, user: User, credit_code: str, logo=None, **profile) -> Provider:
    """Create a draft provider with ``user`` as its owner, and its Oscar partner."""
    if not user.is_authenticated:
        raise NotPermitted(_("Please log in to register an organisation."), code="login_required")
    if ProviderMember.objects.filter(user=user).exists():
        raise ValidationError(
            _("You already belong to a provider organisation; one account acts for one organisation."),
            code="already_member",
        )
    code = normalize_credit_code(credit_code)
    validate_credit_code(code)
    if Provider.objects.filter(credit_code=code).exists():
        raise ValidationError(
            {"credit_code": _("An organisation with this unified social credit code is already registered.")},
            code="credit_code_taken",
        )
    cleaned = _clean_profile(profile)
    if not cleaned["contact_email"]:
        cleaned["contact_email"] = user.email
    partner = Partner.objects.create(name=cleaned["name"][:128], code=f"p-{code.lower()}")
    partner.users.add(user)
    provider = Provider(partner=partner, credit_code=code, **cleaned)
    if logo:
        validate_upload(logo, kinds=IMAGE_KINDS, max_size=LOGO_MAX_SIZE)
        provider.logo = logo
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError:
        # Two registrations of the same code racing each other: the second loses cleanly.
        raise ValidationError(
            {"credit_code": _("An organisation with this unified social credit code is already registered.")}
        ) from None
    ProviderMember.objects.create(provider=provider, user=user, role=ProviderMember.Role.OWNER)
    _event(provider, ProviderEvent.Kind.REGISTERED, actor=user, to_status=provider.status)
    emails.notify_on_commit(provider, "registered")
    return provider


@transaction.atomic
def provider_update(*, provider: Provider, user: User, logo=None, **profile) -> Provider:
    """Edit the organisation's profile; the credit code is its identity and cannot change."""
    _require_member(provider, user)
    provider = _lock(provider)
    _require_status(provider, (S.DRAFT, S.PENDING_REVIEW, S.CERTIFIED, S.SUSPENDED), _("edited"))
    cleaned = _clean_profile({**{f: getattr(provider, f) for f in PROFILE_FIELDS}, **profile})
    if not cleaned["contact_email"]:
        raise ValidationError({"contact_email": _("This field is required.")})
    changed = [field for field, value in cleaned.items() if getattr(provider, field) != value]
    for field in changed:
        setattr(provider, field, cleaned[field])
    if logo:
        validate_upload(logo, kinds=IMAGE_KINDS, max_size=LOGO_MAX_SIZE)
        provider.logo = logo
        changed.append("logo")
    provider.save()
    if "name" in changed:
        Partner.objects.filter(pk=provider.partner_id).update(name=provider.name[:128])
    if changed:
        _event(provider, ProviderEvent.Kind.UPDATED, actor=user, fields=changed)
    return provider


# --- Certification workflow ----------------------------------------------------------------------


@transaction.atomic
def provider_submit(*, provider: Provider, user: User) -> Provider:
    """draft → pending_review, once at least one qualification awaits review or is approved."""
    _require_member(provider, user)
    provider = _lock(provider)
    _require_status(provider, (S.DRAFT,), _("submitted for review"))
    usable = provider.qualifications.filter(status__in=[Qualification.Status.PENDING, Qualification.Status.APPROVED])
    if not usable.exists():
        raise ValidationError(
            _("Upload at least one qualification certificate before submitting for review."),
            code="no_qualification",
        )
    return _transition(provider, S.PENDING_REVIEW, ProviderEvent.Kind.SUBMITTED, actor=user, submitted=True)


@transaction.atomic
def provider_certify(*, provider: Provider, reviewer: User) -> Provider:
    """pending_review → certified; needs at least one approved, unexpired qualification."""
    _require_staff(reviewer)
    provider = _lock(provider)
    _require_status(provider, (S.PENDING_REVIEW,), _("certified"))
    if not Qualification.objects.in_force().filter(provider=provider).exists():
        raise ValidationError(
            _("Approve at least one unexpired qualification before certifying this provider."),
            code="no_approved_qualification",
        )
    provider = _transition(provider, S.CERTIFIED, ProviderEvent.Kind.CERTIFIED, actor=reviewer, certified=True)
    # The platform seals a certificate of certification once the certification is committed.
    from . import tasks  # tasks imports this module: resolved at call time

    transaction.on_commit(lambda: tasks.provider_certificate_issue.delay(provider.pk))
    return provider


@transaction.atomic
def provider_send_back(*, provider: Provider, reviewer: User, reason: str) -> Provider:
    """pending_review → draft, with what the provider must change."""
    _require_staff(reviewer)
    reason = _require_reason(reason)
    provider = _lock(provider)
    _require_status(provider, (S.PENDING_REVIEW,), _("sent back"))
    return _transition(provider, S.DRAFT, ProviderEvent.Kind.SENT_BACK, actor=reviewer, reason=reason)


@transaction.atomic
def provider_suspend(*, provider: Provider, reviewer: User, reason: str) -> Provider:
    """certified → suspended: its listings leave the market until reinstated."""
    _require_staff(reviewer)
    reason = _require_reason(reason)
    provider = _lock(provider)
    _require_status(provider, (S.CERTIFIED,), _("suspended"))
    return _transition(provider, S.SUSPENDED, ProviderEvent.Kind.SUSPENDED, actor=reviewer, reason=reason)


@transaction.atomic
def provider_reinstate(*, provider: Provider, reviewer: User) -> Provider:
    """suspended → certified."""
    _require_staff(reviewer)
    provider = _lock(provider)
    _require_status(provider, (S.SUSPENDED,), _("reinstated"))
    return _transition(provider, S.CERTIFIED, ProviderEvent.Kind.REINSTATED, actor=reviewer)


@transaction.atomic
def provider_revoke(*, provider: Provider, reviewer: User, reason: str) -> Provider:
    """pending_review / certified / suspended → revoked; final."""
    _require_staff(reviewer)
    reason = _require_reason(reason)
    provider = _lock(provider)
    _require_status(provider, (S.PENDING_REVIEW, S.CERTIFIED, S.SUSPENDED), _("revoked"))
    return _transition(provider, S.REVOKED, ProviderEvent.Kind.REVOKED, actor=reviewer, reason=reason)


def _transition(provider, to_status, kind, *, actor, reason="", submitted=False, certified=False) -> Provider:
    from_status = provider.status
    provider.status = to_status
    provider.status_reason = reason
    now = timezone.now()
    if submitted:
        provider.submitted_at = now
    if certified and provider.certified_at is None:
        provider.certified_at = now
    provider.save(update_fields=["status", "status_reason", "submitted_at", "certified_at", "updated_at"])
    _event(provider, kind, actor=actor, from_status=from_status, to_status=to_status, reason=reason)
    emails.notify_on_commit(provider, kind, reason=reason)
    return provider


# --- Qualifications ------------------------------------------------------------------------------


@transaction.atomic
def qualification_upload(
    *,
    provider: Provider,
    user: User,
    category: Category,
    certificate_number: str,
    issuer: str,
    valid_from: datetime.date,
    valid_until: datetime.date,
    scan,
    grade: str = "",
) -> Qualification:
    """Add a qualification for review; the scan is checked by content and stored privately."""
    _require_member(provider, user)
    provider = _lock(provider)
    _require_status(provider, (S.DRAFT, S.PENDING_REVIEW, S.CERTIFIED, S.SUSPENDED), _("given new qualifications"))
    errors = {}
    if not (certificate_number or "").strip():
        errors["certificate_number"] = _("This field is required.")
    if not (issuer or "").strip():
        errors["issuer"] = _("This field is required.")
    if valid_until < valid_from:
        errors["valid_until"] = _("The end of validity cannot be before its start.")
    elif valid_until < timezone.localdate():
        errors["valid_until"] = _("This certificate has already expired; upload a current one.")
    try:
        validate_upload(scan, kinds=DOCUMENT_KINDS, max_size=SCAN_MAX_SIZE)
    except ValidationError as error:
        errors["scan"] = error.messages
    if errors:
        raise ValidationError(errors)
    qualification = Qualification.objects.create(
        provider=provider,
        category=category,
        certificate_number=certificate_number.strip(),
        grade=(grade or "").strip(),
        issuer=issuer.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        scan=scan,
        uploaded_by=user,
    )
    _event(provider, ProviderEvent.Kind.QUALIFICATION_UPLOADED, actor=user, qualification=qualification)
    return qualification


def _lock_qualification(qualification: Qualification) -> Qualification:
    return Qualification.objects.select_for_update().select_related("provider", "category").get(pk=qualification.pk)


@transaction.atomic
def qualification_approve(*, qualification: Qualification, reviewer: User) -> Qualification:
    """pending → approved."""
    _require_staff(reviewer)
    qualification = _lock_qualification(qualification)
    if qualification.status != Qualification.Status.PENDING:
        raise TransitionNotAllowed(_("Only a qualification pending review can be approved."), code="not_pending")
    if qualification.valid_until < timezone.localdate():
        raise ValidationError(_("This qualification has expired; it cannot be approved."), code="expired")
    return _review(qualification, Qualification.Status.APPROVED, ProviderEvent.Kind.QUALIFICATION_APPROVED, reviewer)


@transaction.atomic
def qualification_reject(*, qualification: Qualification, reviewer: User, reason: str) -> Qualification:
    """pending → rejected, with a reason the provider sees."""
    _require_staff(reviewer)
    reason = _require_reason(reason)
    qualification = _lock_qualification(qualification)
    if qualification.status != Qualification.Status.PENDING:
        raise TransitionNotAllowed(_("Only a qualification pending review can be rejected."), code="not_pending")
    return _review(
        qualification, Qualification.Status.REJECTED, ProviderEvent.Kind.QUALIFICATION_REJECTED, reviewer, reason
    )


def _review(qualification, status, kind, reviewer, reason="") -> Qualification:
    from_status = qualification.status
    qualification.status = status
    qualification.review_reason = reason
    qualification.reviewed_by = reviewer
    qualification.reviewed_at = timezone.now()
    qualification.save(update_fields=["status", "review_reason", "reviewed_by", "reviewed_at"])
    _event(
        qualification.provider,
        kind,
        actor=reviewer,
        from_status=from_status,
        to_status=status,
        reason=reason,
        qualification=qualification,
    )
    emails.notify_on_commit(qualification.provider, kind, reason=reason, qualification=qualification)
    return qualification


@dataclass(frozen=True)
class ExpiryResult:
    warned: int
    expired: int
    listings_off_sale: int


@transaction.atomic
def qualification_expire_due(*, today: datetime.date | None = None) -> ExpiryResult:
    """Warn 30 days ahead and on the last valid day; mark lapsed qualifications expired.

    Safe to run any number of times a day: each notice is recorded and never sent twice for the
    same expiry date, and only approved qualifications past their end change state.
    """
    today = today or timezone.localdate()
    warned = expired = off_sale = 0
    warn_on = today + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
    approved = Qualification.objects.filter(status=Qualification.Status.APPROVED).select_related("provider", "category")

    for qualification in approved.filter(valid_until__gt=today, valid_until__lte=warn_on):
        if _record_notice(qualification, QualificationNotice.Kind.WARNING_30_DAYS):
            _event(qualification.provider, ProviderEvent.Kind.QUALIFICATION_EXPIRING, qualification=qualification)
            emails.notify_on_commit(
                qualification.provider, ProviderEvent.Kind.QUALIFICATION_EXPIRING, qualification=qualification
            )
            warned += 1

    for qualification in approved.filter(valid_until=today):
        # The last valid day: listings still sell today, and tomorrow they stop.
        if _record_notice(qualification, QualificationNotice.Kind.DUE_TODAY):
            _event(qualification.provider, ProviderEvent.Kind.QUALIFICATION_EXPIRING, qualification=qualification)
            emails.notify_on_commit(qualification.provider, "qualification_expires_today", qualification=qualification)
            warned += 1

    for qualification in approved.select_for_update(of=("self",)).filter(valid_until__lt=today):
        listings = selectors.purchasable_listings(today=qualification.valid_until).filter(
            stockrecords__partner_id=qualification.provider.partner_id, categories=qualification.category_id
        )
        count = listings.count()
        qualification.status = Qualification.Status.EXPIRED
        qualification.save(update_fields=["status"])
        _event(
            qualification.provider,
            ProviderEvent.Kind.QUALIFICATION_EXPIRED,
            from_status=Qualification.Status.APPROVED,
            to_status=Qualification.Status.EXPIRED,
            qualification=qualification,
            listings_off_sale=count,
        )
        if _record_notice(qualification, QualificationNotice.Kind.EXPIRED):
            emails.notify_on_commit(
                qualification.provider, ProviderEvent.Kind.QUALIFICATION_EXPIRED, qualification=qualification
            )
        expired += 1
        off_sale += count
    return ExpiryResult(warned=warned, expired=expired, listings_off_sale=off_sale)


def _record_notice(qualification, kind) -> bool:
    _notice, created = QualificationNotice.objects.get_or_create(
        qualification=qualification, kind=kind, valid_until=qualification.valid_until
    )
    return created


# --- Team ----------------------------------------------------------------------------------------


@transaction.atomic
def member_add(
    *, provider: Provider, actor: User, email: str, role: str = ProviderMember.Role.MEMBER
) -> ProviderMember:
    """An owner adds a person who already has an account; they are told by email."""
    _require_member(provider, actor, owner=True)
    if role not in ProviderMember.Role.values:
        raise ValidationError({"role": _("Choose owner or member.")})
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise ValidationError(
            {"email": _("No account uses this email address; ask them to sign up first, then add them.")},
            code="no_such_user",
        )
    existing = ProviderMember.objects.filter(user=user).select_related("provider").first()
    if existing is not None:
        message = (
            _("This person is already in your team.")
            if existing.provider_id == provider.pk
            else _("This person already acts for another provider.")
        )
        raise ValidationError({"email": message}, code="already_member")
    membership = ProviderMember.objects.create(provider=provider, user=user, role=role)
    provider.partner.users.add(user)
    _event(provider, ProviderEvent.Kind.MEMBER_ADDED, actor=actor, member=user.email, role=role)
    emails.notify_member_added_on_commit(provider, user)
    return membership


@transaction.atomic
def member_remove(*, provider: Provider, actor: User, membership: ProviderMember) -> None:
    """An owner removes a member (or themselves); the last owner cannot leave."""
    _require_member(provider, actor, owner=True)
    if membership.provider_id != provider.pk:
        raise NotPermitted(_("This person is not in your team."), code="not_in_team")
    owners = ProviderMember.objects.select_for_update().filter(provider=provider, role=ProviderMember.Role.OWNER)
    if membership.is_owner and owners.count() <= 1:
        raise ValidationError(
            _("A provider needs at least one owner; make someone else an owner first."), code="last_owner"
        )
    user = membership.user
    membership.delete()
    provider.partner.users.remove(user)
    _event(provider, ProviderEvent.Kind.MEMBER_REMOVED, actor=actor, member=user.email)


@transaction.atomic
def member_set_role(*, provider: Provider, actor: User, membership: ProviderMember, role: str) -> ProviderMember:
    """An owner makes a member an owner, or an owner a member; the last owner stays an owner."""
    _require_member(provider, actor, owner=True)
    if membership.provider_id != provider.pk:
        raise NotPermitted(_("This person is not in your team."), code="not_in_team")
    if role not in ProviderMember.Role.values:
        raise ValidationError({"role": _("Choose owner or member.")})
    owners = ProviderMember.objects.select_for_update().filter(provider=provider, role=ProviderMember.Role.OWNER)
    if membership.is_owner and role != ProviderMember.Role.OWNER and owners.count() <= 1:
        raise ValidationError(
            _("A provider needs at least one owner; make someone else an owner first."), code="last_owner"
        )
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        _event(provider, ProviderEvent.Kind.MEMBER_ROLE_CHANGED, actor=actor, member=membership.user.email, role=role)
    return membership


# --- Listings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingData:
    title: str
    title_zh: str
    description: str
    description_zh: str
    category: Category
    pricing_mode: str
    price: Decimal | None
    price_unit: str
    service_days: int
    regions_served: tuple[str, ...]
    deliverables: str = ""
    deliverables_zh: str = ""
    published: bool = False


def publish_blockers(*, provider: Provider, category: Category) -> list[str]:
    """Why a listing in ``category`` cannot be published now; empty when it can."""
    reasons = []
    if provider.status != S.CERTIFIED:
        reasons.append(
            _("Your organisation is %(status)s; only certified providers can publish listings.")
            % {"status": provider.get_status_display().lower()}
        )
    if not Qualification.objects.in_force().filter(provider=provider, category=category).exists():
        reasons.append(
            _("You hold no approved, unexpired qualification for “%(category)s”; have one approved first.")
            % {"category": category.localized("name")}
        )
    return reasons


def _validate_listing(data: ListingData) -> None:
    errors = {}
    if data.pricing_mode not in ("fixed", "from", "quote"):
        errors["pricing_mode"] = _("Choose a pricing mode.")
    if data.pricing_mode in ("fixed", "from"):
        if data.price is None or data.price <= 0:
            errors["price"] = _("A fixed or “from” price needs an amount above zero.")
    elif data.price is not None and data.price < 0:
        errors["price"] = _("A price cannot be negative.")
    if data.service_days is None or data.service_days < 1:
        errors["service_days"] = _("Promise at least one day.")
    if not data.regions_served:
        errors["regions_served"] = _("Choose at least one region.")
    for code in data.regions_served:
        try:
            validate_region_code(code)
        except ValidationError as error:
            errors["regions_served"] = error.messages[0]
    if not data.title.strip():
        errors["title"] = _("This field is required.")
    if errors:
        raise ValidationError(errors)


def _apply_listing(product: Product, stockrecord: StockRecord, data: ListingData) -> None:
    product.title = data.title.strip()
    product.title_zh = data.title_zh.strip()
    product.description = data.description
    product.description_zh = data.description_zh
    product.is_public = data.published
    product.attr.pricing_mode = AttributeOption.objects.get(group__code="pricing_mode", code=data.pricing_mode)
    product.attr.price_unit = data.price_unit
    product.attr.service_days = data.service_days
    product.attr.regions_served = " ".join(data.regions_served)
    product.attr.deliverables = data.deliverables
    product.attr.deliverables_zh = data.deliverables_zh
    product.save()
    ProductCategory.objects.filter(product=product).exclude(category=data.category).delete()
    ProductCategory.objects.get_or_create(product=product, category=data.category)
    # A quote-only listing may still show an indicative price; the strategy never sells it directly.
    stockrecord.price = data.price
    stockrecord.price_currency = CURRENCY
    stockrecord.product = product
    if not stockrecord.partner_sku:
        stockrecord.partner_sku = f"L{product.pk}"
    stockrecord.save()


def _require_can_publish(provider, category) -> None:
    blockers = publish_blockers(provider=provider, category=category)
    if blockers:
        raise ValidationError({"published": blockers}, code="cannot_publish")


@transaction.atomic
def listing_create(*, provider: Provider, user: User, data: ListingData) -> Product:
    _require_member(provider, user)
    provider = _lock(provider)
    _require_status(provider, (S.DRAFT, S.PENDING_REVIEW, S.CERTIFIED, S.SUSPENDED), _("given new listings"))
    _validate_listing(data)
    if data.published:
        _require_can_publish(provider, data.category)
    product_class = product_class_ensure_intermediary_service()
    product = Product(product_class=product_class, structure=Product.STANDALONE)
    product.slug = slugify(data.title)[:200] or "listing"
    stockrecord = StockRecord(partner=provider.partner, partner_sku="")
    _apply_listing(product, stockrecord, data)
    _event(provider, ProviderEvent.Kind.LISTING_CREATED, actor=user, listing=product.pk, published=data.published)
    return product


@transaction.atomic
def listing_update(*, provider: Provider, user: User, listing: Product, data: ListingData) -> Product:
    _require_member(provider, user)
    product = (
        selectors.all_listings()
        .select_for_update(of=("self",))
        .get(pk=listing.pk, stockrecords__partner=provider.partner)
    )
    _validate_listing(data)
    if data.published:
        _require_can_publish(provider, data.category)
    stockrecord = product.stockrecords.get(partner=provider.partner)
    _apply_listing(product, stockrecord, data)
    _event(provider, ProviderEvent.Kind.LISTING_UPDATED, actor=user, listing=product.pk, published=data.published)
    return product


@transaction.atomic
def listing_set_published(*, provider: Provider, user: User, listing: Product, published: bool) -> Product:
    _require_member(provider, user)
    product = (
        selectors.all_listings()
        .select_for_update(of=("self",))
        .get(pk=listing.pk, stockrecords__partner=provider.partner)
    )
    if published:
        category = product.categories.first()
        if category is None:
            raise ValidationError(_("Choose a service item for this listing first."), code="no_category")
        _require_can_publish(provider, category)
    product.is_public = published
    product.save(update_fields=["is_public", "date_updated"])
    kind = ProviderEvent.Kind.LISTING_PUBLISHED if published else ProviderEvent.Kind.LISTING_UNPUBLISHED
    _event(provider, kind, actor=user, listing=product.pk)
    return product
