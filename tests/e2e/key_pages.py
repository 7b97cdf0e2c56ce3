"""The pages a newcomer meets, per role, found in the demo data (``load_demo``).

Shared by the browser checks that hold every one of them to a phone's width and to WCAG 2.1 AA
(tests/e2e/test_every_page.py), and usable against a running ``make demo``:

    python manage.py shell -c "from tests.e2e.key_pages import key_pages; print(key_pages())"
"""

from django.urls import reverse

from marketplace.approvals.models import ApprovalMatter, Case
from marketplace.catalogue.models import Category, Product
from marketplace.conversations.models import Clarification, Message
from marketplace.core.demo import DEMO_USERS
from marketplace.hiring.models import DeliveryNote, ServiceOrder
from marketplace.procurement.models import RequestForQuotes
from providers.models import Provider
from signing.models import Permit

LOGINS = {
    "staff": DEMO_USERS[0][1],
    "buyer": DEMO_USERS[1][1],
    "provider": DEMO_USERS[2][1],
    "officer": DEMO_USERS[3][1],
}


def key_pages() -> list[tuple[str | None, str]]:
    """(role or None for a visitor, path) for each key page, in the order a newcomer meets them."""
    listing = Product.objects.filter(is_public=True, structure="standalone").order_by("pk").first()
    category = Category.objects.filter(depth=1).order_by("path").first()
    provider = Provider.objects.filter(status=Provider.Status.CERTIFIED).order_by("pk").first()
    awarded = RequestForQuotes.objects.filter(selections__isnull=False).order_by("pk").first()
    buyer_order = (
        ServiceOrder.objects.filter(enterprise__members__email=LOGINS["buyer"], contract__isnull=False)
        .order_by("pk")
        .first()
    )
    permit = Permit.objects.order_by("pk").first()
    matter = ApprovalMatter.objects.order_by("pk").first()
    own_case = Case.objects.filter(enterprise__members__email=LOGINS["buyer"]).order_by("pk").first()
    submitted_case = Case.objects.filter(submissions__isnull=False).order_by("pk").first()
    permit_from_case = Permit.objects.filter(case__isnull=False).first()
    held = Permit.objects.filter(holder__members__email=LOGINS["buyer"]).order_by("pk").first()
    note = DeliveryNote.objects.filter(service_order__enterprise__members__email=LOGINS["buyer"]).first()
    talked = Message.objects.order_by("pk").first()
    clarified = Clarification.objects.order_by("pk").first()
    pages = [
        (None, reverse("home")),
        (None, reverse("catalogue:index")),
        (None, category.get_absolute_url()),
        (None, listing.get_absolute_url()),
        (None, provider.get_absolute_url()),
        (None, reverse("search:search") + "?q=assessment"),
        (None, reverse("compare") + f"?listing={listing.pk}"),
        (None, reverse("procurement:list")),
        (None, reverse("procurement:results")),
        (None, awarded.get_absolute_url()),
        (None, reverse("signing:verify")),
        (None, reverse("signing:verify-scan")),
        (None, reverse("signing:permit-public", args=[permit.token])),
        (None, reverse("signing:permit-public", args=[permit_from_case.token])),
        (None, reverse("signing:permit-public", args=[note.token])),
        (None, reverse("transparency:stats")),
        (None, reverse("transparency:log")),
        (None, reverse("customer:login")),
        (None, reverse("providers:become")),
        (None, reverse("approvals:matters")),
        (None, matter.get_absolute_url()),
        ("buyer", reverse("cart")),
        ("buyer", reverse("hiring:list")),
        ("buyer", buyer_order.get_absolute_url()),
        ("buyer", note.service_order.get_absolute_url()),
        ("buyer", reverse("signing:my-permit-code", args=[held.pk])),
        ("buyer", reverse("enterprises:home")),
        ("buyer", reverse("procurement:mine")),
        ("buyer", reverse("procurement:create")),
        ("buyer", reverse("approvals:cases")),
        ("buyer", own_case.get_absolute_url()),
        ("buyer", reverse("approvals:case-open")),
        ("buyer", talked.service_order.get_absolute_url()),
        ("buyer", clarified.request.get_absolute_url()),
        ("buyer", reverse("notifications:list")),
        ("buyer", reverse("notifications:settings")),
        ("buyer", reverse("payments:statement")),
        ("buyer", reverse("payments:invoices")),
        ("provider", reverse("providers:console")),
        ("provider", reverse("procurement:my-quotes")),
        ("provider", reverse("payments:statement") + "?side=provider"),
        ("provider", reverse("payments:invoices")),
        ("provider", talked.service_order.get_absolute_url()),
        ("provider", clarified.request.get_absolute_url()),
        ("officer", reverse("signing:authority-permits")),
        ("officer", reverse("signing:permit-issue")),
        ("officer", reverse("approvals:authority-cases")),
        ("officer", submitted_case.get_absolute_url()),
        ("staff", reverse("transparency:staff-home")),
        ("staff", reverse("providers:review")),
        ("staff", reverse("transparency:oversight")),
        ("staff", reverse("transparency:oversight-invoices")),
        ("staff", reverse("hiring:disputes")),
        ("staff", reverse("approvals:overdue")),
    ]
    return pages
