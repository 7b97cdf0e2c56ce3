"""View mixins every app's pages share: the acting organisation's object, and service errors.

Views stay thin (STYLE.md 1-2): they resolve what the URL names *for the acting organisation*
once per request, call one service, and turn the service's ``ValidationError`` into form errors
or messages the same way on every page.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404


def apply_service_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors where they belong, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def flash_service_errors(request, error: ValidationError) -> None:
    """Show a service's refusal as error messages on the next page."""
    for message in error.messages:
        messages.error(request, message)


class OrganisationObjectMixin(LoginRequiredMixin):
    """Resolve the object the URL names once per request, for the acting user's organisation.

    Subclasses name a selector that takes ``user`` and ``pk`` and raises ``DoesNotExist`` for
    anything outside the user's organisations, so another organisation's object is a 404, never
    a 403 that would confirm it exists (the way Sentry's organisation endpoints convert their
    arguments before the handler runs). The object is ``self.object`` in every handler.
    """

    object_selector: Callable[..., Any]
    pk_url_kwarg = "pk"
    not_found_message = "Not found"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            self.object = type(self).object_selector(user=request.user, pk=kwargs[self.pk_url_kwarg])
        except ObjectDoesNotExist:
            raise Http404(self.not_found_message) from None
        return super().dispatch(request, *args, **kwargs)
