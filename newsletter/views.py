# Replaced by the sign-up flow (being written); keeps the URLconf importable meanwhile.
from django.http import HttpResponse


def subscribe(request):
    return HttpResponse()


def subscribe_thanks(request):
    return HttpResponse()


def confirm(request, token):
    return HttpResponse()
