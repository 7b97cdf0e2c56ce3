import oscar.apps.dashboard.orders.apps as apps


class OrdersDashboardConfig(apps.OrdersDashboardConfig):
    """Oscar's orders dashboard, forked so it cannot move a service order around its lifecycle."""

    name = "marketplace.dashboard.orders"
