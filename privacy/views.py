from django.shortcuts import render

from joinrun import personal_data


def policy(request):
    return render(request, "privacy/policy.html", {"personal_fields": personal_data.fields()})
