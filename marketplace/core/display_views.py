"""The elder-friendly display switch (GB/T 37668 asks government sites for one): larger text and
stronger contrast, remembered for a year in a cookie, working without JavaScript."""

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from .context_processors import CARE_MODE_COOKIE

ONE_YEAR = 365 * 24 * 3600


class CareModeView(View):
    def post(self, request):
        target = request.POST.get("next") or "/"
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
            target = "/"
        response = HttpResponseRedirect(target)
        if request.POST.get("care") == "on":
            response.set_cookie(CARE_MODE_COOKIE, "on", max_age=ONE_YEAR, samesite="Lax", httponly=True)
        else:
            response.delete_cookie(CARE_MODE_COOKIE, samesite="Lax")
        return response
