"""Oscar's dashboard index, replaced for staff by the staff home.

Oscar's index reports shop figures (revenue, stock alerts, vouchers) the platform has no use for;
staff land on ``/staff/``, which gathers OneWindow's own desks with their queues and links back to
the catalogue screens here. Oscar loads this class by name (``get_class("dashboard.views", ...)``).
"""

from django.shortcuts import redirect
from oscar.apps.dashboard.views import IndexView as OscarIndexView
from oscar.apps.dashboard.views import LoginView  # noqa: F401  (Oscar loads it from this module too)


class IndexView(OscarIndexView):
    def get(self, request, *args, **kwargs):
        if request.user.is_staff:
            return redirect("transparency:staff-home")
        return super().get(request, *args, **kwargs)
