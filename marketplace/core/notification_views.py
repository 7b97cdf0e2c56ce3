"""The notification centre: a person's notifications (newest first, unread marked), opening one
(marks it read and goes to what it is about), marking all read, and the settings: per kind, how it is
emailed, and the language of the emails."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from .models import Notification, NotificationPreference, PersonalSettings
from .notify import localized_url, neutral_url, unread_count_refresh


class NotificationListView(LoginRequiredMixin, TemplateView):
    template_name = "core/notifications.html"
    paginate_by = 25

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        notes = Notification.objects.filter(user=self.request.user)
        if self.request.GET.get("show") == "unread":
            notes = notes.filter(read_at__isnull=True)
        page = Paginator(notes, self.paginate_by).get_page(self.request.GET.get("page"))
        language = get_language()
        context.update(
            page_obj=page,
            rows=[
                {"note": note, "subject": note.text("subject", language), "body": note.text("body", language)}
                for note in page
            ],
            unread_only=self.request.GET.get("show") == "unread",
        )
        return context


def _forget_count(user) -> None:
    """The header's badge recounts: now, and again once the change commits (a count taken in between
    would be stale)."""
    unread_count_refresh(user)
    transaction.on_commit(lambda: unread_count_refresh(user))


class NotificationOpenView(LoginRequiredMixin, View):
    """Mark one read and go where it points (a link on this site only)."""

    def post(self, request, pk):
        note = get_object_or_404(Notification, pk=pk, user=request.user)  # another person's: 404
        if note.read_at is None:
            Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
            _forget_count(request.user)
        safe = url_has_allowed_host_and_scheme(note.url, allowed_hosts={request.get_host()}, require_https=False)
        if not (note.url and safe):
            return redirect("notifications:list")
        return redirect(localized_url(neutral_url(note.url), get_language()))  # in the language read in


class NotificationsReadAllView(LoginRequiredMixin, View):
    def post(self, request):
        count = Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
        _forget_count(request.user)
        messages.success(request, _("All notifications are marked read.") if count else _("Nothing was unread."))
        return redirect("notifications:list")


class NotificationSettingsForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of your emails"),
        choices=[("", _("Both English and Chinese")), *PersonalSettings._meta.get_field("language").choices],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Notification.Kind.choices:
            self.fields[f"kind_{kind}"] = forms.ChoiceField(
                label=label, choices=Notification.Channel.choices, initial=Notification.Channel.EMAIL
            )


class NotificationSettingsView(LoginRequiredMixin, FormView):
    template_name = "core/notification_settings.html"
    form_class = NotificationSettingsForm

    def get_initial(self):
        user = self.request.user
        initial = {
            f"kind_{kind}": channel
            for kind, channel in NotificationPreference.objects.filter(user=user).values_list("kind", "channel")
        }
        settings_row = PersonalSettings.objects.filter(user=user).first()
        initial["language"] = settings_row.language if settings_row else ""
        return initial

    @transaction.atomic
    def form_valid(self, form):
        user = self.request.user
        for kind in Notification.Kind.values:
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"channel": form.cleaned_data[f"kind_{kind}"]}
            )
        PersonalSettings.objects.update_or_create(user=user, defaults={"language": form.cleaned_data["language"]})
        messages.success(self.request, _("Your notification settings are saved."))
        return redirect("notifications:settings")
