"""Validating public query parameters: bad values answer 400 naming the parameter."""

from django.core.exceptions import BadRequest
from django.core.paginator import EmptyPage, Page, Paginator
from django.core.validators import slug_unicode_re
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _


class InvalidParameter(BadRequest):
    """A query parameter whose value does not validate; the 400 page names it."""

    def __init__(self, parameter: str, message: str):
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")


def page_number(request: HttpRequest) -> int:
    """Return the positive integer in ?page= (1 when absent), or raise InvalidParameter."""
    raw = request.GET.get("page", "1").strip()
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise InvalidParameter("page", _("The page number must be a positive whole number."))
    return int(raw)


def paginate(request: HttpRequest, queryset, per_page: int, count: int | None = None) -> Page:
    """Return the requested page of queryset; a page past the end is a 404.

    count, when known (cached), saves the paginator its COUNT(*) over the whole queryset.
    """
    number = page_number(request)
    paginator = Paginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # overrides the cached_property
    try:
        return paginator.page(number)
    except EmptyPage:
        raise Http404(_("There is no page %(number)s.") % {"number": number}) from None


def object_by_slug(request: HttpRequest, parameter: str, queryset, message: str):
    """Return the object whose slug is ?parameter= (None when absent), or raise InvalidParameter."""
    if parameter not in request.GET:
        return None
    value = request.GET[parameter]
    # Unicode slugs too: taggit keeps the letters of accented tag names ("częstochowa").
    found = queryset.filter(slug=value).first() if slug_unicode_re.fullmatch(value) else None
    if found is None:
        raise InvalidParameter(parameter, message)
    return found
