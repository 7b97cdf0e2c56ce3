"""The certification workflow: every allowed and forbidden transition, audit rows and emails."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from providers import services
from providers.models import Provider, ProviderEvent, ProviderMember, Qualification
from tests.factories import UserFactory, add_qualification, make_credit_code, make_provider, pdf_upload, staff_user

pytestmark = pytest.mark.django_db

S = Provider.Status


@pytest.fixture
def eia(catalogue):
    return catalogue.get(code="eia")


@pytest.fixture
def reviewer(db):
    return staff_user()


def provider_in(status, eia, reviewer) -> Provider:
    """Drive a fresh provider to ``status`` through the services."""
    provider = make_provider()
    owner = provider.memberships.get().user
    qualification = add_qualification(provider, eia)
    if status == S.DRAFT:
        return provider
    services.qualification_approve(qualification=qualification, reviewer=reviewer)
    services.provider_submit(provider=provider, user=owner)
    if status == S.PENDING_REVIEW:
        return provider
    if status == S.REVOKED:
        return services.provider_revoke(provider=provider, reviewer=reviewer, reason="Forged certificate")
    services.provider_certify(provider=provider, reviewer=reviewer)
    if status == S.SUSPENDED:
        services.provider_suspend(provider=provider, reviewer=reviewer, reason="Complaint under investigation")
    provider.refresh_from_db()
    return provider


def run(action, provider, reviewer):
    owner = provider.memberships.get().user
    calls = {
        "submit": lambda: services.provider_submit(provider=provider, user=owner),
        "certify": lambda: services.provider_certify(provider=provider, reviewer=reviewer),
        "send_back": lambda: services.provider_send_back(provider=provider, reviewer=reviewer, reason="Fix address"),
        "suspend": lambda: services.provider_suspend(provider=provider, reviewer=reviewer, reason="Complaint"),
        "reinstate": lambda: services.provider_reinstate(provider=provider, reviewer=reviewer),
        "revoke": lambda: services.provider_revoke(provider=provider, reviewer=reviewer, reason="Fraud"),
    }
    return calls[action]()


ALLOWED = {
    (S.DRAFT, "submit"): (S.PENDING_REVIEW, ProviderEvent.Kind.SUBMITTED),
    (S.PENDING_REVIEW, "certify"): (S.CERTIFIED, ProviderEvent.Kind.CERTIFIED),
    (S.PENDING_REVIEW, "send_back"): (S.DRAFT, ProviderEvent.Kind.SENT_BACK),
    (S.PENDING_REVIEW, "revoke"): (S.REVOKED, ProviderEvent.Kind.REVOKED),
    (S.CERTIFIED, "suspend"): (S.SUSPENDED, ProviderEvent.Kind.SUSPENDED),
    (S.CERTIFIED, "revoke"): (S.REVOKED, ProviderEvent.Kind.REVOKED),
    (S.SUSPENDED, "reinstate"): (S.CERTIFIED, ProviderEvent.Kind.REINSTATED),
    (S.SUSPENDED, "revoke"): (S.REVOKED, ProviderEvent.Kind.REVOKED),
}
ACTIONS = ("submit", "certify", "send_back", "suspend", "reinstate", "revoke")
FORBIDDEN = [(status, action) for status in S.values for action in ACTIONS if (status, action) not in ALLOWED]


@pytest.mark.parametrize(("status", "action"), list(ALLOWED))
def test_allowed_transition_changes_state_audits_and_emails(
    status, action, eia, reviewer, django_capture_on_commit_callbacks
):
    provider = provider_in(status, eia, reviewer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run(action, provider, reviewer)
    provider.refresh_from_db()
    to_status, kind = ALLOWED[(status, action)]
    assert provider.status == to_status
    event = provider.events.first()
    assert (event.kind, event.from_status, event.to_status) == (kind, status, to_status)
    assert len(mail.outbox) == 1
    assert provider.memberships.get().user.email in mail.outbox[0].to
    if action in ("send_back", "suspend", "revoke"):
        assert provider.status_reason and provider.status_reason in mail.outbox[0].body
        assert event.reason == provider.status_reason


@pytest.mark.parametrize(("status", "action"), FORBIDDEN)
def test_forbidden_transition_is_refused_and_changes_nothing(
    status, action, eia, reviewer, django_capture_on_commit_callbacks
):
    provider = provider_in(status, eia, reviewer)
    events_before = provider.events.count()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as error:
        run(action, provider, reviewer)
    assert error.value.messages  # a sentence for people, not a stack trace
    provider.refresh_from_db()
    assert provider.status == status
    assert provider.events.count() == events_before
    assert mail.outbox == []


def test_registration_creates_partner_owner_and_audit(eia, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        provider = services.provider_register(
            user=user,
            credit_code=make_credit_code(42, "330100").lower(),
            name="Hangzhou Green Consulting Co., Ltd.",
            name_zh="杭州绿色咨询有限公司",
            legal_representative="Wang Wu",
            address="88 Wensan Road",
            region="330100",
            contact_name="Wang Wu",
            contact_phone="0571-1234567",
            contact_email="",
        )
    assert provider.status == S.DRAFT
    assert provider.credit_code == make_credit_code(42, "330100")  # stored upper-case
    assert provider.partner.name == provider.name
    assert list(provider.partner.users.all()) == [user]
    assert provider.memberships.get().role == ProviderMember.Role.OWNER
    assert provider.contact_email == user.email
    assert provider.events.get().kind == ProviderEvent.Kind.REGISTERED
    assert "registered" in mail.outbox[0].subject


def test_registration_rejects_bad_credit_code_duplicates_and_second_organisation():
    user = UserFactory()
    with pytest.raises(ValidationError) as error:
        services.provider_register(
            user=user,
            credit_code="91110000600037341X",
            name="A",
            name_zh="甲",
            legal_representative="x",
            address="y",
            region="110000",
            contact_name="z",
            contact_phone="1",
        )
    assert "check digit" in " ".join(error.value.messages)
    provider = make_provider(owner=user)
    with pytest.raises(ValidationError, match="already belong"):
        make_provider(owner=user)
    with pytest.raises(ValidationError, match="already registered"):
        services.provider_register(
            user=UserFactory(),
            credit_code=provider.credit_code,
            name="B",
            name_zh="乙",
            legal_representative="x",
            address="y",
            region="110000",
            contact_name="z",
            contact_phone="1",
        )
    with pytest.raises(ValidationError) as error:
        services.provider_register(
            user=UserFactory(),
            credit_code=make_credit_code(77),
            name="C",
            name_zh="丙",
            legal_representative="x",
            address="y",
            region="999999",
            contact_name="z",
            contact_phone="1",
        )
    assert "region" in error.value.message_dict


def test_submit_needs_a_qualification_and_certify_an_approved_one(eia, reviewer):
    provider = make_provider()
    owner = provider.memberships.get().user
    with pytest.raises(ValidationError, match="at least one qualification"):
        services.provider_submit(provider=provider, user=owner)
    add_qualification(provider, eia)
    services.provider_submit(provider=provider, user=owner)
    with pytest.raises(ValidationError, match="Approve at least one"):
        services.provider_certify(provider=provider, reviewer=reviewer)


def test_only_staff_review_and_only_members_submit(eia, reviewer):
    provider = make_provider()
    outsider = UserFactory()
    with pytest.raises(services.NotPermitted):
        services.provider_submit(provider=provider, user=outsider)
    qualification = add_qualification(provider, eia)
    owner = provider.memberships.get().user
    services.provider_submit(provider=provider, user=owner)
    for not_staff in (owner, outsider):
        with pytest.raises(services.NotPermitted):
            services.qualification_approve(qualification=qualification, reviewer=not_staff)
        with pytest.raises(services.NotPermitted):
            services.provider_certify(provider=provider, reviewer=not_staff)


def test_reasons_are_required_for_negative_decisions(eia, reviewer):
    provider = provider_in(S.CERTIFIED, eia, reviewer)
    with pytest.raises(ValidationError, match="reason"):
        services.provider_suspend(provider=provider, reviewer=reviewer, reason="  ")
    qualification = add_qualification(provider, eia)
    with pytest.raises(ValidationError, match="reason"):
        services.qualification_reject(qualification=qualification, reviewer=reviewer, reason="")


def test_qualification_review_transitions(eia, reviewer, django_capture_on_commit_callbacks):
    provider = make_provider()
    approved = add_qualification(provider, eia)
    rejected = add_qualification(provider, eia)
    with django_capture_on_commit_callbacks(execute=True):
        services.qualification_approve(qualification=approved, reviewer=reviewer)
        services.qualification_reject(qualification=rejected, reviewer=reviewer, reason="Scan is illegible")
    approved.refresh_from_db()
    rejected.refresh_from_db()
    assert approved.status == Qualification.Status.APPROVED and approved.reviewed_by == reviewer
    assert rejected.status == Qualification.Status.REJECTED and rejected.review_reason == "Scan is illegible"
    assert "Scan is illegible" in mail.outbox[-1].body
    kinds = list(provider.events.values_list("kind", flat=True)[:2])
    assert kinds == [ProviderEvent.Kind.QUALIFICATION_REJECTED, ProviderEvent.Kind.QUALIFICATION_APPROVED]
    # Decided qualifications cannot be decided again, in either direction.
    for qualification in (approved, rejected):
        with pytest.raises(services.TransitionNotAllowed):
            services.qualification_approve(qualification=qualification, reviewer=reviewer)
        with pytest.raises(services.TransitionNotAllowed):
            services.qualification_reject(qualification=qualification, reviewer=reviewer, reason="again")


def test_qualification_upload_validates_dates_and_scan(eia):
    provider = make_provider()
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        add_qualification(provider, eia, valid_from=today, valid_until=today - datetime.timedelta(days=1))
    assert "valid_until" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        add_qualification(provider, eia, scan=pdf_upload("virus.pdf", b"MZ\x90\x00" * 10))
    assert "scan" in error.value.message_dict
    assert not provider.qualifications.exists()


def test_revoked_provider_cannot_add_qualifications(eia, reviewer):
    provider = provider_in(S.REVOKED, eia, reviewer)
    with pytest.raises(services.TransitionNotAllowed):
        add_qualification(provider, eia)


def test_team_owner_adds_and_removes_members_and_partner_users_follow(django_capture_on_commit_callbacks):
    provider = make_provider()
    owner = provider.memberships.get().user
    colleague = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.member_add(provider=provider, actor=owner, email=colleague.email.upper())
    assert set(provider.partner.users.all()) == {owner, colleague}
    assert mail.outbox[-1].to == [colleague.email]
    # A member may not manage the team.
    with pytest.raises(services.NotPermitted):
        services.member_add(provider=provider, actor=colleague, email=UserFactory().email)
    with pytest.raises(services.NotPermitted):
        services.member_remove(provider=provider, actor=colleague, membership=provider.memberships.get(user=owner))
    with pytest.raises(ValidationError, match="No account"):
        services.member_add(provider=provider, actor=owner, email="nobody@example.test")
    with pytest.raises(ValidationError, match="already in your team"):
        services.member_add(provider=provider, actor=owner, email=colleague.email)
    other = make_provider()
    with pytest.raises(ValidationError, match="another provider"):
        services.member_add(provider=provider, actor=owner, email=other.memberships.get().user.email)
    with pytest.raises(ValidationError, match="at least one owner"):
        services.member_remove(provider=provider, actor=owner, membership=provider.memberships.get(user=owner))
    services.member_remove(provider=provider, actor=owner, membership=membership)
    assert list(provider.partner.users.all()) == [owner]
    assert provider.events.filter(kind=ProviderEvent.Kind.MEMBER_REMOVED).exists()
    with pytest.raises(services.NotPermitted):
        services.member_remove(provider=other, actor=owner, membership=other.memberships.get())


def test_emails_are_sent_only_after_commit(eia, reviewer):
    provider = provider_in(S.PENDING_REVIEW, eia, reviewer)
    mail.outbox.clear()
    # Inside the test transaction nothing has committed, so nothing is sent yet.
    services.provider_certify(provider=provider, reviewer=reviewer)
    assert mail.outbox == []


def test_emails_are_bilingual(eia, reviewer, django_capture_on_commit_callbacks):
    provider = provider_in(S.PENDING_REVIEW, eia, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        services.provider_certify(provider=provider, reviewer=reviewer)
    message = mail.outbox[-1]
    assert "certified" in message.subject and "认证" in message.subject


def test_owner_changes_roles_but_never_leaves_the_provider_ownerless():
    provider = make_provider()
    owner = provider.memberships.get().user
    colleague = services.member_add(provider=provider, actor=owner, email=UserFactory().email)
    with pytest.raises(services.NotPermitted):
        services.member_set_role(provider=provider, actor=colleague.user, membership=colleague, role="owner")
    owner_membership = provider.memberships.get(user=owner)
    with pytest.raises(ValidationError, match="at least one owner"):
        services.member_set_role(provider=provider, actor=owner, membership=owner_membership, role="member")
    services.member_set_role(provider=provider, actor=owner, membership=colleague, role="owner")
    services.member_set_role(provider=provider, actor=owner, membership=owner_membership, role="member")
    colleague.refresh_from_db()
    owner_membership.refresh_from_db()
    assert (colleague.role, owner_membership.role) == ("owner", "member")
    assert provider.events.filter(kind=ProviderEvent.Kind.MEMBER_ROLE_CHANGED).count() == 2
    other = make_provider()
    with pytest.raises(services.NotPermitted):
        services.member_set_role(
            provider=provider, actor=colleague.user, membership=other.memberships.get(), role="member"
        )
