"""View mixins shared by every app's staff pages."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _


class StaffRequiredMixin(LoginRequiredMixin):
    """Anonymous visitors go to the login page; signed-in non-staff get 403 with ``staff_only_message``."""

    staff_only_message = _("Only platform staff may open this page.")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.is_staff:
            raise PermissionDenied(self.staff_only_message)
        return super().dispatch(request, *args, **kwargs)
