"""The site search (/search/): published articles and resources in one ranked list.

The same engine as the library: websearch syntax on the english_unaccent configuration,
ts_rank, ts_headline snippets, a trigram suggestion when nothing matches. Articles and
resources are ranked together by a UNION of (kind, id, rank, date) rows; only the rows of
the page shown are then read whole, two queries whatever the page holds.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import F, FloatField, Value
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from news.cache import news
from news.models import Article
from resources.cache import library
from resources.filters import search_text, single, suggestion
from resources.models import Resource

from .page_cache import cache_anonymous_page
from .params import InvalidParameter, page_number, paginate

RESULTS_PER_PAGE = 20
NEWS, RESOURCES = "news", "resources"
KINDS = {NEWS: gettext_lazy("News"), RESOURCES: gettext_lazy("Resources")}


@dataclass(frozen=True)
class SiteQuery:
    """The validated parameters of one site search: the words and the kind of hits kept."""

    q: str = ""
    kind: str = ""  # "" for both, else NEWS or RESOURCES

    @classmethod
    def from_params(cls, params: QueryDict) -> "SiteQuery":
        """Validate params, or raise InvalidParameter naming the first bad one."""
        q = search_text(params)
        kind = single(params, "type")
        if kind and kind not in KINDS:
            raise InvalidParameter(
                "type", _("Show one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)}
            )
        return cls(q, kind)


@dataclass
class Hit:
    """One result: an article or a resource, with its `snippet` annotation."""

    kind: str
    item: Article | Resource
    rank: float

    @property
    def label(self) -> str:
        return _("News") if self.kind == NEWS else _("Resource")


def matching_articles(q: str):
    return Article.objects.published().search(q)


def matching_resources(q: str):
    return Resource.objects.published().search(q)


class SiteResults:
    """The hits of a search, best first, as a sequence the Paginator can slice.

    A count per kind; a slice reads its ranked rows, then the articles and the resources
    among them.
    """

    def __init__(self, query: SiteQuery):
        self.query = query
        self.page: tuple[int, list] | None = None  # (offset, ranked rows) read by fetch()

    def fetch(self, offset: int, limit: int) -> None:
        """Read the counts and the ranked rows of one page in one query.

        Matching a common word is the cost (38,000 resources and 20,000 articles for
        "trafficking"): the hits are found once for the counts and the page, not twice.
        The kind not shown is counted but not ranked.
        """
        sides = [
            (NEWS, matching_articles(self.query.q)),
            (RESOURCES, matching_resources(self.query.q)),
        ]
        rows = []
        for kind, matching in sides:
            shown = not self.query.kind or self.query.kind == kind
            rank = F("rank") if shown else Value(None, output_field=FloatField())
            rows.append(
                matching.annotate(kind=Value(kind), score=rank, date=F("published_at"))
                .order_by()
                .values_list("kind", "id", "score", "date")
            )
        hits, params = rows[0].union(rows[1], all=True).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH hits AS MATERIALIZED (
                    SELECT * FROM ({hits}) AS hit(kind, id, rank, date)
                )
                SELECT counted.news, counted.resources, page.kind, page.id, page.rank, page.date
                FROM (
                    SELECT count(*) FILTER (WHERE kind = %s) AS news,
                        count(*) FILTER (WHERE kind = %s) AS resources
                    FROM hits
                ) AS counted
                LEFT JOIN LATERAL (
                    SELECT * FROM hits WHERE rank IS NOT NULL
                    ORDER BY rank DESC, date DESC, kind, id DESC LIMIT %s OFFSET %s
                ) AS page ON true
                """,
                [*params, NEWS, RESOURCES, limit, offset],
            )
            found = cursor.fetchall()
        self.counts = {NEWS: found[0][0], RESOURCES: found[0][1]}
        self.page = (offset, [row[2:] for row in found if row[2] is not None])

    @cached_property
    def counts(self) -> dict[str, int]:
        """Return the number of hits of each kind, whichever kind is shown."""
        return {
            NEWS: matching_articles(self.query.q).count(),
            RESOURCES: matching_resources(self.query.q).count(),
        }

    def __len__(self) -> int:
        if self.query.kind:
            return self.counts[self.query.kind]
        return sum(self.counts.values())

    def ranked_rows(self):
        q = self.query.q
        # The same annotations in the same order on both sides: a UNION pairs columns by
        # position.
        sides = {
            NEWS: matching_articles(q).annotate(kind=Value(NEWS), date=F("published_at")),
            RESOURCES: matching_resources(q).annotate(
                kind=Value(RESOURCES), date=F("published_at")
            ),
        }
        chosen = [sides[self.query.kind]] if self.query.kind else list(sides.values())
        rows = [side.values_list("kind", "id", "rank", "date") for side in chosen]
        combined = rows[0].union(*rows[1:], all=True) if len(rows) > 1 else rows[0]
        return combined.order_by("-rank", "-date", "kind", "-id")

    def __getitem__(self, index: slice) -> list[Hit]:
        offset, fetched = self.page or (None, [])
        if index.start == offset and index.stop - index.start <= len(fetched):
            rows = fetched[: index.stop - index.start]
        else:
            rows = list(self.ranked_rows()[index])
        wanted = {NEWS: [], RESOURCES: []}
        for kind, pk, _rank, _date in rows:
            wanted[kind].append(pk)
        found = {NEWS: {}, RESOURCES: {}}
        if wanted[NEWS]:
            articles = (
                Article.objects.filter(pk__in=wanted[NEWS])
                .select_related("section")
                .with_snippet(self.query.q)
            )
            found[NEWS] = {article.pk: article for article in articles}
        if wanted[RESOURCES]:
            resources = (
                Resource.objects.filter(pk__in=wanted[RESOURCES])
                .defer("search_terms", "file_text", "search_vector")
                .select_related("category")
                .with_snippet(self.query.q)
            )
            found[RESOURCES] = {resource.pk: resource for resource in resources}
        # A row unpublished between the two queries is left out rather than fail the page.
        return [
            Hit(kind, found[kind][pk], rank) for kind, pk, rank, _date in rows if pk in found[kind]
        ]


@require_safe
@cache_anonymous_page(news, library)
def search(request: HttpRequest) -> HttpResponse:
    query = SiteQuery.from_params(request.GET)
    context = {"query": query}
    if not query.q:
        page_number(request)  # a bad ?page= is a 400 here too
        return render(request, "search/results.html", context)
    results = SiteResults(query)
    results.fetch((page_number(request) - 1) * RESULTS_PER_PAGE, RESULTS_PER_PAGE)
    page_obj = paginate(request, results, RESULTS_PER_PAGE)
    context.update(
        page_obj=page_obj,
        tabs=[(kind, label, results.counts[kind]) for kind, label in KINDS.items()],
        total=sum(results.counts.values()),
        suggestion=None if len(results) else site_suggestion(query.q),
    )
    return render(request, "search/results.html", context)


def site_suggestion(text: str) -> str | None:
    """Return text with its words corrected from the titles of articles and resources."""
    titles = (
        Resource.objects.published()
        .values("title")
        .union(Article.objects.published().values("title"), all=True)
    )
    return suggestion(text, titles)
