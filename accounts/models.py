from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DUPLICATE_EMAIL = _("Another account already uses this email.")


def normalize_email(email: str | None) -> str | None:
    """Emails are stored lower-case: people type them in any case and mean one address."""
    email = (email or "").strip().lower()
    return email or None


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        email = normalize_email(email)
        if email is None:  # accounts without an email cannot log in with one
            raise self.model.DoesNotExist
        return self.get(email=email)

    def create_user(self, email=None, password=None, **extra_fields):
        email = normalize_email(email)
        extra_fields.setdefault("display_name", (email or "").split("@")[0] or "Runner")
        user = self.model(email=email, **extra_fields)
        user.set_password(password)  # None gives an unusable password
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. Every column is listed in accounts.apps' register entry.

    is_superuser, groups and user_permissions (PermissionsMixin) are staff authorisation,
    not facts about a runner; they are in the register too.
    """

    # Optional only for accounts created by "Sign in with Strava".
    email = models.EmailField(_("email"), max_length=254, unique=True, null=True, blank=True)
    display_name = models.CharField(_("display name"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Set while processing is restricted at the person's request (GDPR Art. 18).
    processing_restricted_at = models.DateTimeField(null=True, blank=True)
    # When the owner of ``email`` proved it by the emailed link: until then no run emails
    # go there and Strava cannot be linked (someone may have typed another's address).
    email_confirmed_at = models.DateTimeField(_("email confirmed at"), null=True, blank=True)
    # The language of this person's pages and emails: set at sign-up from the page's.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)
    # "Emails I get": the two kinds a runner may turn off (the rest they must get).
    reminder_emails = models.BooleanField(_("Reminders before my runs"), default=True)
    organiser_emails = models.BooleanField(_("Messages from organisers"), default=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Guards writes that skip normalize_email (admin bulk edits, .update()).
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=DUPLICATE_EMAIL,
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def email_confirmed(self):
        return bool(self.email) and self.email_confirmed_at is not None

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        fields = kwargs.get("update_fields")
        becomes_staff = (self.is_staff and self.pk is not None
                         and (fields is None or "is_staff" in fields)
                         and User.objects.filter(pk=self.pk, is_staff=False).exists())
        if not becomes_staff:
            super().save(*args, **kwargs)
            return
        from . import second_factor

        with transaction.atomic():
            super().save(*args, **kwargs)
            second_factor.start_again_as_staff(self)


class Session(AbstractBaseSession):
    """A signed-in browser. Knowing its user lets us end every session of a person at
    once: on account deletion (CASCADE) and on a password change or reset."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    # "Where you're signed in" on My account, so a person can tell their browsers apart
    # and sign out one they do not know. The browser's family and system read from the
    # User-Agent at sign-in ("Firefox/Android", accounts/devices.py), never the User-Agent.
    device = models.CharField(_("browser"), max_length=40, blank=True, default="")
    # Days, not times, and no IP address: enough to recognise a session ("signed in on
    # Monday, last used today"), too coarse to follow anyone's day. Empty for sessions
    # from before the list existed.
    started_on = models.DateField(_("signed in on"), null=True, blank=True)
    # Written at most once a day per session (accounts/sessions.py), not on every request.
    last_used_on = models.DateField(_("last used on"), null=True, blank=True)

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore
