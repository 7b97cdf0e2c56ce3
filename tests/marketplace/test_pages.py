"""The public pages every visitor sees, in English at / and Simplified Chinese at /zh-hans/."""

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADER_ENTRY_POINTS = {
    "en": ["Hire an intermediary", "Become a provider", "Verify a permit"],
    "zh-hans": ["选取中介", "中介入驻", "证照核验"],
}


def url_in(language: str, name: str, **kwargs) -> str:
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_home_explains_the_platform_and_shows_categories(client, catalogue, language):
    response = client.get(url_in(language, "home"))
    assert response.status_code == 200
    html = response.content.decode()
    for label in HEADER_ENTRY_POINTS[language]:
        assert label in html
    eia = catalogue.get(code="eia")
    assert (eia.name_zh if language == "zh-hans" else eia.name) in html
    assert eia.get_absolute_url() in html or url_in(language, "catalogue:index") in html
    assert f'lang="{language}"' in html


def test_english_is_served_without_prefix_and_chinese_under_zh_hans(client, catalogue):
    assert url_in("en", "home") == "/"
    assert url_in("zh-hans", "home") == "/zh-hans/"
    assert "环境影响评价" in client.get("/zh-hans/").content.decode()
    assert "环境影响评价" not in client.get("/").content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_category_page_publishes_the_service_guide(client, catalogue, language):
    eia = catalogue.get(code="eia")
    with translation.override(language):
        url = eia.get_absolute_url()
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    if language == "zh-hans":
        assert url.startswith("/zh-hans/")
        guide = ["办事指南", "适用范围", "办理流程", "办理时限", "服务对象", "所需资质", "60 个工作日", "签订服务合同"]
        for text in guide:
            assert text in html
    else:
        for text in ["Service guide", "Scope", "Procedure", "60 working days", "Eligibility", "Required qualification"]:
            assert text in html
        assert "Expert review and revision" in html


def test_catalogue_index_lists_every_service_item(client, catalogue):
    html = client.get(reverse("catalogue:index")).content.decode()
    assert catalogue.count() >= 15
    for category in catalogue:
        assert category.name in html


def test_unknown_or_hidden_category_is_a_404_not_an_error(client, catalogue):
    assert client.get("/catalogue/category/no-such-thing_999999/").status_code == 404
    hidden = catalogue.get(code="legal")
    hidden.is_public = False
    hidden.save()
    assert client.get(hidden.get_absolute_url()).status_code == 404


def test_old_category_slug_redirects_to_the_current_one(client, catalogue):
    eia = catalogue.get(code="eia")
    response = client.get(f"/catalogue/category/old-name_{eia.pk}/")
    assert response.status_code == 301
    assert response["Location"] == eia.get_absolute_url()


def test_language_switch_keeps_the_visitor_on_the_same_page(client, catalogue):
    eia = catalogue.get(code="eia")
    english = url_in("en", "catalogue:category", category_slug=eia.full_slug, pk=eia.pk)
    chinese = url_in("zh-hans", "catalogue:category", category_slug=eia.full_slug, pk=eia.pk)
    assert chinese == f"/zh-hans{english}"
    response = client.post(url_in("en", "set_language"), {"language": "zh-hans", "next": english})
    assert response.status_code == 302
    assert response["Location"] == chinese
    back = client.post(url_in("zh-hans", "set_language"), {"language": "en", "next": chinese})
    assert back["Location"] == english


@pytest.mark.parametrize("path", ["/verify/", "/zh-hans/verify/", "/providers/join/", "/zh-hans/providers/join/"])
def test_entry_points_exist_in_both_languages(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert 'class="language-switcher"' in response.content.decode()


def test_oscar_pages_use_the_site_frame(client):
    html = client.get(reverse("customer:login")).content.decode()
    assert "site-header" in html
    assert "googleapis" not in html  # no third-party CDN: the platform serves its own scripts


def test_catalogue_pages_use_a_constant_number_of_queries(client, catalogue, django_assert_max_num_queries):
    eia = catalogue.get(code="eia")
    for url in [reverse("home"), reverse("catalogue:index")]:
        with django_assert_max_num_queries(4):
            assert client.get(url).status_code == 200
    # The category page also lists its purchasable listings: one more query when there are none
    # (tests/providers/test_queries.py pins it flat as listings grow), one for the typical price
    # and delivery time computed from completed orders, one for the approval matters that need it.
    with django_assert_max_num_queries(7):
        assert client.get(eia.get_absolute_url()).status_code == 200


def test_login_returns_the_visitor_to_their_language(client):
    UserFactory(email="mei@example.test")
    response = client.post(
        url_in("zh-hans", "customer:login"),
        {"login-username": "mei@example.test", "login-password": "correct horse battery", "login_submit": "1"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/"


def test_wrong_password_is_explained_not_an_error(client):
    response = client.post(
        url_in("en", "customer:login"),
        {"login-username": "nobody@example.test", "login-password": "wrong", "login_submit": "1"},
    )
    assert response.status_code == 200
    assert "correct email address and password" in response.content.decode()
