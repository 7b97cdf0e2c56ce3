"""Clarifications on a request for quotes: a provider asks privately before the deadline; the buyer
answers publicly to every provider without revealing who asked; an answer in the last 24 hours moves
the deadline; contact details are refused while the request forbids side deals."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from marketplace.conversations import records, services
from marketplace.conversations.contacts import contact_details
from marketplace.conversations.models import Clarification
from marketplace.core.conflicts import related_party_declare
from marketplace.core.models import ConflictAttempt, Notification
from marketplace.procurement import services as procurement
from marketplace.procurement.models import RequestForQuotes
from tests.factories import (
    UserFactory,
    make_buyer,
    make_certified_provider,
    make_quote,
    make_request,
    provider_owner,
    staff_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rfq(buyer, category):
    enterprise, owner = buyer
    return make_request(enterprise=enterprise, user=owner, category=category, hours=72)


def ask(rfq, provider, text="Does the assessment cover the access road?"):
    return services.clarification_ask(request=rfq, user=provider_owner(provider), question=text)


def test_the_question_is_private_and_the_answer_public_without_the_asker(client, rfq, buyer, providers):
    _enterprise, owner = buyer
    asker, other = providers[0], providers[1]
    question = ask(rfq, asker)
    url = rfq.get_absolute_url()

    client.force_login(owner)  # the buyer sees the question, not who asked
    page = client.get(url).content.decode()
    assert "access road" in page and asker.name not in page and "Publish the answer" in page
    client.force_login(provider_owner(other))  # another provider sees nothing before the answer
    assert "access road" not in client.get(url).content.decode()

    client.force_login(owner)
    client.post(
        reverse("procurement:clarification-answer", args=[rfq.pk, question.pk]),
        {"answer": "Yes: the 400 m access road is part of the project."},
    )
    for viewer in (provider_owner(other), None):  # every provider, and the public record
        if viewer:
            client.force_login(viewer)
        else:
            client.logout()
        page = client.get(url).content.decode()
        assert "access road?" in page and "400 m access road" in page and asker.name not in page
    client.force_login(staff_user())  # staff keep the record of who asked
    assert asker.name in client.get(url).content.decode()


def test_the_buyer_and_the_askers_are_notified(rfq, buyer, providers, django_capture_on_commit_callbacks):
    _enterprise, owner = buyer
    make_quote(rfq, providers[2])
    with django_capture_on_commit_callbacks(execute=True):
        question = ask(rfq, providers[0])
    assert Notification.objects.filter(user=owner, kind="requests").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.clarification_answer(clarification=question, user=owner, answer="Yes.")
    told = {n.user_id for n in Notification.objects.filter(kind="requests") if "clarification" in n.subject["en"]}
    assert {provider_owner(providers[0]).pk, provider_owner(providers[2]).pk} <= told  # asked, quoted
    assert provider_owner(providers[1]).pk not in told
    # No notification, in either language, says who asked.
    for note in Notification.objects.all():
        text = " ".join([*note.subject.values(), *note.body.values()])
        assert providers[0].name not in text and provider_owner(providers[0]).email not in text


def test_an_answer_in_the_last_day_moves_the_deadline(rfq, buyer, providers, settings):
    _enterprise, owner = buyer
    settings.PROCUREMENT_CLARIFICATION_LATE_HOURS = 24
    settings.PROCUREMENT_CLARIFICATION_EXTENSION_HOURS = 36
    deadline = rfq.deadline
    early = ask(rfq, providers[0])
    services.clarification_answer(clarification=early, user=owner, answer="Early answer.")
    rfq.refresh_from_db()
    assert rfq.deadline == deadline  # three days ahead: nothing moves

    late = ask(rfq, providers[1], "Is the soil report included?")
    now = deadline - datetime.timedelta(hours=10)
    answered = services.clarification_answer(clarification=late, user=owner, answer="No.", now=now)
    rfq.refresh_from_db()
    assert rfq.deadline == now + datetime.timedelta(hours=36) == answered.deadline_moved_to
    event = rfq.events.get(kind="deadline_moved")
    assert event.data["why"] == "clarification" and event.data["clarification"] == late.pk
    # The "too few quotes" extension is still available: this one is not it.
    assert not rfq.events.filter(kind="extended").exists()


def test_an_answer_outside_the_late_window_or_an_earlier_extension_moves_nothing(rfq, buyer, providers, settings):
    """The rule and its length are settings: an answer before the late window leaves the deadline
    alone, and an extension that would end before the deadline never brings it forward."""
    _enterprise, owner = buyer
    deadline = rfq.deadline
    settings.PROCUREMENT_CLARIFICATION_LATE_HOURS = 6
    settings.PROCUREMENT_CLARIFICATION_EXTENSION_HOURS = 48
    answered = services.clarification_answer(
        clarification=ask(rfq, providers[0]), user=owner, answer="Yes.", now=deadline - datetime.timedelta(hours=10)
    )
    settings.PROCUREMENT_CLARIFICATION_LATE_HOURS = 24
    settings.PROCUREMENT_CLARIFICATION_EXTENSION_HOURS = 4
    shorter = services.clarification_answer(
        clarification=ask(rfq, providers[1], "Is the soil report included?"),
        user=owner,
        answer="No.",
        now=deadline - datetime.timedelta(hours=10),
    )
    rfq.refresh_from_db()
    assert rfq.deadline == deadline and answered.deadline_moved_to is None and shorter.deadline_moved_to is None
    assert not rfq.events.filter(kind="deadline_moved").exists()


def test_the_moved_deadline_is_said_in_local_time(client, rfq, buyer, providers, settings):
    _enterprise, owner = buyer
    settings.PROCUREMENT_CLARIFICATION_LATE_HOURS = 100  # the 72 hours left are "late"
    settings.PROCUREMENT_CLARIFICATION_EXTENSION_HOURS = 200  # and the extension ends after the deadline
    question = ask(rfq, providers[0])
    client.force_login(owner)
    response = client.post(
        reverse("procurement:clarification-answer", args=[rfq.pk, question.pk]), {"answer": "Yes."}, follow=True
    )
    question.refresh_from_db()
    local = timezone.localtime(question.deadline_moved_to).strftime("%Y-%m-%d %H:%M")
    assert f"It came close to the deadline, so the deadline moved to {local}." in response.content.decode()


def test_published_clarifications_stay_on_the_result_page_and_in_the_record(client, rfq, buyer, providers):
    _enterprise, owner = buyer
    published = ask(rfq, providers[0])
    services.clarification_answer(clarification=published, user=owner, answer="Yes: the 400 m access road.")
    ask(rfq, providers[1], "Is the soil report included?")  # never answered
    make_quote(rfq, providers[1], price="61000")
    make_quote(rfq, providers[2], price="59000")
    procurement.request_close(request=rfq, now=rfq.deadline + datetime.timedelta(hours=1))
    rfq.refresh_from_db()
    assert rfq.status != RequestForQuotes.Status.OPEN

    client.logout()  # the public result page
    page = client.get(rfq.get_absolute_url()).content.decode()
    assert 'class="rfq-result"' in page and "400 m access road" in page and "access road?" in page
    assert "soil report" not in page and providers[0].name not in page.split('id="clarifications"')[1]
    client.force_login(provider_owner(providers[2]))  # the deadline has passed: no more questions
    assert 'id="clarification-question"' not in client.get(rfq.get_absolute_url()).content.decode()
    # The request's record (a case bundle's clarifications.json) carries what was published, never who asked.
    (record,) = records.request_clarifications_record(rfq)
    assert record["question"] == published.question and record["answer"] == "Yes: the 400 m access road."
    assert providers[0].name not in str(record) and "provider" not in record


def test_nothing_is_asked_or_answered_after_the_deadline(rfq, buyer, providers):
    _enterprise, owner = buyer
    question = ask(rfq, providers[0])
    after = rfq.deadline + datetime.timedelta(minutes=1)
    with pytest.raises(ValidationError, match="deadline has passed"):
        services.clarification_ask(request=rfq, user=provider_owner(providers[1]), question="Late?", now=after)
    with pytest.raises(ValidationError, match="deadline has passed"):
        services.clarification_answer(clarification=question, user=owner, answer="Late.", now=after)


def test_only_eligible_providers_ask_and_only_the_buyer_answers(client, rfq, buyer, providers, catalogue):
    _enterprise, owner = buyer
    with pytest.raises(ValidationError):
        services.clarification_ask(request=rfq, user=owner, question="Me?")  # the buyer is no provider
    surveyor = make_certified_provider(categories=[catalogue.get(code="surveying")], name="Surveyor")
    with pytest.raises(ValidationError, match="qualification"):
        ask(rfq, surveyor)
    question = ask(rfq, providers[0])
    stranger_enterprise, stranger = make_buyer()
    with pytest.raises(ValidationError):
        services.clarification_answer(clarification=question, user=stranger, answer="Not mine to answer.")
    client.force_login(stranger)
    assert (
        client.post(
            reverse("procurement:clarification-answer", args=[rfq.pk, question.pk]), {"answer": "x"}
        ).status_code
        == 404
    )
    client.force_login(UserFactory())
    response = client.post(reverse("procurement:clarification-ask", args=[rfq.pk]), {"question": "?"}, follow=True)
    assert "team may ask a question here" in response.content.decode()


def test_an_answer_is_given_once_and_the_database_keeps_it(rfq, buyer, providers):
    _enterprise, owner = buyer
    question = services.clarification_answer(clarification=ask(rfq, providers[0]), user=owner, answer="Yes.")
    with pytest.raises(ValidationError, match="already answered"):
        services.clarification_answer(clarification=question, user=owner, answer="No.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Clarification.objects.filter(pk=question.pk).update(answer="No, after all.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Clarification.objects.filter(pk=question.pk).update(question="A different question")
    assert Clarification.objects.get(pk=question.pk).answer == "Yes."


@pytest.mark.parametrize(
    "text",
    [
        "Call me on 138 0013 8000",
        "电话：13800138000",
        "Write to bids@example.com",
        "邮箱 ｂｉｄｓ＠ｅｘａｍｐｌｅ．ｃｏｍ",  # full width
        "office 010-88886666",
        "加微信 wxid_bid2026",
        "+44 20 7946 0958",
    ],
)
def test_contact_details_are_refused_while_side_deals_are_forbidden(rfq, buyer, providers, text):
    _enterprise, owner = buyer
    assert contact_details(text)
    with pytest.raises(ValidationError, match="forbids contact outside the platform"):
        ask(rfq, providers[0], text)
    question = ask(rfq, providers[0])
    with pytest.raises(ValidationError, match="forbids contact outside the platform"):
        services.clarification_answer(clarification=question, user=owner, answer=text)


def test_contact_details_pass_when_the_request_allows_them_and_plain_numbers_never_trip(buyer, category, providers):
    enterprise, owner = buyer
    rfq = make_request(enterprise=enterprise, user=owner, category=category, side_contact_forbidden=False)
    assert ask(rfq, providers[0], "Call me on 138 0013 8000").pk
    assert contact_details("The site is 2,000 m², budget ¥100000, 2026-03-01, GB 3096-2008, 30 days.") == []


def test_the_request_form_sets_the_rule_and_the_page_states_it(client, buyer, category):
    enterprise, owner = buyer
    client.force_login(owner)
    deadline = (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "enterprise": enterprise.pk,
        "category": category.pk,
        "title": "Noise survey",
        "description": "Noise survey at the plant boundary.",
        "region": "110000",
        "budget": "50000",
        "deadline": deadline,
        "method": "lowest_price",
    }
    client.post(reverse("procurement:create"), form)  # the box left unticked: contact allowed
    client.post(reverse("procurement:create"), {**form, "title": "Second", "side_contact_forbidden": "on"})
    first, second = RequestForQuotes.objects.order_by("pk")
    assert (first.side_contact_forbidden, second.side_contact_forbidden) == (False, True)
    assert "Only through clarifications on this page" in client.get(second.get_absolute_url()).content.decode()


def test_a_related_provider_cannot_ask_and_the_attempt_is_recorded(rfq, buyer, providers, staff):
    enterprise, owner = buyer
    related_party_declare(user=staff, relation="Same parent company", enterprise=enterprise, provider=providers[0])
    with pytest.raises(ValidationError):
        ask(rfq, providers[0])
    assert not Clarification.objects.exists()
    attempt = ConflictAttempt.objects.get()
    assert (attempt.act, attempt.reason) == ("quote", "related_party")
