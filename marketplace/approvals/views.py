"""Approval matters (public), cases (the enterprise's members), the authority's desk for submitted
cases, and the staff's list of cases over a time limit. Thin: parse, call a service or selector."""

import dataclasses

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from marketplace.core.permissions import StaffRequiredMixin
from marketplace.core.selectors import request_organisations
from marketplace.core.storage import private_file_response
from marketplace.core.uploads import file_digest
from marketplace.core.views import flash_service_errors
from marketplace.enterprises.selectors import enterprises_for_user
from marketplace.hiring.delivery_notes import delivery_note_download
from marketplace.hiring.forms import FileCheckForm
from signing import ratelimit
from signing import services as signing_services
from signing.exceptions import PermitAlreadyIssued, SigningError
from signing.selectors import authorities_for_user
from signing.views import PermitIssueView

from . import bundle, selectors, services
from .forms import CaseOpenForm, DecisionForm
from .models import Case


class MatterListView(TemplateView):
    template_name = "approvals/matters.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(matters=selectors.public_matters(), **kwargs)


class MatterDetailView(TemplateView):
    template_name = "approvals/matter.html"

    def get_context_data(self, **kwargs):
        matter = selectors.public_matters().filter(code=kwargs["code"]).first()
        if matter is None:
            raise Http404("No such approval matter")
        return super().get_context_data(matter=matter, service_items=matter.service_items.order_by("path"), **kwargs)


class CaseListView(LoginRequiredMixin, TemplateView):
    template_name = "approvals/cases.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(cases=selectors.cases_for_user(user=self.request.user), **kwargs)


class CaseOpenView(LoginRequiredMixin, FormView):
    template_name = "approvals/case_open.html"
    form_class = CaseOpenForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "enterprises": enterprises_for_user(user=self.request.user),
            "matters": selectors.matter_choices(),
        }

    def get_initial(self):
        code = self.request.GET.get("matter")
        matter = selectors.matter_choices().filter(code=code).first() if code else None
        return {**super().get_initial(), "matter": matter}

    def get(self, request, *args, **kwargs):
        if not request_organisations(request).enterprise_ids:
            messages.info(request, _("Cases are opened by an enterprise: register yours first."))
            return redirect("enterprises:home")
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            case = services.case_open(
                enterprise=data["enterprise"],
                user=self.request.user,
                matter=data["matter"],
                project_name=data["project_name"],
                site=data["site"],
                region=data["region"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Case %(code)s is open. Hire the required services for it.") % {"code": case.code}
        )
        return redirect(case.get_absolute_url())


def _visible_case(request, code: str) -> tuple[Case, str]:
    """The case and the viewer's part in it ("member", "officer", "staff"); 404 for anyone else."""
    visible = selectors.visible_case(user=request.user, organisations=request_organisations(request), code=code)
    if visible is None:
        raise Http404("No such case")
    return visible


class CaseDetailView(LoginRequiredMixin, TemplateView):
    template_name = "approvals/case.html"

    def get_context_data(self, **kwargs):
        case, part = _visible_case(self.request, kwargs["code"])
        editable = part == "member" and case.status in (Case.Status.OPEN, Case.Status.RETURNED)
        page = selectors.case_page(case, editable=editable)
        return super().get_context_data(
            case=case,
            part=part,
            steps=page.steps,
            clock=page.clock,
            submissions=page.submissions,
            editable=editable,
            ready=all(step.done for step in page.steps),
            attachable_orders=page.attachable_orders,
            attachable_requests=page.attachable_requests,
            decision_form=DecisionForm() if part == "officer" and case.status == Case.Status.SUBMITTED else None,
            **kwargs,
        )


class CaseNoteDownloadView(LoginRequiredMixin, View):
    """A delivery note of one of the case's orders, as sealed, for whoever may see the case (its
    enterprise's members, the deciding authority's officers once submitted, staff)."""

    def get(self, request, code, note_pk):
        case, _part = _visible_case(request, code)
        note = selectors.case_note(case, note_pk)
        if note is None:
            raise Http404("No such delivery note in this case")
        return delivery_note_download(note)


class CaseFileDownloadView(LoginRequiredMixin, View):
    """A deliverable of one of the case's orders, for whoever may see the case: the deciding officers
    read the report they rely on (a provider reaches only its own orders' files, through the order)."""

    def get(self, request, code, file_pk):
        case, _part = _visible_case(request, code)
        deliverable = selectors.case_deliverable(case, file_pk)
        if deliverable is None:
            raise Http404("No such file in this case")
        return private_file_response(deliverable.file, missing_message="The file is missing")


BUNDLES_PER_MINUTE = 6


class CaseBundleView(LoginRequiredMixin, View):
    """The case's sealed bundle (ZIP), made now, for whoever may see the case."""

    def get(self, request, code):
        case, _part = _visible_case(request, code)
        # Each bundle is sealed afresh (a seal-use entry, a timestamp): a few a minute are plenty.
        retry_after = ratelimit.hit(request, scope=f"case-bundle:{request.user.pk}", limit=BUNDLES_PER_MINUTE)
        if retry_after:
            messages.error(
                request,
                _("Too many bundles at once; please try again in %(seconds)d seconds.") % {"seconds": retry_after},
            )
            return redirect(case.get_absolute_url())
        try:
            filename, data = bundle.case_bundle(case)
        except SigningError as error:
            messages.error(request, _("The bundle could not be sealed now: %(error)s") % {"error": error})
            return redirect(case.get_absolute_url())
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class _CaseAction(LoginRequiredMixin, View):
    def post(self, request, code):
        case, _part = _visible_case(request, code)
        try:
            self.act(case)
        except ValidationError as error:
            flash_service_errors(request, error)
        return redirect(case.get_absolute_url())


class CaseAttachView(_CaseAction):
    def act(self, case):
        order_id, request_id = self.request.POST.get("order", ""), self.request.POST.get("request", "")
        if order_id.isdigit():
            link = services.case_attach_order(case=case, user=self.request.user, service_order_id=int(order_id))
            messages.success(
                self.request,
                _("Order %(number)s is now part of case %(code)s.")
                % {"number": link.service_order.order.number, "code": case.code},
            )
        elif request_id.isdigit():
            link = services.case_attach_request(case=case, user=self.request.user, request_id=int(request_id))
            messages.success(
                self.request,
                _("Request “%(title)s” is now part of case %(code)s.")
                % {"title": link.request.title, "code": case.code},
            )
        else:
            messages.error(self.request, _("Choose an order or a request to add."))


class CaseFileCheckView(_CaseAction):
    """Anyone who may see the case checks a file in hand against the deliverables its orders recorded:
    the same bytes as an accepted file, or not (changed, or never delivered here)."""

    def act(self, case):
        form = FileCheckForm(self.request.POST, self.request.FILES)  # the size rule of a delivery note's check
        if not form.is_valid():
            messages.error(self.request, " ".join(form.errors["file"]))
            return
        sha256, _size = file_digest(form.cleaned_data["file"])
        match = selectors.deliverable_matching(case, sha256)
        if match is None:
            messages.error(
                self.request,
                _(
                    "No deliverable of this case has these bytes (SHA-256 %(sha)s): the file was changed, or it was "
                    "never delivered for this case."
                )
                % {"sha": sha256},
            )
        else:
            so = match.service_order
            messages.success(
                self.request,
                _("This is “%(name)s”, delivered for order %(number)s by %(provider)s, unchanged (SHA-256 %(sha)s).")
                % {
                    "name": match.name,
                    "number": so.order.number,
                    "provider": so.provider.localized("name"),
                    "sha": sha256,
                },
            )


class CaseSubmitView(_CaseAction):
    def act(self, case):
        if self.request.POST.get("confirm") != "yes":
            messages.error(self.request, _("Tick the box to confirm the submission."))
            return
        services.case_submit(case=case, user=self.request.user)
        messages.success(
            self.request,
            _("Case %(code)s was submitted to %(authority)s.")
            % {"code": case.code, "authority": case.matter.authority.localized("name")},
        )


class CaseDecideView(_CaseAction):
    def act(self, case):
        form = DecisionForm(self.request.POST)
        if not form.is_valid():
            messages.error(self.request, _("Choose a decision."))
            return
        accept = form.cleaned_data["decision"] == "accept"
        services.case_decide(case=case, user=self.request.user, accept=accept, reason=form.cleaned_data["reason"])
        if accept:
            messages.success(
                self.request, _("Case %(code)s was accepted; you may issue the permit now.") % {"code": case.code}
            )
        else:
            messages.success(
                self.request, _("Case %(code)s was returned to the enterprise with your reasons.") % {"code": case.code}
            )


class AuthorityCaseListView(LoginRequiredMixin, TemplateView):
    template_name = "approvals/authority_cases.html"

    def get_context_data(self, **kwargs):
        if not authorities_for_user(user=self.request.user).exists():
            raise Http404("Not an officer")
        cases = list(selectors.cases_for_officer(user=self.request.user))
        clocks = {case.pk: selectors.authority_clock(case) for case in cases}
        return super().get_context_data(rows=[(case, clocks[case.pk]) for case in cases], **kwargs)


class CasePermitIssueView(PermitIssueView):
    """Signing's permit form, prefilled from an accepted case; the permit is recorded on the case in
    the same transaction, so a permit never exists without the case that it was issued from."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.case = selectors.cases_for_officer(user=request.user).filter(code=kwargs["code"]).first()
            if self.case is None:
                raise Http404("No such case")
            if self.case.status == Case.Status.PERMIT_ISSUED:  # a second click, or a second officer
                messages.info(
                    request,
                    _("Permit %(number)s was already issued from this case.") % {"number": self.case.permit.number},
                )
                return redirect(self.case.get_absolute_url())
            if self.case.status != Case.Status.ACCEPTED:
                messages.error(request, _("A permit is issued from an accepted case only."))
                return redirect(self.case.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        case = self.case
        return {
            **super().get_initial(),
            "holder_credit_code": case.enterprise.credit_code,
            "matter": case.matter.localized("name"),
            "scope": f"{case.project_name} — {case.site}",
        }

    def form_valid(self, form):
        data = dataclasses.replace(form.permit_data(), citations=selectors.case_citations(self.case))
        if data.holder.pk != self.case.enterprise_id:
            form.add_error("holder_credit_code", _("The permit goes to the enterprise whose case it is."))
            return self.form_invalid(form)
        try:
            with transaction.atomic():
                permit = signing_services.permit_issue(
                    authority=self.case.matter.authority, actor=self.request.user, data=data
                )
                services.case_permit_link(case=self.case, user=self.request.user, permit=permit)
        except PermitAlreadyIssued:
            messages.info(self.request, _("This form was already submitted: the permit was issued once."))
            return redirect(self.case.get_absolute_url())
        except (SigningError, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Permit %(number)s was issued and sealed for case %(code)s.")
            % {"number": permit.number, "code": self.case.code},
        )
        return redirect(self.case.get_absolute_url())

    def get_context_data(self, **kwargs):
        citations = [citation.as_json() for citation in selectors.case_citations(self.case)]
        return super().get_context_data(case=self.case, citations=citations, **kwargs)


class OverdueCasesView(StaffRequiredMixin, TemplateView):
    template_name = "approvals/overdue.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(cases=selectors.cases_over_time_limit(), **kwargs)
