"""Passkeys in the personal-data register (accounts/passkeys.py). django-otp-webauthn's
tables are third-party, so their columns are declared here, with why each is kept.
Its attestation table stays empty: join run never stores an attestation."""

from django.utils.translation import gettext_lazy as _
from django_otp_webauthn.models import WebAuthnCredential, WebAuthnUserHandle

from joinrun.personal_data import PersonalField, Section, iso

UNTIL_REMOVED = _("Until you remove the passkey or delete your account.")
PASSKEY = "django_otp_webauthn.WebAuthnCredential"
HANDLE = "django_otp_webauthn.WebAuthnUserHandle"


def export_passkeys(user):
    handle = WebAuthnUserHandle.objects.filter(user=user).first()
    return {
        "passkeys": [
            {
                "name": passkey.name,
                "in_use": passkey.confirmed,
                "added_at": iso(passkey.created_at),
                "last_used_at": iso(passkey.last_used_at),
                "how_your_device_reaches_it": passkey.transports,
                "times_used_as_counted_by_your_device": passkey.sign_count,
                "can_be_synced_between_your_devices": passkey.backup_eligible,
                "synced": passkey.backup_state,
                "signs_in_without_your_email": passkey.discoverable,
            }
            for passkey in WebAuthnCredential.objects.filter(user=user).order_by("pk")
        ],
        "account_number_your_passkeys_carry": handle.handle_hex if handle else None,
    }


def erase_passkeys(user):
    # The foreign keys cascade too; erased here so the register says it and does it.
    WebAuthnCredential.objects.filter(user=user).delete()
    WebAuthnUserHandle.objects.filter(user=user).delete()


def _field(model, name, purpose, exported=True):
    return PersonalField(model, name, purpose, UNTIL_REMOVED, exported)


SECTION = Section(
    name="passkeys",
    title=_("Passkeys"),
    fields=(
        _field(PASSKEY, "user", _("Whose passkey it is, to sign them in with it.")),
        _field(PASSKEY, "name", _("The passkey's name on My account: at first the browser "
                                  "it was added from, then what you call it.")),
        _field(PASSKEY, "created_at", _("To show on My account when it was added.")),
        _field(PASSKEY, "last_used_at", _("To show on My account the day it was last used, "
                                          "so you can tell which ones you still use.")),
        _field(PASSKEY, "public_key", _("The public half of the passkey, to check that a "
                                        "sign-in comes from it. The private half never "
                                        "leaves your device."), exported=False),
        _field(PASSKEY, "credential_id", _("The passkey's own number, to find it when you "
                                           "sign in."), exported=False),
        _field(PASSKEY, "sign_count", _("How often your device says it was used, to notice "
                                        "a copied passkey.")),
        _field(PASSKEY, "transports", _("How your browser reaches the passkey (this device, "
                                        "USB, Bluetooth), so it can offer the right one.")),
        _field(PASSKEY, "backup_eligible", _("Whether the passkey can be synced between your "
                                             "devices, as your device tells.")),
        _field(PASSKEY, "backup_state", _("Whether it is synced now, as your device tells.")),
        _field(PASSKEY, "discoverable", _("Whether it signs you in without typing your "
                                          "email.")),
        _field(HANDLE, "user", _("A random number your passkeys carry instead of your "
                                 "email, to find your account when you sign in with one.")),
    ),
    export_for=export_passkeys,
    erase_for=erase_passkeys,
)
