from django.shortcuts import render


def home(request):
    return render(request, "runs/home.html")


def run_list(request):
    return render(request, "runs/run_list.html")
