from django.apps import AppConfig


class ClubsConfig(AppConfig):
    name = "clubs"

    def ready(self):
        from joinrun import personal_data

        from .personal_data import SECTIONS

        for section in SECTIONS:
            personal_data.register(section)

        from django.db.models.signals import post_delete, post_save

        from joinrun.page_cache import pages_changed

        from .models import Club, ClubSlug, Organiser

        # Club pages and run cards (the club's name) are cached for signed-out visitors:
        # signals, as for runs, because clubs also change in the admin and by cascades.
        # Not follows: anyone may follow and unfollow at will, and each would empty every
        # worker's pages; a signed-out reader's follower count is at most a minute old.
        for model in (Club, ClubSlug, Organiser):
            post_save.connect(pages_changed, sender=model, dispatch_uid=f"pages-{model}")
            post_delete.connect(pages_changed, sender=model, dispatch_uid=f"pages-del-{model}")
