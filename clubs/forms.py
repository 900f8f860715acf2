from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.forms import EmailField
from joinrun.text import one_line

from . import services
from .models import Club

SEARCH_LENGTH = 80


class ClubForm(forms.ModelForm):
    class Meta:
        model = Club
        fields = ["name", "place", "description"]
        help_texts = {
            "name": _("How runners know the club. Its address on join run is made from it."),
            "place": _("A city or an area, so runners nearby find the club: “Ljubljana”, "
                       "“Šiška”."),
            "description": _("Who the club is for, when it usually runs, how to recognise "
                             "the group at the meeting point."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def clean_name(self):
        name = _one_line(self.cleaned_data["name"])
        problem = services.name_problem(name, self.instance if self.instance.pk else None)
        if problem:
            raise ValidationError(problem)
        return name

    def clean_place(self):
        return _one_line(self.cleaned_data["place"])


def _one_line(text):
    """``text`` on one line with single spaces; control, invisible and direction-changing
    characters refused (a club's name goes into email subjects and calendar files, as a
    run's title does)."""
    text = " ".join(text.split())
    one_line(text)
    return text


class InviteForm(forms.Form):
    email = EmailField(
        label=_("Email"),
        help_text=_("The address of their join run account. They get an email and accept "
                    "on the site."),
    )


class ClubSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or place"), required=False, max_length=SEARCH_LENGTH)

    def search(self, clubs):
        """Clubs whose name or place holds every word. "roznik" finds "Rožnik" through
        the club's address, and "šiška" finds "Šiška": SQLite's LIKE folds the case of
        ASCII letters only."""
        text = self.cleaned_data.get("q", "").strip() if self.is_valid() else ""
        for word in text.split():
            matches = (Q(name__icontains=word) | Q(place__icontains=word)
                       | Q(place__icontains=word.capitalize()))
            folded = services.slug_for(word)
            if folded:
                matches |= Q(slug__contains=folded)
            clubs = clubs.filter(matches)
        return clubs
