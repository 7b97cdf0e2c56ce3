import oscar.apps.dashboard.apps as apps


class DashboardConfig(apps.DashboardConfig):
    """Oscar's dashboard, forked only so that its orders sub-app can be forked (Oscar finds a
    sub-app's classes through its parent app's module path)."""

    name = "marketplace.dashboard"
