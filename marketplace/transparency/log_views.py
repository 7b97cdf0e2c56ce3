"""The transparency log's public endpoints (RFC 9162 in spirit; JSON with hex hashes) and its page.

Every answer is computed from the stored leaves; nothing here writes. A malformed parameter is a
400 with a message, an unknown leaf or size a 404: never a 500.
"""

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from signing.pki import Pki
from translog import merkle
from translog import services as translog
from translog.models import LogLeaf, TreeHead

MAX_ENTRIES = 1000
MAX_HEADS = 500


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _int(request, name: str, default=None) -> int | None:
    raw = request.GET.get(name, "")
    if raw == "" and default is not None:
        return default
    if not raw.isdigit():
        raise ValueError(_("“%(name)s” must be a whole number.") % {"name": name})
    return int(raw)


class LogPageView(TemplateView):
    template_name = "transparency/log.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(head=translog.latest_head(), size=translog.log_size())
        return context


class HeadView(View):
    def get(self, request):
        head = translog.latest_head()
        if head is None:
            return _error(_("No tree head has been signed yet."), 404)
        return JsonResponse(head.as_json())


class HeadsView(View):
    """Every signed head from ``start`` (a head id, for paging), oldest first: what an auditor replays."""

    def get(self, request):
        try:
            start = _int(request, "start", 0)
        except ValueError as error:
            return _error(str(error))
        heads = TreeHead.objects.filter(pk__gte=start).order_by("pk")[:MAX_HEADS]
        return JsonResponse({"heads": [{"id": h.pk, **h.as_json()} for h in heads]})


class EntriesView(View):
    def get(self, request):
        try:
            start = _int(request, "start")
            end = _int(request, "end")
        except ValueError as error:
            return _error(str(error))
        if end <= start:
            return _error(_("“end” must be greater than “start”."))
        end = min(end, start + MAX_ENTRIES)
        leaves = LogLeaf.objects.filter(index__gte=start, index__lt=end).order_by("index")
        return JsonResponse(
            {"entries": [{"index": leaf.index, "leaf_hash": leaf.leaf_hash, "data": leaf.data} for leaf in leaves]}
        )


class InclusionProofView(View):
    def get(self, request):
        leaf_hash = request.GET.get("leaf_hash", "").lower()
        if len(leaf_hash) != 64 or any(c not in "0123456789abcdef" for c in leaf_hash):
            return _error(_("“leaf_hash” must be 64 hexadecimal characters."))
        try:
            size = _int(request, "tree_size")
        except ValueError as error:
            return _error(str(error))
        if size > translog.log_size():
            return _error(_("The log is not that large yet."), 404)
        leaf = LogLeaf.objects.filter(leaf_hash=leaf_hash, index__lt=size).order_by("index").first()
        if leaf is None:
            return _error(_("No such leaf in a tree of that size."), 404)
        return JsonResponse(translog.inclusion_proof(leaf=leaf, tree_size=size).as_json())


class ConsistencyProofView(View):
    def get(self, request):
        try:
            first = _int(request, "first")
            second = _int(request, "second")
        except ValueError as error:
            return _error(str(error))
        if second > translog.log_size():
            return _error(_("The log is not that large yet."), 404)
        try:
            path = translog.consistency_proof(first=first, second=second)
        except merkle.ProofError:
            return _error(_("“first” must not be larger than “second”."))
        return JsonResponse({"first": first, "second": second, "consistency_path": path})


class LogKeyView(View):
    """The log certificate, the seal CA and the root (PEM): what auditors check head signatures with."""

    def get(self, request):
        return HttpResponse(Pki.default().log_chain_pem(), content_type="application/x-pem-file")
