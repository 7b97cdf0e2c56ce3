"""Review action messages follow each request's language, not the language of the first request."""

from django.utils import translation
from django.utils.functional import Promise


def test_review_action_messages_are_translated_per_request():
    # They were plain gettext at import: a worker whose first request was Chinese then told
    # English-speaking staff "中介机构已认证。" for the rest of its life.
    from providers.views import PROVIDER_ACTIONS

    for _service, _needs_reason, done in PROVIDER_ACTIONS.values():
        assert isinstance(done, Promise)
    certified = PROVIDER_ACTIONS["certify"][2]
    with translation.override("zh-hans"):
        assert str(certified) == "中介机构已认证。"
    with translation.override("en"):
        assert str(certified) == "Provider certified."
