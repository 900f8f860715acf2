from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"

    def ready(self):
        from joinrun import personal_data

        from .personal_data import SECTIONS

        for section in SECTIONS:
            personal_data.register(section)
