"""Seeing a draft or scheduled article or resource on its real page before the public does.

Two ways in: staff who may view the item in the admin, and anyone holding a shared
preview link. The link's token is signed (django.core.signing) with a salt per model and
names the item by its primary key, so it opens that one item and nothing else; it is not
tied to the item's content, so the reviewer's link keeps working while the author edits,
until PREVIEW_LINK_MAX_AGE has passed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from .publishing import PublicationState, state_of

TOKEN_PARAMETER = "preview"


class PreviewLinkExpired(Exception):
    """A genuine link to this very item, whose time has passed."""


@dataclass(frozen=True)
class Preview:
    """Why a page shows an item the public cannot see, for the banner."""

    state: PublicationState
    published_at: datetime | None
    shared: bool  # opened through a shared link rather than by staff


def salt(model: type[models.Model]) -> str:
    return f"trafficwatch.preview.{model._meta.label_lower}"


def make_token(item: models.Model) -> str:
    return signing.dumps(item.pk, salt=salt(type(item)), compress=False)


def max_age() -> timedelta:
    return timedelta(seconds=settings.PREVIEW_LINK_MAX_AGE)


def link_expiry(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + max_age()


def shared_link(item: models.Model) -> str:
    """Return the absolute URL that shows item to whoever opens it, until it expires."""
    return f"{settings.SITE_URL}{item.get_absolute_url()}?{TOKEN_PARAMETER}={make_token(item)}"


def token_opens(token: str, item: models.Model) -> bool:
    """Say whether token is a live link to item; raise PreviewLinkExpired for an old one."""
    try:
        pk = signing.loads(token, salt=salt(type(item)), max_age=max_age())
    except signing.SignatureExpired:
        # The signature was checked first: this link was made for some item of this
        # model. Say it expired only when it was for this one, else it is any bad token.
        pk = signing.loads(token, salt=salt(type(item)))
        if pk == item.pk:
            raise PreviewLinkExpired from None
        return False
    except signing.BadSignature:
        return False
    return pk == item.pk


def can_preview(request: HttpRequest, item: models.Model) -> bool:
    """Staff who may view the item in the admin see it before the public does."""
    user = request.user
    opts = item._meta
    return (
        user.is_active
        and user.is_staff
        and user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
    )


def preview_of(request: HttpRequest, queryset, slug: str) -> tuple[models.Model, Preview]:
    """Return the item of queryset with slug and why request may see it; else Http404.

    queryset holds every item, public or not. Raises PreviewLinkExpired for a shared
    link that was good for this item but is too old.
    """
    item = queryset.filter(slug=slug).first()
    if item is None or state_of(item) == PublicationState.PUBLISHED:
        # A public item that is not in the public set is not ours to explain.
        raise Http404(_("There is no page at this address."))
    token = request.GET.get(TOKEN_PARAMETER, "")
    if can_preview(request, item):
        shared = False
    elif token and token_opens(token, item):
        shared = True
    else:
        raise Http404(_("There is no page at this address."))
    return item, Preview(state=state_of(item), published_at=item.published_at, shared=shared)


def mark_private(response: HttpResponse) -> HttpResponse:
    """Keep a preview out of every cache and every search engine."""
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def expired_response(request: HttpRequest) -> HttpResponse:
    response = render(request, "trafficwatch/preview_expired.html", status=410)
    return mark_private(response)
