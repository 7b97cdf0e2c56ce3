"""Oscar's sign-in, registration and profile pages, with two changes.

* Registration signs the new account in through the request. Oscar's ``RegisterUserMixin.register_user``
  calls ``authenticate(username=…, password=…)`` with no request, and django-axes, the first
  authentication backend (login throttling), refuses any call without one: registering answered with a
  server error after the account and its welcome email were made. Here the same steps run with the
  request, and a sign-in refused anyway (an address locked out for too many failures) leaves the new
  account to sign in later instead of failing.
* Account emails reach the notification centre like every other event (issue 21): the welcome goes
  through ``core.notify`` (in the reader's language, as they choose to be told); the password- and
  email-changed messages stay Oscar's emails — they carry a one-time reset link — and are recorded in
  the centre without it.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import login as auth_login
from django.db import transaction
from django.utils.translation import gettext as _
from oscar.apps.customer.signals import user_registered
from oscar.apps.customer.views import AccountAuthView as OscarAccountAuthView
from oscar.apps.customer.views import AccountRegistrationView as OscarAccountRegistrationView
from oscar.apps.customer.views import ChangePasswordView as OscarChangePasswordView
from oscar.apps.customer.views import ProfileUpdateView as OscarProfileUpdateView

from . import notify

logger = logging.getLogger(__name__)


class RegisterThroughRequestMixin:
    def register_user(self, form):
        user = form.save()
        user_registered.send_robust(sender=self, request=self.request, user=user)
        if getattr(settings, "OSCAR_SEND_REGISTRATION_EMAIL", True):
            self.send_registration_email(user)
        try:
            signed_in = authenticate(self.request, username=user.email, password=form.cleaned_data["password1"])
        except get_user_model().MultipleObjectsReturned:
            # The form submitted twice at once made two accounts: keep the first, as Oscar does.
            logger.warning("Two registrations for one address at once; keeping the first account")
            accounts = get_user_model().objects.filter(email=user.email).order_by("pk")
            signed_in = accounts[0]
            signed_in.backend = "oscar.apps.customer.auth_backends.EmailBackend"
            accounts.exclude(pk=signed_in.pk).update(is_active=False)
        if signed_in is None:
            messages.info(self.request, _("Your account is made. Please sign in."))
            return user
        auth_login(self.request, signed_in)
        return signed_in

    def send_registration_email(self, user):
        email = user.email
        transaction.on_commit(
            lambda: notify.send_rendered(
                template="accounts/email/registered.txt", context={"user": user}, recipients=[email]
            ),
            robust=True,  # the account stands whatever the mail server says
        )


class AccountAuthView(RegisterThroughRequestMixin, OscarAccountAuthView):
    pass


class AccountRegistrationView(RegisterThroughRequestMixin, OscarAccountRegistrationView):
    pass


class ChangePasswordView(OscarChangePasswordView):
    def send_password_changed_email(self):
        super().send_password_changed_email()
        notify.record_sent(user=self.request.user, template="accounts/email/password_changed.txt", context={})


class ProfileUpdateView(OscarProfileUpdateView):
    def send_email_changed_email(self, old_user, new_email):
        super().send_email_changed_email(old_user, new_email)
        notify.record_sent(
            user=self.request.user, template="accounts/email/email_changed.txt", context={"new_email": new_email}
        )
