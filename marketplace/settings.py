"""OneWindow settings: one base, every difference between environments read from the environment.

The embedded default (nothing set) is a development setup that needs only Python: SQLite in
the project folder, Celery tasks run eagerly, search on the database backend, console email.
Production sets ``DEBUG=False`` and the variables documented in README.md; then the security
settings below switch on and a missing ``SECRET_KEY`` stops the process at start-up.
"""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from oscar.defaults import *  # noqa: F403 - Oscar's documented way to take its defaults

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is a convenience for developers; the real environment always wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

# The development key is public (it is in this file), so it must never sign anything real.
DEV_SECRET_KEY = "dev-only-insecure-key-onewindow-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a secret value when DEBUG=False (the development default is public)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address printed in QR codes and emails, e.g. https://onewindow.example.gov.cn
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Applications -----------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "django.contrib.humanize",
    "django.contrib.postgres",  # trigram lookups for search on PostgreSQL; inert on SQLite
    # Oscar, with the apps this project forks replaced by their dotted AppConfig paths.
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "oscar.apps.checkout.apps.CheckoutConfig",
    "oscar.apps.address.apps.AddressConfig",
    "oscar.apps.shipping.apps.ShippingConfig",
    "marketplace.catalogue.apps.CatalogueConfig",
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "marketplace.partner.apps.PartnerConfig",
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "oscar.apps.offer.apps.OfferConfig",
    "oscar.apps.order.apps.OrderConfig",
    "oscar.apps.customer.apps.CustomerConfig",
    "search.apps.SearchConfig",
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "marketplace.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "marketplace.dashboard.orders.apps.OrdersDashboardConfig",
    "oscar.apps.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "oscar.apps.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    "widget_tweaks",
    "haystack",
    "treebeard",
    "django_tables2",
    "axes",
    # django-ninja: the public API's schema; listed for its static files (Swagger UI, served by us, no CDN).
    "ninja",
    # OneWindow's own apps.
    "marketplace.accounts.apps.AccountsConfig",
    "marketplace.core.apps.CoreConfig",
    "translog.apps.TranslogConfig",
    "marketplace.enterprises.apps.EnterprisesConfig",
    "providers.apps.ProvidersConfig",
    "marketplace.procurement.apps.ProcurementConfig",
    "marketplace.hiring.apps.HiringConfig",
    "marketplace.payments.apps.PaymentsConfig",
    "marketplace.ratings.apps.RatingsConfig",
    "marketplace.credit.apps.CreditConfig",
    "marketplace.approvals.apps.ApprovalsConfig",
    "marketplace.conversations.apps.ConversationsConfig",
    "signing.apps.SigningConfig",
    "marketplace.transparency.apps.TransparencyConfig",
]

SITE_ID = 1

# How many reverse proxies in front of the app append to X-Forwarded-For (1 behind the README's nginx):
# the client's address is read from there (marketplace.core.middleware.TrustedProxyMiddleware).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

MIDDLEWARE = [
    # Outermost: work deferred during the request (marketplace.core.after_response) runs once its
    # response is sent, after the request's transaction has committed.
    "marketplace.core.after_response.AfterResponseMiddleware",
    # Before anything counts by client address (login throttling, rate limits).
    "marketplace.core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Whole pages, kept until a table they were made from changes: after the locale (the language is
    # part of the key), CSRF (each visitor gets their own token), authentication (a signed-in page
    # goes only to its own session) and messages (marketplace/core/page_cache.py).
    "marketplace.core.page_cache.PageCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.core.context_processors.metadata",
                "marketplace.core.context_processors.site",
                "marketplace.hiring.context_processors.cart",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Persistent connections: opening one per request cost 17 % of a worker's time on PostgreSQL (issue
# 22). Each is checked before reuse, so a database restart costs one retry, not an error page.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostgreSQL read replica for the GET pages (marketplace/core/replicas.py says which reads go
# there); unset, everything reads the one database.
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=10)
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "ATOMIC_REQUESTS": False,  # only read; the request's transaction is the primary's
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["marketplace.core.replicas.ReplicaRouter"]
    # Inside the deferred-work middleware: which of the request's reads may go to the replica.
    MIDDLEWARE.insert(1, "marketplace.core.replicas.ReplicaMiddleware")
# PostgreSQL: planner settings for every connection, given as it opens (libpq ``options``: no
# round trip). The index's pages are in memory, so a random read costs about a sequential one
# (random_page_cost; the default 4.0 made the search scan the whole table instead of its GIN
# index); on two cores parallel workers cost more to start than they save on a web request's
# statements. plan_cache_mode applies to prepared statements only, which Django's default
# client-side binding never makes: the search's statement is prepared (search/backends/database.py)
# and its generic plan kept, so it is planned once per connection, not on every search.
# DATABASE_PREPARE_THRESHOLD=none turns preparing off (PgBouncer before 1.21 in transaction mode).
# Do not add OPTIONS server_side_binding=True beside these: every ORM statement would then be
# prepared on its first run and kept to one generic plan, whatever its values' selectivity.
POSTGRES_PLANNER_SETTINGS = {
    "random_page_cost": "1.1",
    "max_parallel_workers_per_gather": "0",
    "plan_cache_mode": "force_generic_plan",
}
_prepare_threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="0")
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _options = _database.setdefault("OPTIONS", {})
        # Before any options the database URL gives (``?options=...``): a later -c wins, so a
        # deployer's own value for one of these stays theirs, and the others still apply.
        _ours = " ".join(f"-c {name}={v}" for name, v in POSTGRES_PLANNER_SETTINGS.items())
        _options["options"] = f"{_ours} {_options.get('options', '')}".strip()
        # Only cursors binding on the server prepare (the search's); None: never.
        _options.setdefault("prepare_threshold", None if _prepare_threshold == "none" else int(_prepare_threshold))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Whole pages are served from the cache until a write to a table they were made from retires them, and
# at most this long (marketplace/core/page_cache.py); 0 turns it off, as DEBUG does.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=0 if DEBUG else 60)
# Sessions read from the cache and written through to the database: one query less on every
# signed-in page, and nothing lost when the cache is emptied (a miss reads the database row).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any login while the account or the address is locked out (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "customer:login"

# Login throttling (django-axes, see marketplace/accounts/throttling.py): an account, and separately a
# client address, is locked out after this many failed logins, for this many minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "marketplace.accounts.throttling.login_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "marketplace.accounts.throttling.lockout_response"
AXES_VERBOSE = False
# Password-reset requests per hour, per client address and per email address (0: no limit).
PASSWORD_RESET_LIMIT = env.int("PASSWORD_RESET_LIMIT", default=5)
# A URL name, so the redirect stays in the language the visitor logged in with.
LOGIN_REDIRECT_URL = "home"

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Files people upload that must never be served by the web server (qualification scans, keys):
# kept outside MEDIA_ROOT and handed out only by views that check who is asking.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")
# Hard limit on any one upload, in bytes; each upload field may set a lower one.
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

STORAGES = {
    "default": {"BACKEND": env.str("DEFAULT_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# S3-compatible media: set DEFAULT_FILE_STORAGE=storages.backends.s3.S3Storage and the AWS_*
# variables django-storages reads (AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL, ...).

# --- Email ------------------------------------------------------------------------------------

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
# The file backend (``make serve``, with no mail server on the machine) writes each message here.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="OneWindow <noreply@onewindow.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -----------------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker every task runs in-process, at once: the embedded default needs no worker.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if not CELERY_BROKER_URL:
    # Eager tasks never touch a broker; naming the in-memory one keeps kombu from warning about it.
    CELERY_BROKER_URL = "memory://localhost//"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="")
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {}  # each app adds its periodic tasks in its AppConfig.ready()

# --- Search -----------------------------------------------------------------------------------

SEARCH_BACKEND = env.str("SEARCH_BACKEND", default="database")
ELASTICSEARCH_URL = env.str("ELASTICSEARCH_URL", default="")
if SEARCH_BACKEND not in {"database", "elasticsearch"}:
    raise ImproperlyConfigured("SEARCH_BACKEND must be 'database' or 'elasticsearch'.")
if SEARCH_BACKEND == "elasticsearch" and not ELASTICSEARCH_URL:
    raise ImproperlyConfigured("SEARCH_BACKEND=elasticsearch needs ELASTICSEARCH_URL.")
# The alias searches go through; `reindex` builds <alias>-<timestamp> indices behind it.
SEARCH_ES_INDEX = env.str("SEARCH_ES_INDEX", default="onewindow-listings")
# How Elasticsearch analyses Chinese: smartcn / icu need that plugin on the cluster; ngram needs none.
SEARCH_ES_CHINESE_ANALYZER = env.str("SEARCH_ES_CHINESE_ANALYZER", default="ngram")
if SEARCH_ES_CHINESE_ANALYZER not in {"ngram", "smartcn", "icu"}:
    raise ImproperlyConfigured("SEARCH_ES_CHINESE_ANALYZER must be 'ngram', 'smartcn' or 'icu'.")
SEARCH_ES_TIMEOUT = env.float("SEARCH_ES_TIMEOUT", default=5.0)  # seconds per Elasticsearch request

# Oscar still ships Haystack-based views; the simple engine keeps them working on the database
# until the search app replaces them.
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}

# --- Verification ---------------------------------------------------------------------------

# Where the verifier's trust anchors and registry come from: a callable returning
# (TrustAnchors, PermitRegistry).
VERIFICATION_SOURCES = env.str("VERIFICATION_SOURCES", default="signing.verification_sources.platform_sources")
# Uploads above this are refused with HTTP 413 before they are read.
VERIFY_MAX_UPLOAD_BYTES = env.int("VERIFY_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
# Each upload is analysed in a child process that is killed past these limits.
VERIFY_ISOLATE = env.bool("VERIFY_ISOLATE", default=True)
VERIFY_TIME_LIMIT_SECONDS = env.float("VERIFY_TIME_LIMIT_SECONDS", default=10.0)
VERIFY_MEMORY_LIMIT_MB = env.int("VERIFY_MEMORY_LIMIT_MB", default=1024)
# Worker processes kept started per web process (each ~70 MB), and files each analyses before it is replaced.
VERIFY_POOL_SIZE = env.int("VERIFY_POOL_SIZE", default=2)
VERIFY_WORKER_MAX_JOBS = env.int("VERIFY_WORKER_MAX_JOBS", default=200)
# Anonymous verifications per client address per minute (API and portal alike); 0 turns it off.
VERIFY_RATE_LIMIT_PER_MINUTE = env.int("VERIFY_RATE_LIMIT_PER_MINUTE", default=30)
# Requests per client address per minute to the public JSON API as a whole (marketplace/public_api.py),
# on top of the verification limit; past it a 429 with Retry-After. 0 turns it off.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=300)

# --- Demo data -----------------------------------------------------------------------------

# The parts ``load_demo`` runs, bottom layer first (marketplace/core/demo.py says what a part is).
DEMO_LOADERS = [
    "marketplace.catalogue.demo",
    "marketplace.core.demo",
    "marketplace.enterprises.demo",
    "signing.demo",
    "providers.demo",
    "marketplace.hiring.demo",
    "marketplace.procurement.demo",
    "marketplace.ratings.demo",
    "marketplace.credit.demo",
    "marketplace.approvals.demo",
    "marketplace.conversations.demo",
    "search.demo",
]

# --- Oscar ------------------------------------------------------------------------------------

OSCAR_SHOP_NAME = "OneWindow"
OSCAR_SHOP_TAGLINE = _("Intermediary service marketplace")
OSCAR_HOMEPAGE = "/"
OSCAR_DEFAULT_CURRENCY = "CNY"
OSCAR_FROM_EMAIL = DEFAULT_FROM_EMAIL
OSCAR_ALLOW_ANON_REVIEWS = False
OSCAR_ALLOW_ANON_CHECKOUT = False
OSCAR_SLUG_ALLOW_UNICODE = False
OSCAR_HIDDEN_FEATURES = ["wishlists", "reviews"]
OSCAR_REQUIRED_ADDRESS_FIELDS = ()
OSCAR_ACCOUNTS_REDIRECT_URL = "customer:profile-view"
# The service lifecycle is the order pipeline; only marketplace.hiring.services moves along it.
OSCAR_INITIAL_ORDER_STATUS = "awaiting_payment"
OSCAR_INITIAL_LINE_STATUS = "awaiting_payment"
# An order paid in stages goes back to awaiting payment after each stage but the last is settled (the
# next stage is funded), and completes from there when the buyer ends it after a released stage.
OSCAR_ORDER_STATUS_PIPELINE = {
    "awaiting_payment": ("in_service", "cancelled", "completed"),
    "in_service": ("delivered", "disputed", "refunded"),
    "delivered": ("completed", "revision_requested", "disputed", "awaiting_payment"),
    "revision_requested": ("in_service", "delivered", "disputed"),
    "disputed": ("completed", "refunded", "awaiting_payment"),
    "completed": (),
    "cancelled": (),
    "refunded": (),
}
OSCAR_LINE_STATUS_PIPELINE = OSCAR_ORDER_STATUS_PIPELINE
OSCAR_ORDER_STATUS_CASCADE = {status: status for status in OSCAR_ORDER_STATUS_PIPELINE}
# Oscar's dashboard keeps the catalogue, user and content screens staff use; its index redirects to
# the staff home (marketplace.dashboard.views). Shop features the platform does not use (stock
# alerts, offers, vouchers, ranges, shipping) are left out of its menu.
OSCAR_DASHBOARD_NAVIGATION = [
    {"label": _("OneWindow desks"), "icon": "fas fa-list", "url_name": "dashboard:index"},
    {
        "label": _("Catalogue"),
        "icon": "fas fa-sitemap",
        "children": [
            {"label": _("Listings"), "url_name": "dashboard:catalogue-product-list"},
            {"label": _("Service items"), "url_name": "dashboard:catalogue-category-list"},
            {"label": _("Listing types"), "url_name": "dashboard:catalogue-class-list"},
        ],
    },
    {"label": _("Orders"), "icon": "fas fa-shopping-cart", "url_name": "dashboard:order-list"},
    {"label": _("Users"), "icon": "fas fa-users", "url_name": "dashboard:users-index"},
    {
        "label": _("Content"),
        "icon": "fas fa-folder",
        "children": [
            {"label": _("Pages"), "url_name": "dashboard:page-list"},
            {"label": _("Email templates"), "url_name": "dashboard:comms-list"},
        ],
    },
]

# --- Security: on whenever DEBUG is off -------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Off only for `make serve` on plain http://127.0.0.1 (a browser drops secure cookies there).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, and the request's method,
# path, status and duration for each request), for a log collector; plain text otherwise.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "plain"}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # One line per request (marketplace.core.middleware), with LOG_FORMAT=json only.
        "onewindow.requests": {"level": "INFO"},
        # Oscar logs every missing optional class at INFO; not useful to operators.
        "oscar": {"level": "WARNING"},
        # pyHanko logs every validation step at INFO; one line per verification would drown the log.
        "pyhanko": {"level": "WARNING"},
        "pyhanko_certvalidator": {"level": "WARNING"},
        # Celery logs every task at INFO; in the eager default that is a line per saved listing.
        "celery.app.trace": {"level": "WARNING"},
    },
}

if LOG_FORMAT == "json":
    MIDDLEWARE.insert(0, "marketplace.core.middleware.RequestLogMiddleware")

# --- Signing (e-seals) ------------------------------------------------------------------------

# The platform PKI (root CA, seal CA, TSA, CRLs, encrypted seal keys) made by `manage.py init_pki`.
SIGNING_PKI_DIR = env.path("SIGNING_PKI_DIR", default=BASE_DIR / "var" / "pki")
# AES-256 key-encryption key for seal keys at rest (urlsafe base64 of 32 bytes). Never in the
# database. Without it only DEBUG may use a public development KEK; otherwise sealing is refused.
SEAL_KEY_ENCRYPTION_KEY = env.str("SEAL_KEY_ENCRYPTION_KEY", default="")
# PKCS#11 key store (HSM) for seals whose key_store is "pkcs11".
SEAL_PKCS11_LIB = env.str("SEAL_PKCS11_LIB", default="/usr/lib/softhsm/libsofthsm2.so")
SEAL_PKCS11_TOKEN = env.str("SEAL_PKCS11_TOKEN", default="onewindow")
SEAL_PKCS11_PIN = env.str("SEAL_PKCS11_PIN", default="")
# RFC 3161 timestamp authority for production; empty = the platform's local TSA, in process.
SIGNING_TSA_URL = env.str("SIGNING_TSA_URL", default="")
SIGNING_TSA_TIMEOUT = env.int("SIGNING_TSA_TIMEOUT", default=10)
# PAdES level of issued documents: B-B, B-T, B-LT or B-LTA.
SIGNING_PADES_LEVEL = env.str("SIGNING_PADES_LEVEL", default="B-LTA")

# --- Payments (Stripe) ------------------------------------------------------------------------

# The gateway behind ``marketplace.payments.interfaces.PaymentGateway`` (a dotted class path).
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="marketplace.payments.gateway.StripeGateway")
# Keys of the platform's Stripe account. The defaults work with localstripe, which accepts any
# sk_/pk_ key; production sets real keys in the environment.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_onewindow_localstripe")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="pk_test_onewindow_localstripe")
# Secret that signs webhooks (whsec_...); the webhook endpoint refuses anything not signed with it.
DEV_STRIPE_WEBHOOK_SECRET = "whsec_onewindow_localstripe"
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default=DEV_STRIPE_WEBHOOK_SECRET)
if not DEBUG and STRIPE_WEBHOOK_SECRET == DEV_STRIPE_WEBHOOK_SECRET:
    # Anyone could sign "payment succeeded" events with the public development secret.
    raise ImproperlyConfigured(
        "STRIPE_WEBHOOK_SECRET must be set to the endpoint's signing secret when DEBUG=False "
        "(the development default is public)."
    )
# Oldest webhook signature accepted, in seconds (Stripe's default tolerance).
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)
# Where the Stripe API lives: localstripe on loopback in development; https://api.stripe.com in production.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:8420")
# Stripe.js: served by localstripe in development; https://js.stripe.com/v3/ in production.
STRIPE_JS_URL = env("STRIPE_JS_URL", default="http://127.0.0.1:8420/js.stripe.com/v3/")
