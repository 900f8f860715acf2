from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from joinrun.mail import site_url, webcal
from joinrun.page_cache import for_signed_out_visitors
from joinrun.ratelimit import Limiter
from joinrun.views import render_form, too_many

from . import services
from .forms import ClubForm, ClubSearchForm, InviteForm
from .models import Club, ClubSlug

CLUBS_PER_PAGE = 20
UPCOMING_ON_PAGE = 30
PAST_ON_PAGE = 10
# Invitations say whether an address has a confirmed account, as changing one's email
# does; a limit keeps anyone from testing many addresses.
invite_limit = Limiter("club-invite", limit=20, window=60 * 60)


def _find(slug, *, with_redirect=True, page="clubs:detail"):
    """The club at ``slug``: (club, None), or (None, a redirect to the same ``page`` at
    its current address) for an old address. 404 for no club, or one staff
    deactivated."""
    club = Club.objects.filter(slug=slug, deactivated_at__isnull=True).first()
    if club is not None:
        return club, None
    old = ClubSlug.objects.select_related("club").filter(
        slug=slug, club__deactivated_at__isnull=True).first()
    if old is None or not with_redirect:
        raise Http404
    return None, redirect(page, old.club.slug, permanent=True)


def _club_for_organiser(request, slug):
    club = get_object_or_404(Club, slug=slug, deactivated_at__isnull=True)
    if not club.is_organised_by(request.user):
        raise PermissionDenied
    return club


def _open_club_for_organiser(request, slug):
    club = _club_for_organiser(request, slug)
    if club.closed_at is not None:
        raise PermissionDenied
    return club


@for_signed_out_visitors
def club_list(request):
    search = ClubSearchForm(request.GET)
    now = timezone.now()
    upcoming = Q(runs__starts_at__gte=now, runs__cancelled_at__isnull=True)
    clubs = search.search(Club.objects.listed()).annotate(next_run_at=Min(
        "runs__starts_at", filter=upcoming)).order_by(Lower("name"), "pk")
    page = Paginator(clubs, CLUBS_PER_PAGE).get_page(request.GET.get("page"))
    status = 200 if search.is_valid() else 400
    return render(request, "clubs/club_list.html", {"page": page, "search": search},
                  status=status)


@login_required
def club_new(request):
    form = ClubForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            club = services.create(request.user, **form.cleaned_data)
        except services.ClubError as refused:
            form.add_error("name", str(refused))
        else:
            messages.success(request, _("Your club is created. Next: publish its first run, "
                                        "or invite someone to organise it with you."))
            return redirect(club)
    return render_form(request, "clubs/club_form.html", form)


@for_signed_out_visitors
def club_detail(request, slug):
    club, moved = _find(slug)
    if moved:
        return moved
    now = timezone.now()
    user = request.user
    runs = club.runs.for_cards()
    if user.is_authenticated:  # what the cards say about the reader (runs' queryset)
        runs = runs.marked_for(user)
    upcoming = list(runs.upcoming(now)[:UPCOMING_ON_PAGE])
    past = list(runs.past(now)[:PAST_ON_PAGE])
    organisers = [role.user for role in club.organisers.select_related("user")]
    feed_url = site_url(reverse("runs:club_calendar", args=[club.slug]))
    context = {
        "club": club,
        "upcoming": upcoming,
        "past": past,
        "organisers": organisers,
        "is_organiser": user in organisers,
        "followers": club.follows.count(),
        "following": club.is_followed_by(user),
        "invitation": services.pending_invitation(club, user, now),
        "feed_url": feed_url,
        "webcal_url": webcal(feed_url),
    }
    return render(request, "clubs/club_detail.html", context)


@login_required
def club_edit(request, slug):
    club = _open_club_for_organiser(request, slug)
    form = ClubForm(request.POST or None, instance=club)
    if request.method == "POST" and form.is_valid():
        try:
            services.update(club, **form.cleaned_data)
        except services.ClubError as refused:
            form.add_error("name", str(refused))
        else:
            messages.success(request, _("The club is saved."))
            return redirect(club)
    if request.method == "POST":
        club.refresh_from_db()
    return _edit_page(request, club, form=form)


def _edit_page(request, club, *, form=None, invite_form=None, error=None, status=None):
    form = form or ClubForm(instance=club)
    invite_form = invite_form or InviteForm()
    roles = club.organisers.select_related("user")
    invitations = club.invitations.select_related("user").order_by("created_at")
    context = {"club": club, "form": form, "invite_form": invite_form, "roles": roles,
               "invitations": invitations, "error": error, "now": timezone.now()}
    if status is None:
        status = 400 if request.method == "POST" and (form.errors or invite_form.errors
                                                      or error) else 200
    return render(request, "clubs/club_edit.html", context, status=status)


@require_POST
@login_required
def invite(request, slug):
    club = _open_club_for_organiser(request, slug)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, club, invite_form=form)
    window = invite_limit.exceeded(str(request.user.pk))
    if window:
        until = datetime.fromtimestamp(window.resets_at, tz=UTC)
        return too_many(request, "clubs/too_many.html", until, club=club)
    invite_limit.record(str(request.user.pk))
    try:
        invitation = services.invite(club, by=request.user, email=form.cleaned_data["email"])
    except services.ClubError as refused:
        form.add_error("email", str(refused))
        return _edit_page(request, club, invite_form=form)
    messages.success(request, _("We emailed an invitation to %(email)s. They become an "
                                "organiser when they accept.") % {"email": invitation.email})
    return redirect("clubs:edit", club.slug)


@login_required
def invitation(request, slug):
    """The invited person's page: accept or decline (POST), never by opening it."""
    # Its link was emailed: after a rename it leads to the club's new address.
    club, moved = _find(slug, with_redirect=request.method == "GET",
                        page="clubs:invitation")
    if moved:
        return moved
    pending = services.pending_invitation(club, request.user)
    if request.method == "POST":
        if request.POST.get("answer") == "decline":
            if services.decline(club, request.user):
                messages.info(request, _("You declined the invitation."))
                return redirect(club)
        else:
            try:
                services.accept(club, request.user)
            except services.ClubError as refused:
                return render(request, "clubs/invitation.html",
                              {"club": club, "error": str(refused)}, status=400)
            messages.success(request, _("You now organise %(club)s.") % {"club": club.name})
            return redirect(club)
    if pending is None:
        if club.is_organised_by(request.user):
            return redirect(club)
        error = _("This invitation is no longer valid: it was used, withdrawn or is more "
                  "than two weeks old. Ask an organiser for a new one.")
        return render(request, "clubs/invitation.html", {"club": club, "error": error},
                      status=400)
    return render(request, "clubs/invitation.html", {"club": club, "invitation": pending})


@require_POST
@login_required
def withdraw(request, slug, invitation_id):
    club = _open_club_for_organiser(request, slug)
    if services.withdraw(club, invitation_id):
        messages.info(request, _("The invitation is withdrawn."))
    return redirect("clubs:edit", club.slug)


@require_POST
@login_required
def remove_organiser(request, slug, user_id):
    club = _open_club_for_organiser(request, slug)
    try:
        removed = services.remove_organiser(club, by=request.user, user_id=user_id)
    except services.ClubError as refused:
        return _edit_page(request, club, error=str(refused), status=409)
    messages.success(request, _("%(name)s no longer organises the club and was told.")
                     % {"name": removed.display_name})
    return redirect("clubs:edit", club.slug)


@require_POST
@login_required
def step_down(request, slug):
    club = _club_for_organiser(request, slug)
    try:
        services.step_down(club, request.user)
    except services.ClubError as refused:
        return _edit_page(request, club, error=str(refused), status=409)
    messages.success(request, _("You no longer organise %(club)s.") % {"club": club.name})
    return redirect(club)


@login_required
def close(request, slug):
    """A page that says what closing does, then the POST that does it."""
    club = _open_club_for_organiser(request, slug)
    future = club.runs.upcoming().not_cancelled()
    if request.method == "POST":
        told = services.close(club, by=request.user)
        summary = told.summary() if told else ""
        messages.success(request, " ".join(filter(None, [_("The club is closed."), summary])))
        return redirect(club)
    runners = future.aggregate(n=Count("participations__runner", distinct=True))["n"]
    return render(request, "clubs/close.html",
                  {"club": club, "future_runs": future.count(), "runners": runners})


@require_POST
def follow(request, slug):
    club, _moved = _find(slug, with_redirect=False)
    if not request.user.is_authenticated:
        return redirect_to_login(club.get_absolute_url())
    try:
        services.follow(club, request.user)
    except services.ClubError as refused:
        messages.error(request, str(refused))
        return redirect(club)
    messages.success(request, _("You follow %(club)s: its new runs come to you by email, "
                                "at most once a day.") % {"club": club.name})
    return redirect(club)


@require_POST
@login_required
def unfollow(request, slug):
    club, _moved = _find(slug, with_redirect=False)
    services.unfollow(club, request.user)
    messages.success(request, _("You no longer follow %(club)s.") % {"club": club.name})
    return redirect(club)
