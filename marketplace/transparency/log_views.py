"""The transparency log's page and its key; the JSON endpoints (heads, entries, proofs) are in ``log_api.py``."""

from django.http import HttpResponse
from django.views import View
from django.views.generic import TemplateView

from signing.pki import Pki
from translog import services as translog


class LogPageView(TemplateView):
    template_name = "transparency/log.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(head=translog.latest_head(), size=translog.log_size())
        return context


class LogKeyView(View):
    """The log certificate, the seal CA and the root (PEM): what auditors check head signatures with."""

    def get(self, request):
        return HttpResponse(Pki.default().log_chain_pem(), content_type="application/x-pem-file")
