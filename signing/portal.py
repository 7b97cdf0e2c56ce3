"""The public verification portal (its JSON twin is ``api.py``). No account needed; nothing uploaded is kept."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from marketplace.core.storage import pdf_download_response

from . import bundles, ratelimit, selectors, services, verification_sources, verifier
from .exceptions import SigningError
from .forms import VerifyNumberForm, VerifyUploadForm
from .models import DocumentKind
from .report_pdf import render_verification_report

RATE_SCOPE = "verify"
REPORT_RATE_SCOPE = "verify-report"
# A verification's result (never the uploaded file) is kept this long so its report can be asked for.
REPORT_CACHE_SECONDS = 60 * 60


def _remember(report) -> str:
    """Keep the report (not the file) briefly under a random id, for the sealed-report download."""
    report_id = uuid.uuid4().hex
    cache.set(f"verification-report:{report_id}", report, REPORT_CACHE_SECONDS)
    return report_id


def _result_page(request, report, **extra):
    context = {"report": report, "report_id": _remember(report), **extra}
    return render(request, "signing/verify_result.html", context)


def too_large(request) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > settings.VERIFY_MAX_UPLOAD_BYTES + 64 * 1024
    except ValueError:
        return False


def size_message() -> str:
    return _("The file is larger than the verification limit of %(limit)s.") % {
        "limit": filesizeformat(settings.VERIFY_MAX_UPLOAD_BYTES)
    }


def rate_message(retry_after: int) -> str:
    return _("Too many verifications from your address; please try again in %(seconds)d seconds.") % {
        "seconds": retry_after
    }


# Verification does no writes; holding a database transaction open during it would only block.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class VerifyPortalView(View):
    template_name = "signing/verify.html"
    result_template = "signing/verify_result.html"

    def get(self, request):
        return self._form_page(request)

    def post(self, request):
        if too_large(request):
            return self._form_page(request, status=413, error=size_message())
        retry_after = ratelimit.hit(request, scope=RATE_SCOPE, limit=settings.VERIFY_RATE_LIMIT_PER_MINUTE)
        if retry_after:
            response = self._form_page(request, status=429, error=rate_message(retry_after))
            response["Retry-After"] = str(retry_after)
            return response
        if "number" in request.POST:
            return self._lookup(request)
        form = VerifyUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._form_page(request, upload_form=form, status=400)
        data = form.cleaned_data["file"].read()
        if bundles.is_bundle(data):  # a sealed bundle (ZIP): its manifest, files and PDFs
            return render(request, "signing/verify_bundle_result.html", {"report": bundles.verify_bundle(data)})
        report = verifier.verify_document(data)
        return _result_page(request, report)

    def _lookup(self, request):
        form = VerifyNumberForm(request.POST)
        if not form.is_valid():
            return self._form_page(request, number_form=form, status=400)
        record = verifier.lookup_by_number(form.cleaned_data["number"], form.cleaned_data["code"])
        if record is None:
            # One message for "no such number" and "wrong code": the code must not be guessable
            # number by number.
            form.add_error(None, _("No permit matches this number and verification code. Please check both."))
            return self._form_page(request, number_form=form, status=404)
        return render(request, "signing/permit_record.html", {"record": record})

    def _form_page(self, request, *, upload_form=None, number_form=None, status=200, error=None):
        context = {
            "upload_form": upload_form or VerifyUploadForm(),
            "number_form": number_form or VerifyNumberForm(),
            "error": error,
            "max_size": settings.VERIFY_MAX_UPLOAD_BYTES,
        }
        return render(request, self.template_name, context, status=status)


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class PermitLandingView(View):
    """Where a permit's QR code leads: the registry record, and a form to check the PDF that the
    holder showed against it."""

    template_name = "signing/public_permit.html"

    def _permit(self, token):
        permit = selectors.permit_public(token=token)
        if permit is None:
            raise Http404(_("No permit has this verification code."))
        return permit

    def _landing(self, request, token):
        # Other kinds of document with a QR code (a contract, a delivery note) have their page in their own app.
        for source in verification_sources.document_sources():
            if source.landing is not None and (response := source.landing(request, token)) is not None:
                return response
        return None

    def get(self, request, token):
        if (response := self._landing(request, token)) is not None:
            return response
        permit = self._permit(token)
        # The registry's record checks each document the permit relies on (a delivery note is genuine).
        record = verifier.lookup_by_token(token) if permit.citations else None
        context = {"permit": permit, "upload_form": VerifyUploadForm(), "citations": record.citations if record else ()}
        return render(request, self.template_name, context)

    def _other_document_post(self, request, token):
        """A file checked on another kind of document's page, under the same size and rate limits."""
        if too_large(request):
            messages.error(request, size_message())
            return redirect("signing:permit-public", token=token)
        retry_after = ratelimit.hit(request, scope=RATE_SCOPE, limit=settings.VERIFY_RATE_LIMIT_PER_MINUTE)
        if retry_after:
            messages.error(request, rate_message(retry_after))
            return redirect("signing:permit-public", token=token)
        if (response := self._landing(request, token)) is not None:
            return response
        raise Http404(_("No permit has this verification code."))

    def post(self, request, token):
        permit = selectors.permit_public(token=token)
        if permit is None:
            return self._other_document_post(request, token)
        if too_large(request):
            context = {"permit": permit, "upload_form": VerifyUploadForm(), "error": size_message()}
            return render(request, self.template_name, context, status=413)
        retry_after = ratelimit.hit(request, scope=RATE_SCOPE, limit=settings.VERIFY_RATE_LIMIT_PER_MINUTE)
        if retry_after:
            context = {"permit": permit, "upload_form": VerifyUploadForm(), "error": rate_message(retry_after)}
            response = render(request, self.template_name, context, status=429)
            response["Retry-After"] = str(retry_after)
            return response
        form = VerifyUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"permit": permit, "upload_form": form}, status=400)
        report = verifier.verify_document(form.cleaned_data["file"].read())
        return _result_page(
            request,
            report,
            expected_permit=permit,
            is_expected_permit=report.permit is not None and report.permit.token == permit.token,
        )


def _verify_page(request, *, error: str, status: int):
    """The verification form with an error, for a report request that has no result page to show."""
    context = {
        "upload_form": VerifyUploadForm(),
        "number_form": VerifyNumberForm(),
        "error": error,
        "max_size": settings.VERIFY_MAX_UPLOAD_BYTES,
    }
    return render(request, "signing/verify.html", context, status=status)


def _report_error_page(request, report, report_id: str, *, error: str, status: int):
    """The result page again (same report id, so the download can be retried), with the error."""
    context = {"report": report, "report_id": report_id, "report_error": error}
    return render(request, "signing/verify_result.html", context, status=status)


@require_POST
@transaction.non_atomic_requests
def verification_report_download(request, report_id: str):
    """The sealed PDF report of a verification done in the last hour.

    A report id has one sealed report, in the language of its first download; any later download
    (in any language) returns that same sealed file. The sealed report is an issued document whose
    registry number is the report id, printed on it as its reference: a copy in another language
    would be a second document under the same number, and one check costs one platform seal.
    """
    # Its own scope: downloading the report of a check must not use up the allowance for checks.
    retry_after = ratelimit.hit(request, scope=REPORT_RATE_SCOPE, limit=settings.VERIFY_RATE_LIMIT_PER_MINUTE)
    report = cache.get(f"verification-report:{report_id}") if len(report_id) == 32 else None
    if retry_after:
        message = _("Too many report downloads from your address; please try again in %(seconds)d seconds.") % {
            "seconds": retry_after
        }
        if report is None:
            response = _verify_page(request, error=message, status=429)
        else:
            response = _report_error_page(request, report, report_id, error=message, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    if report is None:
        return _verify_page(
            request, error=_("That verification has expired; please check the document again."), status=410
        )
    language = request.LANGUAGE_CODE
    try:
        document = services.platform_seal_document_once(
            document_kind=DocumentKind.VERIFICATION_REPORT,
            document_number=report_id,
            render=lambda: render_verification_report(report=report, reference=report_id, language=language),
            reason=_("Verification report"),
        )
    except SigningError as exc:
        return _report_error_page(request, report, report_id, error=str(exc), status=503)
    return pdf_download_response(bytes(document.pdf), filename=f"verification-report-{report_id[:12]}.pdf")
