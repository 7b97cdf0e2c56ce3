# The order's payment pages and the webhook are hiring's: their tests use the same localstripe process.
from tests.payments.conftest import deal, localstripe_url, stripe_settings  # noqa: F401
