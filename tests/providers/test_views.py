"""Provider pages through HTTP: registration, console, staff review, scans, listing pages.

The public profile is credit's page now: tests/credit/test_profile.py."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from providers.models import Provider, Qualification
from tests.factories import (
    UserFactory,
    add_qualification,
    make_certified_provider,
    make_credit_code,
    make_listing,
    make_provider,
    staff_user,
)
from tests.factories.providers import PDF_BYTES, PNG_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def eia(catalogue):
    return catalogue.get(code="eia")


def registration_data(**overrides):
    data = {
        "name": "Beijing Blue Sky Environmental Consulting Co., Ltd.",
        "name_zh": "北京蓝天环境咨询有限公司",
        "credit_code": make_credit_code(901),
        "legal_representative": "Zhao Liu",
        "address": "5 Zhongguancun Street",
        "region": "110000",
        "contact_name": "Zhao Liu",
        "contact_phone": "010-88886666",
        "contact_email": "contact@bluesky.example",
        "description": "",
        "description_zh": "",
    }
    data.update(overrides)
    return data


def test_join_page_explains_and_links_anonymous_visitors_to_login(client):
    response = client.get(reverse("providers:become"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Log in or sign up to register your organisation" in html
    assert 'name="credit_code"' not in html
    response = client.post(reverse("providers:become"), registration_data())
    assert response.status_code == 302 and reverse("customer:login") in response.url
    assert not Provider.objects.exists()


def test_join_page_is_translated(client):
    html = client.get("/zh-hans/providers/join/").content.decode()
    assert "登录或注册账户以登记您的机构" in html
    client.force_login(UserFactory())
    html = client.get("/zh-hans/providers/join/").content.decode()
    assert "注册您的机构" in html and "统一社会信用代码" in html


def test_logged_in_user_registers_an_organisation(client):
    user = UserFactory()
    client.force_login(user)
    assert 'name="credit_code"' in client.get(reverse("providers:become")).content.decode()
    data = registration_data(credit_code=make_credit_code(901).lower())
    data["logo"] = SimpleUploadedFile("logo.png", PNG_BYTES)
    response = client.post(reverse("providers:become"), data)
    assert response.status_code == 302 and response.url == reverse("providers:console-qualifications")
    provider = Provider.objects.get()
    assert provider.credit_code == make_credit_code(901) and provider.status == Provider.Status.DRAFT
    assert provider.logo.name.endswith("logo.png")
    # Coming back shows the way to the console instead of a second form.
    html = client.get(reverse("providers:become")).content.decode()
    assert "Open the provider console" in html and 'name="credit_code"' not in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"credit_code": "91110000600037341X"}, "credit_code", "check digit"),
        ({"credit_code": "9111"}, "credit_code", "18 characters"),
        ({"region": "999999"}, "region", "valid choice"),
        ({"name_zh": ""}, "name_zh", "required"),
    ],
)
def test_registration_errors_are_shown_on_the_form(client, overrides, field, message):
    client.force_login(UserFactory())
    response = client.post(reverse("providers:become"), registration_data(**overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Provider.objects.exists()


def test_registration_refuses_a_logo_that_is_not_an_image(client):
    client.force_login(UserFactory())
    data = registration_data()
    data["logo"] = SimpleUploadedFile("logo.png", b"MZ\x90\x00" + b"\x00" * 40)
    response = client.post(reverse("providers:become"), data)
    assert "program" in " ".join(response.context["form"].errors["logo"])
    assert not Provider.objects.exists()


def test_registration_refuses_a_taken_credit_code(client):
    provider = make_provider()
    client.force_login(UserFactory())
    response = client.post(reverse("providers:become"), registration_data(credit_code=provider.credit_code))
    assert "already registered" in " ".join(response.context["form"].errors["credit_code"])


def test_console_sends_people_without_an_organisation_to_registration(client):
    assert reverse("customer:login") in client.get(reverse("providers:console")).url
    client.force_login(UserFactory())
    assert client.get(reverse("providers:console")).url == reverse("providers:become")


def qualification_post(eia, **overrides):
    today = timezone.localdate()
    data = {
        "category": eia.pk,
        "certificate_number": "HP-2026-001",
        "grade": "A",
        "issuer": "Ministry of Ecology and Environment",
        "valid_from": (today - datetime.timedelta(days=10)).isoformat(),
        "valid_until": (today + datetime.timedelta(days=700)).isoformat(),
        "scan": SimpleUploadedFile("cert.pdf", PDF_BYTES),
    }
    data.update(overrides)
    return data


def test_upload_qualification_then_submit(client, eia):
    provider = make_provider()
    client.force_login(provider.memberships.get().user)
    response = client.post(reverse("providers:console-qualifications"), qualification_post(eia))
    assert response.status_code == 302
    qualification = provider.qualifications.get()
    assert qualification.status == Qualification.Status.PENDING
    response = client.post(reverse("providers:console-submit"), follow=True)
    provider.refresh_from_db()
    assert provider.status == Provider.Status.PENDING_REVIEW
    assert "Platform staff are reviewing" in response.content.decode()


@pytest.mark.parametrize(
    ("scan", "message"),
    [
        (SimpleUploadedFile("cert.pdf", b"MZ\x90\x00" + b"\x00" * 40), "program"),
        (SimpleUploadedFile("cert.pdf", PNG_BYTES), "content is PNG"),
        (SimpleUploadedFile("cert.pdf", b"just text"), "not a PDF, PNG, JPEG"),
    ],
)
def test_upload_refuses_bad_scans_with_a_message(client, eia, scan, message):
    provider = make_provider()
    client.force_login(provider.memberships.get().user)
    response = client.post(reverse("providers:console-qualifications"), qualification_post(eia, scan=scan))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["scan"])
    assert not provider.qualifications.exists()


def test_upload_refuses_an_oversized_scan(client, eia, settings):
    settings.MAX_UPLOAD_SIZE = 200
    provider = make_provider()
    client.force_login(provider.memberships.get().user)
    big = SimpleUploadedFile("cert.pdf", PDF_BYTES + b"0" * 300)
    response = client.post(reverse("providers:console-qualifications"), qualification_post(eia, scan=big))
    assert "the limit is" in " ".join(response.context["form"].errors["scan"])


def test_scans_are_stored_privately_and_served_as_downloads(client, eia, settings):
    provider = make_provider()
    qualification = add_qualification(provider, eia)
    path = qualification.scan.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    client.force_login(provider.memberships.get().user)
    response = client.get(reverse("providers:qualification-scan", args=[qualification.pk]))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF_BYTES
    client.force_login(staff_user())
    assert client.get(reverse("providers:qualification-scan", args=[qualification.pk])).status_code == 200


def listing_post(eia, **overrides):
    data = {
        "title": "Environmental impact report (full)",
        "title_zh": "环境影响报告书",
        "category": eia.pk,
        "description": "Report with expert review.",
        "description_zh": "含专家评审。",
        "pricing_mode": "fixed",
        "price": "58000",
        "price_unit": "per project",
        "service_days": "40",
        "regions_served": ["110000", "120000"],
        "deliverables": "Report",
        "deliverables_zh": "报告书",
        "published": "on",
    }
    data.update(overrides)
    return data


def test_certified_provider_creates_and_publishes_a_listing(client, eia):
    provider = make_certified_provider(categories=[eia])
    client.force_login(provider.memberships.get().user)
    response = client.post(reverse("providers:console-listing-create"), listing_post(eia))
    assert response.status_code == 302, response.context["form"].errors
    html = client.get(reverse("providers:console-listings")).content.decode()
    assert "Environmental impact report (full)" in html and "On sale" in html
    assert "Environmental impact report (full)" in client.get(eia.get_absolute_url()).content.decode()


def test_listing_form_says_why_a_category_cannot_be_published(client, eia, catalogue):
    provider = make_certified_provider(categories=[eia])
    surveying = catalogue.get(code="surveying")
    client.force_login(provider.memberships.get().user)
    response = client.post(reverse("providers:console-listing-create"), listing_post(surveying, category=surveying.pk))
    assert response.status_code == 200
    assert "no approved, unexpired qualification" in " ".join(response.context["form"].errors["published"])
    html = response.content.decode()
    assert "Surveying" in html


def test_edit_and_withdraw_a_listing(client, eia):
    provider = make_certified_provider(categories=[eia])
    product = make_listing(provider, eia)
    client.force_login(provider.memberships.get().user)
    edit = reverse("providers:console-listing-edit", args=[product.pk])
    assert client.get(edit).context["form"].initial["price"] == product.stockrecords.get().price
    response = client.post(edit, listing_post(eia, price="61000"))
    assert response.status_code == 302
    assert product.stockrecords.get().price == 61000
    client.post(reverse("providers:console-listing-publish", args=[product.pk]), {"published": "0"})
    product.refresh_from_db()
    assert not product.is_public
    assert client.get(product.get_absolute_url()).status_code == 200  # the owner may preview
    client.logout()
    assert client.get(product.get_absolute_url()).status_code == 404


def test_team_page_adds_and_removes(client):
    provider = make_provider()
    owner = provider.memberships.get().user
    colleague = UserFactory()
    client.force_login(owner)
    client.post(reverse("providers:console-team"), {"email": colleague.email, "role": "member"})
    membership = provider.memberships.get(user=colleague)
    response = client.post(reverse("providers:console-team"), {"email": "ghost@example.test", "role": "member"})
    assert "No account uses this email address" in response.content.decode()
    client.post(reverse("providers:console-team-remove", args=[membership.pk]))
    assert not provider.memberships.filter(user=colleague).exists()


def test_staff_review_approve_and_certify(client, eia):
    provider = make_provider()
    owner = provider.memberships.get().user
    qualification = add_qualification(provider, eia)
    from providers import services

    services.provider_submit(provider=provider, user=owner)
    client.force_login(staff_user())
    queue = client.get(reverse("providers:review")).content.decode()
    assert provider.name in queue
    client.post(reverse("providers:review-qualification-action", args=[qualification.pk, "approve"]))
    response = client.post(reverse("providers:review-provider-action", args=[provider.pk, "certify"]), follow=True)
    provider.refresh_from_db()
    assert provider.status == Provider.Status.CERTIFIED
    assert "Provider certified." in response.content.decode()


def test_staff_review_errors_are_messages_not_500s(client, eia):
    provider = make_certified_provider(categories=[eia])
    client.force_login(staff_user())
    response = client.post(reverse("providers:review-provider-action", args=[provider.pk, "suspend"]), follow=True)
    assert "Please give a reason" in response.content.decode()
    response = client.post(reverse("providers:review-provider-action", args=[provider.pk, "certify"]), follow=True)
    assert "cannot be certified" in response.content.decode()
    assert client.post(reverse("providers:review-provider-action", args=[provider.pk, "explode"])).status_code == 404
    provider.refresh_from_db()
    assert provider.status == Provider.Status.CERTIFIED


def test_profile_edit_saves_and_keeps_the_credit_code(client):
    provider = make_provider()
    client.force_login(provider.memberships.get().user)
    form = client.get(reverse("providers:console-profile")).context["form"]
    data = {key: value or "" for key, value in form.initial.items()}
    data.update(name="Renamed Consulting Co., Ltd.", credit_code=make_credit_code(1))
    response = client.post(reverse("providers:console-profile"), data)
    assert response.status_code == 302
    old_code = provider.credit_code
    provider.refresh_from_db()
    assert provider.name == "Renamed Consulting Co., Ltd." and provider.credit_code == old_code
    assert provider.partner.name == "Renamed Consulting Co., Ltd."
    assert provider.events.filter(kind="updated").exists()
    response = client.post(reverse("providers:console-profile"), {**data, "region": "12345"})
    assert "region" in response.context["form"].errors


def test_listing_form_names_the_categories_a_provider_may_publish_in(client, eia):
    provider = make_certified_provider(categories=[eia])
    client.force_login(provider.memberships.get().user)
    form = client.get(reverse("providers:console-listing-create")).context["form"]
    assert "You can publish in: Environmental impact assessment." in form.fields["category"].help_text


def test_chinese_listing_pages(client, eia):
    provider = make_certified_provider(categories=[eia])
    product = make_listing(provider, eia, pricing_mode="from")
    html = client.get("/zh-hans" + product.get_absolute_url()).content.decode()
    assert "环境影响报告书编制" in html and "起" in html and "暂无评分" in html
    with translation.override("zh-hans"):
        url = eia.get_absolute_url()
    html = client.get(url).content.decode()
    assert provider.name_zh in html
