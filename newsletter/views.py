from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from resources.filters import LibraryQuery, canonical_query_string, describe
from trafficwatch.csrf import cross_origin_protected

from . import services
from .forms import ALERT_CONSENT_TEXT, CONSENT_TEXT, AlertForm, PreferencesForm, SubscribeForm
from .models import Subscriber
from .ratelimit import allow_signup, signup_rate
from .tokens import (
    InvalidToken,
    check_alert_token,
    check_confirmation_token,
    check_preferences_token,
    check_unsubscribe_token,
    make_preferences_token,
)


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
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
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


@require_safe
def subscribe_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/subscribe_thanks.html")


# As the sign-up: no cookie for a reader who opens the link (trafficwatch/csrf.py).
@cross_origin_protected
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
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

    if subscriber.status == Subscriber.Status.CONFIRMED and subscriber.wants_newsletter:
        return render(request, "newsletter/confirm_done.html", {"subscriber": subscriber})
    if checked.expired:
        if request.method != "POST":
            context = {"subscriber": subscriber, "token": token}
            return render(request, "newsletter/confirm_expired.html", context)
        # The expired page's button: a new link to the address the signed token names.
        if not allow_signup(request):
            return rate_limited(request)
        services.request_new_confirmation(subscriber=subscriber)
        return HttpResponseSeeOther(reverse("newsletter:subscribe-thanks"))

    if request.method != "POST":
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
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows one button and changes nothing (mail scanners follow links); POST, from
    the button or a mail client's one-click, unsubscribes at once."""
    try:
        subscriber = check_unsubscribe_token(token)
    except InvalidToken:
        return render(request, "newsletter/unsubscribe_invalid.html", status=400)

    if request.method != "POST":
        context = {"subscriber": subscriber, "token": token}
        return render(request, "newsletter/unsubscribe.html", context)
    subscriber = services.unsubscribe(subscriber=subscriber)
    return render(request, "newsletter/unsubscribe_done.html", {"subscriber": subscriber})


# What the preferences page says after a POST (the redirect's ?done=); an unknown value
# shows nothing.
PREFERENCES_DONE = {
    "saved": _("Saved — changes apply from the next mailing."),
    "removed": _("The alert is removed: it sends you nothing more."),
    "gone": _("That alert was already removed."),
    "unsubscribed": _("You are unsubscribed from everything: we send you no more emails."),
}


# A page opened from an email, with no session: as the confirmation (trafficwatch/csrf.py).
@cross_origin_protected
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the subscriber's mailings and alerts; POST saves them, removes an alert
    (`remove_alert`) or unsubscribes from everything (`unsubscribe`)."""
    try:
        subscriber = check_preferences_token(token)
    except InvalidToken:
        return render(request, "newsletter/preferences_invalid.html", status=404)
    here = reverse("newsletter:preferences", kwargs={"token": token})

    form = PreferencesForm(instance=subscriber)
    status = 200
    if request.method == "POST":
        if "remove_alert" in request.POST:
            alert_id = request.POST["remove_alert"]
            removed = alert_id.isascii() and alert_id.isdigit() and len(alert_id) < 19
            removed = removed and services.remove_alert(
                subscriber=subscriber, alert_id=int(alert_id)
            )
            done = "removed" if removed else "gone"
            return HttpResponseSeeOther(f"{here}?{urlencode({'done': done})}")
        if "unsubscribe" in request.POST:
            services.unsubscribe(subscriber=subscriber)
            return HttpResponseSeeOther(f"{here}?{urlencode({'done': 'unsubscribed'})}")
        form = PreferencesForm(request.POST, instance=subscriber)
        if form.is_valid():
            services.update_preferences(subscriber=subscriber, preferences=form.cleaned_data)
            return HttpResponseSeeOther(f"{here}?{urlencode({'done': 'saved'})}")
        status = 400

    alerts = list(subscriber.alerts.select_related("search"))
    context = {
        "subscriber": subscriber,
        "token": token,
        "form": form,
        "alerts": alerts,
        "max_alerts": services.MAX_ALERTS_PER_SUBSCRIBER,
        "done": PREFERENCES_DONE.get(request.GET.get("done", "")) if status == 200 else None,
    }
    return render(request, "newsletter/preferences.html", context, status=status)


# Like the sign-up box: no cookie for the reader of the library (trafficwatch/csrf.py).
@cross_origin_protected
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def alert_new(request: HttpRequest) -> HttpResponse:
    """ "Email me new matches": GET asks for an address, POST saves the library filter in
    the query string as an alert and emails a confirmation link."""
    # A bad filter answers 400 naming the parameter, as the library does.
    query = LibraryQuery.from_params(request.GET)
    form = AlertForm()
    status = 200
    if request.method == "POST":
        if not allow_signup(request):
            return rate_limited(request)
        form = AlertForm(request.POST)
        # The same answer whatever the address's state, as for the sign-up.
        if form.is_bot():
            return HttpResponseSeeOther(reverse("newsletter:alert-thanks"))
        if form.is_valid():
            services.request_alert(
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                query=query,
                consent_text=str(ALERT_CONSENT_TEXT),
                source_page=reverse("resources:resource-list"),
            )
            return HttpResponseSeeOther(reverse("newsletter:alert-thanks"))
        status = 400
    query_string = canonical_query_string(query)
    context = {
        "form": form,
        "description": describe(query),
        "query_string": query_string,
        "library_url": f"{reverse('resources:resource-list')}?{query_string}"
        if query_string
        else reverse("resources:resource-list"),
    }
    return render(request, "newsletter/alert_new.html", context, status=status)


@require_safe
def alert_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/alert_thanks.html")


@cross_origin_protected
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def alert_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button and changes nothing (mail scanners follow links); POST confirms
    the alert, and the subscriber if still pending."""
    try:
        checked = check_alert_token(token)
    except InvalidToken:
        checked = None
    # Someone who unsubscribed since asks again from the library.
    if checked is None or checked.alert.subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        return render(request, "newsletter/alert_invalid.html", status=404)
    alert = checked.alert
    context = {"alert": alert, "subscriber": alert.subscriber, "token": token}

    if alert.is_active and alert.subscriber.status == Subscriber.Status.CONFIRMED:
        context["preferences_url"] = preferences_path(alert.subscriber)
        return render(request, "newsletter/alert_done.html", context)
    if checked.expired:
        if request.method != "POST":
            return render(request, "newsletter/alert_expired.html", context)
        if not allow_signup(request):
            return rate_limited(request)
        services.request_new_alert_confirmation(alert=alert)
        return HttpResponseSeeOther(reverse("newsletter:alert-thanks"))

    if request.method != "POST":
        return render(request, "newsletter/alert_confirm.html", context)
    services.confirm_alert(alert=alert)
    return HttpResponseSeeOther(reverse("newsletter:alert-confirm", kwargs={"token": token}))


def preferences_path(subscriber: Subscriber) -> str:
    return reverse("newsletter:preferences", kwargs={"token": make_preferences_token(subscriber)})
