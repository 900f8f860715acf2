from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.forms import EmailField

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
        name = " ".join(self.cleaned_data["name"].split())
        problem = services.name_problem(name, self.instance if self.instance.pk else None)
        if problem:
            raise ValidationError(problem)
        return name

    def clean_place(self):
        return " ".join(self.cleaned_data["place"].split())


class InviteForm(forms.Form):
    email = EmailField(
        label=_("Email"),
        help_text=_("The address of their join run account. They get an email and accept "
                    "on the site."),
    )


class ClubSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or place"), required=False, max_length=SEARCH_LENGTH)

    def search(self, clubs):
        text = self.cleaned_data.get("q", "").strip() if self.is_valid() else ""
        for word in text.split():
            clubs = clubs.filter(Q(name__icontains=word) | Q(place__icontains=word))
        return clubs
