# The order's payment pages and the webhook are hiring's: their tests use the same localstripe process.
from tests.factories.contracts import contract_materials  # noqa: F401 - a fixture
from tests.payments.conftest import deal, localstripe_url, stripe_settings  # noqa: F401
