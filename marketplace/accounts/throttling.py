"""Guessing passwords is slowed down: django-axes locks an account, and separately an address, after
``AXES_FAILURE_LIMIT`` failed logins for ``AXES_COOLOFF_MINUTES`` (staff unlock early in the admin, under
*Axes › Access attempts*, or with ``manage.py axes_reset_username <email>``). Password-reset requests are
rate-limited per address and per email here, through Django's cache."""

from django.conf import settings
from django.contrib.auth.views import PasswordResetView
from django.core.cache import cache
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from oscar.core.loading import get_class


def login_username(request, credentials) -> str | None:
    """The account an attempt is for: the ``username`` given to ``authenticate`` (an email here), or the
    login form's field (Oscar prefixes it ``login-``)."""
    if credentials and credentials.get("username"):
        return str(credentials["username"]).strip().casefold()
    if request is not None and request.method == "POST":
        value = request.POST.get("login-username") or request.POST.get("username")
        return value.strip().casefold() if value else None
    return None


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def password_reset_allowed(request, email: str) -> bool:
    """At most ``PASSWORD_RESET_LIMIT`` requests an hour per client address and per email address."""
    limit = settings.PASSWORD_RESET_LIMIT
    if not limit:
        return True
    allowed = True
    for key in (f"pwreset:addr:{_client_address(request)}", f"pwreset:email:{(email or '').strip().casefold()}"):
        cache.add(key, 0, timeout=3600)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=3600)
            count = 1
        allowed = allowed and count <= limit
    return allowed


class ThrottledPasswordResetView(PasswordResetView):
    """Oscar's password-reset page, with its requests rate-limited (the same form and template)."""

    form_class = get_class("customer.forms", "PasswordResetForm")
    success_url = reverse_lazy("password-reset-done")
    template_name = "oscar/registration/password_reset_form.html"

    def form_valid(self, form):
        if not password_reset_allowed(self.request, form.cleaned_data.get("email", "")):
            form.add_error(
                None,
                _("Too many password-reset requests. Please wait an hour before asking again."),
            )
            return self.form_invalid(form)
        return super().form_valid(form)


def lockout_response(request, original_response=None, credentials=None):
    """The lock-out page (HTTP 429), in the visitor's language, saying when to try again."""
    cool_off = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(request, "registration/locked_out.html", context, status=429)
