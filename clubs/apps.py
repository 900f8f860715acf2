from django.apps import AppConfig


class ClubsConfig(AppConfig):
    name = "clubs"

    def ready(self):
        from joinrun import personal_data

        from .personal_data import SECTIONS

        for section in SECTIONS:
            personal_data.register(section)
