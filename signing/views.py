from django.views.generic import TemplateView


class VerifyPortalView(TemplateView):
    """The verification portal's entry; the verifier itself arrives with the verification issue."""

    template_name = "signing/verify.html"
