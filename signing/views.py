"""Thin views: parse, call a selector or service, render. Every lookup is scoped to the user."""

import secrets

import zxingcpp
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from marketplace.core.storage import pdf_download_response

from . import qr_payload, selectors, services
from .exceptions import PermitAlreadyIssued, SigningError
from .forms import PermitIssueForm, PermitStatusForm
from .models import Permit
from .pki import CRL_NAMES, Pki
from .services import document_signers


def _pdf_response(permit: Permit) -> HttpResponse:
    return pdf_download_response(bytes(permit.document.pdf), filename=f"permit-{permit.number}.pdf")


class MyPermitsView(LoginRequiredMixin, ListView):
    """Permits held by the enterprises the user acts for."""

    template_name = "signing/my_permits.html"
    context_object_name = "permits"
    paginate_by = 50

    def get_queryset(self):
        return selectors.permits_held_by_user(user=self.request.user)

    def get_context_data(self, **kwargs):
        is_officer = selectors.authorities_for_user(user=self.request.user).exists()
        return super().get_context_data(is_officer=is_officer, **kwargs)


class MyPermitDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk):
        permit = get_object_or_404(selectors.permits_held_by_user(user=request.user).select_related("document"), pk=pk)
        return _pdf_response(permit)


class MyPermitCodeView(LoginRequiredMixin, View):
    """The holder's permit on a phone screen: a signed code made now that expires in a few minutes
    (``DYNAMIC_CODE_SECONDS``), carrying the issued file's SHA-256; a screenshot shown later reads
    "code expired" to an offline verifier. The page counts down to the code's end, then says it has
    expired; "Show a new code" signs a new one."""

    def get(self, request, pk):
        permit = get_object_or_404(selectors.permits_held_by_user(user=request.user), pk=pk)
        try:
            code = document_signers.permit_signed_code(permit=permit, dynamic=True)
        except SigningError as error:
            messages.error(request, str(error))
            return redirect("signing:my-permits")
        svg = zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_svg(scale=1)
        context = {
            "permit": permit,
            "code": code,
            "svg": mark_safe(svg[svg.index("<svg") :]),  # noqa: S308 - zxing-cpp's own markup, no user text
            "minutes": document_signers.DYNAMIC_CODE_SECONDS // 60,
            "expires": qr_payload.decode_claims_unverified(code).expires,
        }
        response = render(request, "signing/my_permit_code.html", context)
        response["Cache-Control"] = "no-store"
        return response


class AuthorityRequiredMixin(LoginRequiredMixin):
    """Officers of at least one issuing authority; the first one is the acting authority."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.authority = selectors.authorities_for_user(user=request.user).first()
            if self.authority is None:
                raise Http404(_("You are not an officer of an issuing authority."))
        return super().dispatch(request, *args, **kwargs)


class AuthorityPermitListView(AuthorityRequiredMixin, ListView):
    template_name = "signing/authority_permits.html"
    context_object_name = "permits"
    paginate_by = 50

    def get_queryset(self):
        return selectors.permits_issued_by_user_authorities(user=self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(authority=self.authority, **kwargs)


class PermitIssueView(AuthorityRequiredMixin, FormView):
    template_name = "signing/permit_issue.html"
    form_class = PermitIssueForm

    def get_initial(self):
        return {**super().get_initial(), "issue_key": f"form:{secrets.token_hex(16)}"}

    def form_valid(self, form):
        data = form.permit_data()
        try:
            permit = services.permit_issue(authority=self.authority, actor=self.request.user, data=data)
        except PermitAlreadyIssued as already:
            messages.info(
                self.request,
                _("This form was already submitted: permit %(number)s was issued once.") % {"number": already.number},
            )
            issued = selectors.permits_issued_by_user_authorities(user=self.request.user).get(number=already.number)
            return redirect("signing:authority-permit", pk=issued.pk)
        except SigningError as exc:
            # The message names the seal or the rule, never key material (see exceptions.py).
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Permit %(number)s was issued and sealed.") % {"number": permit.number})
        return redirect("signing:authority-permit", pk=permit.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(authority=self.authority, **kwargs)


class AuthorityPermitDetailView(AuthorityRequiredMixin, DetailView):
    template_name = "signing/authority_permit.html"
    context_object_name = "permit"

    def get_queryset(self):
        return selectors.permits_issued_by_user_authorities(user=self.request.user)

    def get_context_data(self, **kwargs):
        events = self.object.events.select_related("actor")
        return super().get_context_data(events=events, status_form=PermitStatusForm(), **kwargs)

    def post(self, request, pk):
        self.object = permit = self.get_object()
        form = PermitStatusForm(request.POST)
        if form.is_valid():
            action = {
                "suspend": services.permit_suspend,
                "reinstate": services.permit_reinstate,
                "revoke": services.permit_revoke,
            }[form.cleaned_data["action"]]
            try:
                action(permit=permit, actor=request.user, reason=form.cleaned_data["reason"])
            except SigningError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The permit's status was changed."))
            return redirect("signing:authority-permit", pk=permit.pk)
        messages.error(request, _("Give a reason for the change."))
        return redirect("signing:authority-permit", pk=permit.pk)


class AuthorityPermitDownloadView(AuthorityRequiredMixin, View):
    def get(self, request, pk):
        permit = get_object_or_404(
            selectors.permits_issued_by_user_authorities(user=request.user).select_related("document"), pk=pk
        )
        return _pdf_response(permit)


def crl_view(request, name):
    if name not in CRL_NAMES:
        raise Http404
    try:
        der = Pki.default().crl_der(name)
    except SigningError:
        raise Http404 from None
    response = HttpResponse(der, content_type="application/pkix-crl")
    response["Cache-Control"] = "public, max-age=3600"
    return response
