from datetime import date

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import EmailField

from .models import DataRequest, Kind


class DataRequestForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=_("Which right"), choices=Kind.choices, widget=forms.RadioSelect,
        help_text=_("GDPR rights apply to everyone; CCPA rights are California's. Pick the one "
                    "closest to what you want; we help with the rest."),
    )
    contact_email = EmailField(
        label=_("Email"), max_length=254,
        help_text=_("Where we send the answer, and, if you are not signed in, a link to "
                    "confirm it is you. Purged 24 months after the request is closed."),
    )
    details = forms.CharField(
        label=_("Details"), max_length=4000, required=False, widget=forms.Textarea(
            attrs={"rows": 5}),
        help_text=_("Optional: what to correct, which use you object to, anything that helps "
                    "us answer. Please do not send identity documents."),
    )

    class Meta:
        model = DataRequest
        fields = ["kind", "contact_email", "details"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.is_authenticated and user.email:
            # Verified by the session: the answer goes to the account's own address.
            del self.fields["contact_email"]


# Nothing earlier can be a request under the laws we answer (the GDPR applies from then).
EARLIEST_RECEIPT = date(2018, 5, 25)


class DataRequestAdminForm(forms.ModelForm):
    """Staff's form: a request entered by hand arrived in the past, and its clocks (and
    the reference's year) are computed from that day."""

    class Meta:
        model = DataRequest
        # The admin narrows these to each page's fieldsets.
        fields = ["kind", "channel", "received_at", "user", "contact_email", "details",
                  "assignee", "identity_check"]

    def clean_received_at(self):
        received_at = self.cleaned_data["received_at"]
        if received_at > timezone.now():
            raise forms.ValidationError(_("A request cannot arrive in the future."))
        if timezone.localdate(received_at) < EARLIEST_RECEIPT:
            raise forms.ValidationError(
                _("join run answers requests received from %(day)s on.")
                % {"day": formats.date_format(EARLIEST_RECEIPT, "DATE_FORMAT")})
        return received_at


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label=_("Why more time is needed"), max_length=1000, widget=forms.Textarea,
        help_text=_("Sent to the requester. Only for complex requests or many at once."),
    )


class RefuseForm(forms.Form):
    basis = forms.ChoiceField(label=_("Basis"), choices=[])
    explanation = forms.CharField(
        label=_("Explanation for the requester"), max_length=4000, widget=forms.Textarea,
        help_text=_("Sent with the refusal, which also names the right to complain to a "
                    "supervisory authority and to go to court."),
    )

    def __init__(self, *args, **kwargs):
        from .models import RefusalBasis

        super().__init__(*args, **kwargs)
        self.fields["basis"].choices = RefusalBasis.choices


class CompleteForm(forms.Form):
    reply = forms.CharField(
        label=_("Reply to the requester"), max_length=8000, widget=forms.Textarea,
        help_text=_("What we did, and anything the law asks the answer to contain."),
    )
