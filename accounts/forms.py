from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth import forms as auth_forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from joinrun import personal_data
from joinrun.mail import validate_deliverable
from joinrun.text import one_line

from .models import User, normalize_email

PASSWORD_MAX_LENGTH = 1024
EMAIL_HELP = _(
    "To log you in and to send you emails you need, such as a password reset. "
    "Never shown to other runners."
)
DISPLAY_NAME_HELP = _(
    "Shown to organisers and runners of the runs you join. A first name or a nickname is fine."
)
PASSWORD_HELP = _("To keep your account yours. At least 8 characters, not a common password.")


class EmailField(forms.EmailField):
    """Every email field of the site (also privacy's request form): lower-case, and only
    an address we can really send to."""

    default_validators = [*forms.EmailField.default_validators, validate_deliverable]

    def to_python(self, value):
        return normalize_email(super().to_python(value)) or ""


class SignupForm(forms.Form):
    """Checks the fields, but never whether the email has an account: the page answers
    the same either way (the view emails that account's owner instead)."""

    email = EmailField(label=_("Email"), max_length=254, help_text=EMAIL_HELP)
    display_name = forms.CharField(
        label=_("Display name"), max_length=50, help_text=DISPLAY_NAME_HELP,
        validators=[one_line],
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            try:
                # The unsaved account without a password hash, so "too similar to the
                # email" can be checked without hashing: the view hashes the password
                # exactly once, whether or not the address has an account.
                password_validation.validate_password(password, self._unsaved_user(None))
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned

    def _unsaved_user(self, language):
        return User(email=self.cleaned_data.get("email"),
                    display_name=self.cleaned_data.get("display_name", ""),
                    language=language or User._meta.get_field("language").default)

    def new_user(self, *, language):
        """The unsaved account the form describes, its address not yet confirmed, its
        password hashed (the one hash of a sign-up)."""
        user = self._unsaved_user(language)
        user.set_password(self.cleaned_data["password"])
        return user


class LoginForm(forms.Form):
    email = EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    remember_me = forms.BooleanField(
        label=_("Remember me"),
        required=False,
        help_text=_("Stay signed in on this device for 30 days. Otherwise you are signed out "
                    "when the browser closes."),
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = None

    def clean(self):
        email = self.cleaned_data.get("email")
        password = self.cleaned_data.get("password")
        if email and password:
            self.user = authenticate(self.request, email=email, password=password)
            if self.user is None:
                raise forms.ValidationError(
                    _("That email and password do not match an account. Check both, or "
                      "reset your password."),
                    code="invalid_login",
                )
        return self.cleaned_data


class DisplayNameForm(forms.ModelForm):
    display_name = forms.CharField(
        label=_("Display name"), max_length=50, help_text=DISPLAY_NAME_HELP,
        validators=[one_line],
    )

    class Meta:
        model = User
        fields = ["display_name"]


class CurrentPasswordMixin:
    """Asks for the current password before a change that could lock the owner out."""

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your current password."), code="password_incorrect"
            )
        return password


class EmailChangeForm(CurrentPasswordMixin, forms.Form):
    """A new address (or a first one, for an account made with Strava). Nothing is saved:
    the view emails a link to the address, and the account switches to it when the link
    is opened. Whether another account has the address is not said here either."""

    email = EmailField(label=_("Email"), max_length=254, help_text=EMAIL_HELP)
    current_password = forms.CharField(
        label=_("Current password"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        help_text=_("So nobody else at your screen can take over your account."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["email"].initial = user.email
        if not user.has_usable_password():
            # An account made with "Sign in with Strava" has no password to ask for yet.
            del self.fields["current_password"]

    def clean_email(self):
        email = self.cleaned_data["email"]
        # The same address again, not yet confirmed, simply gets a fresh link.
        if email == self.user.email and self.user.email_confirmed:
            raise forms.ValidationError(_("This is already your email."), code="unchanged")
        return email


class EmailSettingsForm(forms.ModelForm):
    """ "Emails I get": the two kinds a runner may turn off, and the language of the
    site's pages and emails for them."""

    reminder_emails = forms.BooleanField(
        label=_("Reminders"), required=False,
        help_text=_("An email about a day before each run you are going to: when, where, "
                    "and how to give your place to the next runner."),
    )
    organiser_emails = forms.BooleanField(
        label=_("Messages from organisers"), required=False,
        help_text=_("What the organiser of a run you joined writes to its runners."),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=settings.LANGUAGES,
        help_text=_("The language of join run's pages and emails for you."),
    )

    class Meta:
        model = User
        fields = ["reminder_emails", "organiser_emails", "language"]


def _bound_password_fields(form):
    for field in form.fields.values():
        field.max_length = PASSWORD_MAX_LENGTH
        field.validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))
    form.fields["new_password1"].label = _("New password")
    form.fields["new_password1"].help_text = PASSWORD_HELP
    form.fields["new_password2"].label = _("New password again")
    form.fields["new_password2"].help_text = _("The same password, to catch a typo.")


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form with our labels and a length bound on every field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bound_password_fields(self)
        self.fields["old_password"].label = _("Current password")
        # It is the third form on the profile page: focusing it would scroll past the others.
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bound_password_fields(self)


class PasswordResetForm(forms.Form):
    email = EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("The email of your account. We send a link to set a new password there."),
    )


CONFIRM_WORD = "DELETE"


class DeleteAccountForm(forms.Form):
    """Confirms with the password, or by typing DELETE for an account without one
    (created through Strava), then erases the person everywhere in one transaction."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.has_usable_password():
            self.fields["confirmation"] = forms.CharField(
                label=_("Password"),
                max_length=PASSWORD_MAX_LENGTH,
                strip=False,
                help_text=_("Your password, to confirm it is you."),
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
            )
        else:
            self.fields["confirmation"] = forms.CharField(
                label=_("Type DELETE to confirm"),
                max_length=20,
                help_text=_("Your account has no password, so we ask for this instead."),
            )

    def clean_confirmation(self):
        value = self.cleaned_data["confirmation"]
        if self.user.has_usable_password():
            if not self.user.check_password(value):
                raise forms.ValidationError(
                    _("That is not your password."), code="password_incorrect"
                )
        elif value.strip() != CONFIRM_WORD:
            raise forms.ValidationError(
                _("Type DELETE in capital letters to confirm."), code="not_confirmed"
            )
        return value

    def delete(self):
        personal_data.erase_for(self.user)
