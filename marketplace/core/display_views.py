"""The two switches in every page's header, working without JavaScript: the language, and the
elder-friendly display (GB/T 37668 asks government sites for one: larger text and stronger contrast,
remembered for a year in a cookie).

Both are plain GET forms with no CSRF token: they change only how the visitor's own pages look, so
a public page that carries them stays the same for every visitor and can be served from the cache
(:mod:`marketplace.core.page_cache`). The care switch still takes a POST, as it did.
"""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import translate_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from .context_processors import CARE_MODE_COOKIE

ONE_YEAR = 365 * 24 * 3600


def _back_to(request, target: str | None) -> str:
    """The page the switch was pressed on, never another site."""
    target = target or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return "/"
    return target


class CareModeView(View):
    def get(self, request):
        return self._switch(request, request.GET)

    def post(self, request):
        return self._switch(request, request.POST)

    def _switch(self, request, data):
        response = HttpResponseRedirect(_back_to(request, data.get("next")))
        if data.get("care") == "on":
            response.set_cookie(CARE_MODE_COOKIE, "on", max_age=ONE_YEAR, samesite="Lax", httponly=True)
        else:
            response.delete_cookie(CARE_MODE_COOKIE, samesite="Lax")
        return response


class LanguageSwitchView(View):
    """The same page in the chosen language (its address carries the language), remembered in the
    language cookie for addresses that carry none, as Django's ``set_language`` does."""

    def get(self, request):
        target = _back_to(request, request.GET.get("next"))
        language = request.GET.get("language", "")
        if language not in dict(settings.LANGUAGES):
            return HttpResponseRedirect(target)
        response = HttpResponseRedirect(translate_url(target, language))
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
