"""Order conversations (on the order's page, at #conversation) and request clarifications (on the
request's page, at #clarifications): posting, editing, reading attachments, polling for new entries."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from marketplace.core.storage import private_file_response
from marketplace.core.views import OrganisationObjectMixin, flash_service_errors
from marketplace.hiring import selectors as hiring_selectors
from marketplace.procurement.models import RequestForQuotes

from . import selectors, services
from .models import Clarification, Message


class _ThreadMixin(OrganisationObjectMixin):
    """The order the URL names, for whoever may read its thread; 404 for anyone else."""

    object_selector = hiring_selectors.order_for_user
    not_found_message = "No such order"

    def thread_url(self):
        return f"{self.object.get_absolute_url()}#conversation"

    def party(self):
        party = services.thread_party(self.object, self.request.user)
        if party is None:
            raise Http404(self.not_found_message)
        return party


class MessagePostView(_ThreadMixin, View):
    def post(self, request, pk):
        # The service asks who writes (the buyer's or the provider's team) before it looks at the
        # message; only when it refuses is the thread's reader asked again, so the usual post asks
        # once: whoever may not even read the thread gets the 404 they always got, staff reading a
        # dispute the refusal.
        try:
            services.message_post(
                service_order=self.object,
                user=request.user,
                body=request.POST.get("body", ""),
                attachment=request.FILES.get("attachment"),
            )
        except services.NotPermitted as error:
            self.party()
            flash_service_errors(request, error)
        except ValidationError as error:
            flash_service_errors(request, error)
        return redirect(self.thread_url())


class MessageEditView(_ThreadMixin, View):
    def post(self, request, pk, message_pk):
        self.party()
        message = get_object_or_404(Message, pk=message_pk, service_order=self.object)
        try:
            services.message_edit(message=message, user=request.user, body=request.POST.get("body", ""))
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Your message is corrected; the first version stays visible."))
        return redirect(self.thread_url())


class MessageAttachmentView(_ThreadMixin, View):
    def get(self, request, pk, message_pk):
        self.party()
        message = get_object_or_404(Message, pk=message_pk, service_order=self.object)
        if not message.attachment:
            raise Http404("No attachment")
        return private_file_response(message.attachment)


class ThreadFragmentView(_ThreadMixin, View):
    """The thread alone, for the page's polling script (new messages appear without a reload)."""

    def get(self, request, pk):
        party = self.party()
        side = party if party in (Message.Side.BUYER, Message.Side.PROVIDER) else None
        entries = services.thread_show(service_order=self.object, user=request.user, side=side)
        shown, earlier = selectors.shown_entries(entries, request.GET)
        return render(
            request,
            "conversations/_entries.html",
            {"entries": shown, "earlier": earlier, "me": request.user, "so": self.object, "side": side},
        )


# --- clarifications ----------------------------------------------------------------------------------


class ClarificationAskView(LoginRequiredMixin, View):
    def post(self, request, pk):
        rfq = get_object_or_404(RequestForQuotes, pk=pk)
        try:
            services.clarification_ask(request=rfq, user=request.user, question=request.POST.get("question", ""))
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("Your question is sent to the buyer; the answer will be published here."))
        return redirect(f"{rfq.get_absolute_url()}#clarifications")


class ClarificationAnswerView(LoginRequiredMixin, View):
    def post(self, request, pk, clarification_pk):
        clarification = get_object_or_404(Clarification, pk=clarification_pk, request_id=pk)
        if not clarification.request.enterprise.memberships.filter(user=request.user).exists():
            raise Http404("No such question")  # the buyer's questions are nobody else's business
        try:
            answered = services.clarification_answer(
                clarification=clarification, user=request.user, answer=request.POST.get("answer", "")
            )
        except ValidationError as error:
            flash_service_errors(request, error)
        else:
            messages.success(request, _("The answer is published to every provider."))
            if answered.deadline_moved_to:
                messages.info(
                    request,
                    _("It came close to the deadline, so the deadline moved to %(until)s.")
                    % {"until": timezone.localtime(answered.deadline_moved_to).strftime("%Y-%m-%d %H:%M")},
                )
        return redirect(f"{clarification.request.get_absolute_url()}#clarifications")
