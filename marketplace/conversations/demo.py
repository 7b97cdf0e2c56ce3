"""Demo conversations: the demo buyer and the demo provider talking on an order in service (one
message corrected), and clarifications on an open request (one answered, one waiting for the
buyer). Through the services, so the notifications and records are real. Idempotent."""

from django.core.exceptions import ValidationError

from marketplace.accounts.models import User
from marketplace.core import notify
from marketplace.enterprises.demo import DEMO_BUYER_EMAIL
from marketplace.hiring.models import ServiceOrder, Status
from marketplace.procurement.models import RequestForQuotes
from providers.demo import DEMO_PROVIDER_USER
from providers.models import ProviderMember

from . import services
from .models import Clarification, Message

QUESTIONS = (
    (
        "Does the assessment have to cover the temporary construction road as well?",
        "Yes: the 400 m temporary road is part of the project and must be assessed with it.",
    ),
    ("May the noise survey reuse measurements taken last autumn?", None),
)


def load_demo() -> str:
    buyer = User.objects.filter(email=DEMO_BUYER_EMAIL).first()
    provider_user = User.objects.filter(email=DEMO_PROVIDER_USER).first()
    if buyer is None or provider_user is None:
        return "conversations 0"
    with notify.muted():
        return f"messages {_order_thread(buyer, provider_user)}; clarifications {_clarifications(buyer)}"


def _order_thread(buyer, provider_user) -> int:
    provider = ProviderMember.objects.get(user=provider_user).provider
    order = (
        ServiceOrder.objects.filter(
            order__status=Status.IN_SERVICE, provider=provider, enterprise__memberships__user=buyer
        )
        .order_by("pk")
        .first()
    )
    if order is None or Message.objects.filter(service_order=order).exists():
        return 0
    services.message_post(
        service_order=order, user=buyer, body="Could you send the list of monitoring points before the site visit?"
    )
    reply = services.message_post(
        service_order=order, user=provider_user, body="Here they are: six points along the east boundary."
    )
    services.message_edit(
        message=reply, user=provider_user, body="Six points along the east boundary and two at the nearest homes."
    )
    services.message_post(service_order=order, user=buyer, body="Thank you, the site manager will meet you on Monday.")
    return 3


def _clarifications(buyer) -> int:
    request = (
        RequestForQuotes.objects.filter(status=RequestForQuotes.Status.OPEN, enterprise__memberships__user=buyer)
        .order_by("deadline")
        .last()
    )
    if request is None or Clarification.objects.filter(request=request).exists():
        return 0
    made = 0
    for member in ProviderMember.objects.select_related("user").order_by("pk"):
        if made == len(QUESTIONS):
            break
        question, answer = QUESTIONS[made]
        try:
            asked = services.clarification_ask(request=request, user=member.user, question=question)
        except ValidationError:
            continue  # not eligible for this request: another provider asks
        if answer:
            services.clarification_answer(clarification=asked, user=buyer, answer=answer)
        made += 1
    return made
