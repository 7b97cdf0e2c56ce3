from django.apps import apps
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from marketplace import public_api
from marketplace.accounts.throttling import ThrottledPasswordResetView
from marketplace.catalogue.views import HomeView
from marketplace.conversations import urls as conversation_urls
from marketplace.core import account_views
from marketplace.core.display_views import CareModeView, LanguageSwitchView
from marketplace.credit import urls as credit_urls
from marketplace.credit.compare import CompareView
from marketplace.health import healthz
from marketplace.hiring import basket_views
from marketplace.hiring import urls as hiring_urls
from marketplace.hiring.views import CheckoutView, StockCheckoutGone
from marketplace.hiring.webhooks import StripeWebhookView
from marketplace.procurement import api as procurement_api
from marketplace.procurement import urls as procurement_urls
from marketplace.ratings import urls as ratings_urls
from marketplace.transparency import log_api
from marketplace.transparency import urls as transparency_urls
from marketplace.transparency.ocds import api as ocds_api
from providers import urls as provider_urls
from search import api as search_api
from signing import api as signing_api
from signing import urls as signing_urls
from signing.views import crl_view

# English at /, Simplified Chinese at /zh-hans/.
urlpatterns = i18n_patterns(
    path("", HomeView.as_view(), name="home"),
    # Inside the prefixed patterns so the switch resolves the page it came from in its own language.
    path("i18n/", include("django.conf.urls.i18n")),
    path("display/care/", CareModeView.as_view(), name="care-mode"),
    path("display/language/", LanguageSwitchView.as_view(), name="language-switch"),
    path("compare/", CompareView.as_view(), name="compare"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    # Credit (a layer above providers) adds the public profile and its credit pages to the same
    # prefix and namespace, so their addresses and names ("providers:console-credit") stay as they were.
    path("providers/", include((provider_urls.urlpatterns + credit_urls.urlpatterns, "providers"))),
    path("enterprise/", include(("marketplace.enterprises.urls", "enterprises"))),
    # The public API's endpoints (marketplace/public_api.py) join their apps' namespaces, under the
    # addresses and names they always had: "procurement:result-json", "transparency:log-head", ...
    path(
        "requests/",
        include(
            (
                public_api.routes(procurement_api.router, under="requests/")
                + conversation_urls.request_urlpatterns
                + procurement_urls.urlpatterns,
                "procurement",
            )
        ),
    ),
    # The order pages, with the rating steps that ratings (a layer above hiring) adds to them;
    # those first, before hiring's "<pk>/<action>/" takes every other step name.
    # Conversations (a layer above hiring) add the order's thread the same way.
    path(
        "orders/",
        include(
            (
                [*ratings_urls.order_urlpatterns, *conversation_urls.order_urlpatterns, *hiring_urls.urlpatterns],
                "hiring",
            )
        ),
    ),
    path("payments/", include(("marketplace.hiring.payment_urls", "payments"))),
    path("evaluations/", include(("marketplace.ratings.urls", "ratings"))),
    path("fair-play/", include(("marketplace.core.urls", "fairplay"))),
    path("notifications/", include(("marketplace.core.notification_urls", "notifications"))),
    path("", include(("marketplace.approvals.urls", "approvals"))),
    path("", include((transparency_urls.urlpatterns + public_api.routes(log_api.router), "transparency"))),
    # Replaces Oscar's shipping-based checkout at the same address (this pattern is matched first);
    # every stock step under it (shipping address, method, payment, preview, thank-you …) goes there too.
    # The cart, likewise in place of Oscar's basket pages (reverse("basket:summary") lands here).
    path("basket/", basket_views.BasketView.as_view(), name="cart"),
    path("basket/add/<int:pk>/", basket_views.BasketAddView.as_view(), name="cart-add"),
    path("basket/lines/<int:line_pk>/remove/", basket_views.BasketRemoveView.as_view(), name="cart-remove"),
    re_path(r"^basket/.+$", basket_views.StockBasketGone.as_view()),
    path("checkout/", CheckoutView.as_view(), name="direct-checkout"),
    re_path(r"^checkout/.+$", StockCheckoutGone.as_view()),
    # Oscar's sign-in, registration and profile pages: registering through the request, account emails in
    # the notification centre (marketplace/core/account_views.py).
    path("accounts/login/", account_views.AccountAuthView.as_view()),
    path("accounts/register/", account_views.AccountRegistrationView.as_view()),
    path("accounts/change-password/", login_required(account_views.ChangePasswordView.as_view())),
    path("accounts/profile/edit/", login_required(account_views.ProfileUpdateView.as_view())),
    # Oscar's password-reset page, rate-limited.
    path("password-reset/", ThrottledPasswordResetView.as_view(), name="password-reset"),
    path("", include((signing_urls.urlpatterns + public_api.routes(signing_api.router), "signing"))),
    path("", include((public_api.routes(search_api.router), "search-api"))),
    # /api/schema/, /api/docs/, and a JSON 404 for anything else under api/: after every endpoint there.
    path("api/", include((public_api.urlpatterns, "api"))),
    # Oscar last: its root "" only redirects to OSCAR_HOMEPAGE, which the line above serves.
    path("", include(apps.get_app_config("oscar").urls[0])),
    prefix_default_language=False,
)
# Certificates point at these CRL URLs; they must not move with the language prefix.
# Stripe posts webhooks here whatever the language; csrf-exempt, verified by signature instead.
urlpatterns = [
    # For load balancers and monitors: every dependency checked, 200 or 503 (marketplace/health.py).
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says; the SVG icon answers.
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "img/favicon.svg", permanent=True)),
    path("pki/<str:name>.crl", crl_view, name="pki-crl"),
    path("payments/stripe/webhook/", StripeWebhookView.as_view(), name="stripe-webhook"),
    # Open contracting data (OCDS 1.1): machine-readable, the same in every language.
    path("api/ocds/", include((public_api.routes(ocds_api.router, under="api/ocds/"), "ocds"))),
    *urlpatterns,
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
