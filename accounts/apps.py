from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from joinrun import personal_data

        from .personal_data import SECTIONS

        for section in SECTIONS:
            personal_data.register(section)
        self._hide_second_factor_secrets()

    @staticmethod
    def _hide_second_factor_secrets():
        """django-otp's own staff pages would show anyone's app key (as a QR code) and
        recovery codes: gone. A lost factor is reset with `manage.py reset_second_factor`,
        which leaves an audit trail. (The admin registered them already: it comes first.)"""
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
