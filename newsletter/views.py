from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from trafficwatch.csrf import cross_origin_protected

from . import services
from .forms import CONSENT_TEXT, SubscribeForm
from .models import Subscriber
from .ratelimit import allow_signup, signup_rate
from .tokens import InvalidToken, check_confirmation_token, check_unsubscribe_token


class HttpResponseSeeOther(HttpResponseRedirect):
    # 303: after a POST the browser fetches the next page with GET (RFC 9110, 15.4.4).
    status_code = 303


def rate_limited(request: HttpRequest) -> HttpResponse:
    window = signup_rate().window
    response = render(
        request, "newsletter/rate_limited.html", {"retry_minutes": window // 60}, status=429
    )
    response["Retry-After"] = str(window)
    return response


# No CSRF cookie: the sign-up box is on every page, and an anonymous reader gets no cookie
# (trafficwatch/csrf.py explains the Origin / Sec-Fetch-Site check that replaces it).
@cross_origin_protected
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = SubscribeForm(initial={"next": request.path})
        return render(request, "newsletter/subscribe.html", {"form": form})

    if not allow_signup(request):
        return rate_limited(request)
    form = SubscribeForm(request.POST)
    # Every accepted sign-up gets the same answer, whatever the address's state and
    # whether a bot filled in the honeypot: nobody can learn from it who subscribes.
    if form.is_bot():
        return HttpResponseSeeOther(reverse("newsletter:subscribe-thanks"))
    if not form.is_valid():
        return render(request, "newsletter/subscribe.html", {"form": form}, status=400)
    services.subscribe(
        email=form.cleaned_data["email"],
        name=form.cleaned_data["name"],
        consent_text=str(CONSENT_TEXT),
        source_page=form.cleaned_data["next"],
    )
    return HttpResponseSeeOther(reverse("newsletter:subscribe-thanks"))


@require_GET
def subscribe_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/subscribe_thanks.html")


# As the sign-up: no cookie for a reader who opens the link (trafficwatch/csrf.py).
@cross_origin_protected
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button and changes nothing (mail scanners follow links); POST confirms."""
    try:
        checked = check_confirmation_token(token)
    except InvalidToken:
        checked = None
    # Someone who unsubscribed since the link was sent signs up again through the form.
    if checked is None or checked.subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        return render(request, "newsletter/confirm_invalid.html", status=404)
    subscriber = checked.subscriber

    if subscriber.status == Subscriber.Status.CONFIRMED:
        return render(request, "newsletter/confirm_done.html", {"subscriber": subscriber})
    if checked.expired:
        if request.method == "GET":
            context = {"subscriber": subscriber, "token": token}
            return render(request, "newsletter/confirm_expired.html", context)
        # The expired page's button: a new link to the address the signed token names.
        if not allow_signup(request):
            return rate_limited(request)
        services.request_new_confirmation(subscriber=subscriber)
        return HttpResponseSeeOther(reverse("newsletter:subscribe-thanks"))

    if request.method == "GET":
        return render(
            request, "newsletter/confirm.html", {"subscriber": subscriber, "token": token}
        )
    services.confirm_subscription(subscriber=subscriber)
    return HttpResponseSeeOther(reverse("newsletter:confirm", kwargs={"token": token}))


# RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the link with
# no session and no CSRF token. The signed token in the URL is what authorizes the POST,
# and unsubscribing is harmless to repeat, so forging it gains an attacker nothing.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows one button and changes nothing (mail scanners follow links); POST, from
    the button or a mail client's one-click, unsubscribes at once."""
    try:
        subscriber = check_unsubscribe_token(token)
    except InvalidToken:
        return render(request, "newsletter/unsubscribe_invalid.html", status=400)

    if request.method == "GET":
        context = {"subscriber": subscriber, "token": token}
        return render(request, "newsletter/unsubscribe.html", context)
    subscriber = services.unsubscribe(subscriber=subscriber)
    return render(request, "newsletter/unsubscribe_done.html", {"subscriber": subscriber})
