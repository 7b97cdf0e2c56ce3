"""Enterprise team management: owners add and remove members; an enterprise always keeps an owner."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import User

from .models import Enterprise, EnterpriseMember, InvoiceTitle


class NotPermitted(ValidationError):
    pass


def _require_owner(enterprise: Enterprise, user) -> None:
    if not (
        user
        and user.is_authenticated
        and enterprise.memberships.filter(user=user, role=EnterpriseMember.Role.OWNER).exists()
    ):
        raise NotPermitted(_("Only an owner of this enterprise may manage its members."), code="owner_only")


@transaction.atomic
def enterprise_member_add(*, enterprise: Enterprise, actor, email: str, role: str = "member") -> EnterpriseMember:
    """Add an existing account by email (people register first, then an owner adds them)."""
    _require_owner(enterprise, actor)
    if role not in EnterpriseMember.Role.values:
        raise ValidationError({"role": _("Choose a role.")}, code="bad_role")
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise ValidationError(
            {"email": _("No account uses this email address; ask the person to register first.")}, code="no_user"
        )
    membership, created = EnterpriseMember.objects.get_or_create(
        enterprise=enterprise, user=user, defaults={"role": role}
    )
    if not created:
        raise ValidationError({"email": _("This person is already a member.")}, code="already_member")
    return membership


@transaction.atomic
def enterprise_member_remove(*, membership: EnterpriseMember, actor) -> None:
    enterprise = Enterprise.objects.select_for_update().get(pk=membership.enterprise_id)
    _require_owner(enterprise, actor)
    owners = enterprise.memberships.filter(role=EnterpriseMember.Role.OWNER)
    if membership.role == EnterpriseMember.Role.OWNER and owners.count() <= 1:
        raise ValidationError(_("An enterprise must keep at least one owner."), code="last_owner")
    membership.delete()


@transaction.atomic
def invoice_title_save(*, enterprise: Enterprise, actor, data: dict, title: InvoiceTitle | None = None) -> InvoiceTitle:
    """Add an invoice title to the enterprise, or change one of its titles (any member may: the people
    who ask for invoices keep them). Requests already made keep the title as it was when asked."""
    if not enterprise.memberships.filter(user=actor).exists():
        raise NotPermitted(_("Only members of this enterprise may keep its invoice titles."), code="member_only")
    if title is not None and title.enterprise_id != enterprise.pk:
        raise NotPermitted(_("That invoice title belongs to another enterprise."), code="other_enterprise")
    title = title or InvoiceTitle(enterprise=enterprise)
    for field in ("name", "tax_number", "address", "phone", "bank_name", "bank_account"):
        setattr(title, field, (data.get(field) or "").strip())
    title.tax_number = title.tax_number.upper()
    title.full_clean()
    title.save()
    return title


@transaction.atomic
def invoice_title_delete(*, title: InvoiceTitle, actor) -> None:
    if not title.enterprise.memberships.filter(user=actor).exists():
        raise NotPermitted(_("Only members of this enterprise may keep its invoice titles."), code="member_only")
    title.delete()
