"""RSS 2.0 of the newest resources matching the library's parameters (`/resources/feed/`).

So a visitor can follow "Worldwide + Guidance" in a feed reader: the feed takes the same
parameters as the library, validated the same way (a 400 naming a bad one).
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trafficwatch.page_cache import conditional_on

from .cache import library
from .filters import LibraryQuery
from .models import Resource
from .views import published_resources

FEED_ITEMS = 50
# The order the followed filters are named in the feed's title.
TITLE_FACETS = ["category", "region", "country", "author"]


def absolute(path: str) -> str:
    """Return path as an absolute URL on SITE_URL, whatever host the request came in on."""
    return f"{settings.SITE_URL}{path}"


@dataclass
class Followed:
    """What a feed follows: the validated parameters and their query string (no page)."""

    query: LibraryQuery
    querystring: str

    def url(self, name: str) -> str:
        path = reverse(name)
        return absolute(f"{path}?{self.querystring}" if self.querystring else path)

    def names(self) -> list[str]:
        """Return what is followed, in words: the search, then each chosen term and year."""
        query = self.query
        names = [f"“{query.q}”"] if query.q else []
        for parameter in TITLE_FACETS:
            names += [term.name for term in query.terms.get(parameter, [])]
        names += [str(year) for year in query.years]
        if query.year_from and query.year_to:
            names.append(f"{query.year_from}–{query.year_to}")
        elif query.year_from:
            names.append(_("from %(year)s") % {"year": query.year_from})
        elif query.year_to:
            names.append(_("until %(year)s") % {"year": query.year_to})
        # "Worldwide" is both a country and a region in the real data: name it once.
        return list(dict.fromkeys(names))


class ResourceFeed(Feed):
    description = gettext_lazy("The newest resources of the library matching these filters.")

    def __call__(self, request, *args, **kwargs):
        # A feed reader polling an unchanged feed gets a 304, without a query.
        return conditional_on(library)(super().__call__)(request, *args, **kwargs)

    def get_object(self, request: HttpRequest) -> Followed:
        # Raises InvalidParameter (a BadRequest: the 400 page) for a value that does not
        # validate. `page` and `sort` are ignored: a feed is the newest, one page.
        query = LibraryQuery.from_params(request.GET)
        params = request.GET.copy()
        params.pop("page", None)
        return Followed(query, params.urlencode())

    def title(self, followed: Followed) -> str:
        names = followed.names()
        if not names:
            return _("%(site)s resources") % {"site": settings.SITE_NAME}
        return _("%(site)s resources: %(followed)s") % {
            "site": settings.SITE_NAME,
            "followed": " · ".join(names),
        }

    def link(self, followed: Followed) -> str:
        return followed.url("resources:resource-list")

    def feed_url(self, followed: Followed) -> str:
        return followed.url("resources:feed")

    def items(self, followed: Followed):
        # The newest first whatever `sort` says: a feed reader shows what is new.
        resources = followed.query.resources(published_resources())
        return resources.order_by("-published_at", "-pk")[:FEED_ITEMS]

    def item_title(self, resource: Resource) -> str:
        return resource.title

    def item_description(self, resource: Resource) -> str:
        return resource.summary

    def item_link(self, resource: Resource) -> str:
        return absolute(resource.get_absolute_url())

    def item_guid(self, resource: Resource) -> str:
        return absolute(resource.get_absolute_url())

    def item_pubdate(self, resource: Resource):
        return resource.published_at

    def item_updateddate(self, resource: Resource):
        return resource.updated_at

    def item_author_name(self, resource: Resource) -> str:
        return ", ".join(author.name for author in resource.ordered_authors())

    def item_categories(self, resource: Resource) -> list[str]:
        names = [
            *([resource.category.name] if resource.category else []),
            *(country.name for country in resource.countries.all()),
            *(region.name for region in resource.regions.all()),
        ]
        return list(dict.fromkeys(names))
