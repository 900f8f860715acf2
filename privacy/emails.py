"""Every email about a data request: one function each, one template pair each. They go to
the request's contact address even when the account's processing is restricted: they are
about the request itself."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

from joinrun import mail


def _context(request, **extra):
    return {"ticket": request, "status_url": mail.site_url(request.get_absolute_url()),
            **extra}


def _to_requester(template, request, **extra):
    if request.contact_email:
        mail.send(template, [request.contact_email], _context(request, **extra))


def send_acknowledgement(request):
    _to_requester("privacy_acknowledgement", request)


def send_verification(request, verify_url):
    _to_requester("privacy_verify", request, verify_url=verify_url)


def send_extension(request):
    _to_requester("privacy_extended", request)


def send_refusal(request):
    _to_requester("privacy_refused", request)


def send_completion(request):
    _to_requester("privacy_completed", request)


def send_export_ready(request, download_url):
    _to_requester("privacy_export_ready", request, download_url=download_url)


def staff_addresses():
    """Active staff who may see data requests."""
    permission = Permission.objects.filter(codename="view_datarequest",
                                           content_type__app_label="privacy")
    staff = get_user_model().objects.filter(is_active=True, is_staff=True).filter(
        Q(is_superuser=True) | Q(user_permissions__in=permission)
        | Q(groups__permissions__in=permission)
    ).exclude(email=None).exclude(email="").distinct()
    return list(staff.values_list("email", flat=True))


def send_staff_new_request(request):
    mail.send("privacy_staff_new", staff_addresses(), _context(request))


def send_staff_reminder(requests, today):
    mail.send("privacy_staff_reminder", staff_addresses(),
              {"tickets": requests, "today": today})
