from django.conf import settings


def site(request):
    return {"PRIVACY_CONTACT_EMAIL": settings.PRIVACY_CONTACT_EMAIL}
