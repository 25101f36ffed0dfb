"""The library's query parameters (CONTRACT.md): parsing, validation and facet counts.

A small parser rather than django-filter: every bad value must raise InvalidParameter
naming it (a 400 page), and the facet counts need the filters one facet at a time, which
a FilterSet does not model. The filtering itself is ResourceQuerySet.filter_by(), which
the page, the CSV export and the feed share.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.validators import slug_re
from django.db import connection
from django.db.models import Model
from django.http import QueryDict
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from trafficwatch.params import InvalidParameter

from . import facet_index
from .cache import FRAGMENT_TIMEOUT, fragment_key
from .models import Author, Category, Country, Region, Resource

MAX_QUERY_LENGTH = 200  # characters of ?q=
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffe\uffff]")
MAX_VALUES = 50  # values of one repeated parameter
YEAR_RE = re.compile(r"[0-9]{4}")
SORTS = {
    "relevance": gettext_lazy("Relevance"),
    "-year": gettext_lazy("Newest first"),
    "year": gettext_lazy("Oldest first"),
    "title": gettext_lazy("Title"),
}
ORDERINGS = {
    "-year": ["-year", "title", "pk"],
    "year": ["year", "title", "pk"],
    "title": ["title", "pk"],
}


@dataclass(frozen=True)
class Facet:
    """A filter parameter whose options are terms with slugs; `key` is filter_by's keyword."""

    parameter: str
    key: str
    label: str
    model: type[Model]
    collapse_after: int | None = None  # show this many options, the rest behind "show all"
    # At most this many options (the largest): thousands of authors would make a page of
    # megabytes. The search box finds the others by name.
    limit: int | None = None

    def terms(self, values: list[str]) -> list[Model]:
        """Return the terms whose slugs are values, or raise InvalidParameter."""
        if not values:
            return []
        if any(len(value) > 200 or not slug_re.fullmatch(value) for value in values):
            raise self.invalid()
        found = list(self.model.objects.filter(slug__in=values))
        if len(found) != len(set(values)):
            raise self.invalid()
        return found

    def invalid(self) -> InvalidParameter:
        return InvalidParameter(
            self.parameter,
            _("There is no %(facet)s with this name in the library.") % {"facet": self.label},
        )


FACETS = [
    Facet("region", "regions", gettext_lazy("region"), Region),
    Facet("country", "countries", gettext_lazy("country"), Country, collapse_after=8),
    Facet("category", "categories", gettext_lazy("category"), Category),
    Facet("author", "authors", gettext_lazy("author"), Author, collapse_after=8, limit=100),
]
FACET_KEYS = [facet.key for facet in FACETS]
FACET_LABELS = {
    "region": gettext_lazy("Region"),
    "country": gettext_lazy("Country"),
    "category": gettext_lazy("Category"),
    "author": gettext_lazy("Author"),
    "year": gettext_lazy("Year"),
}


def single(params: QueryDict, name: str) -> str:
    """Return the last value of a parameter that takes one, stripped ('' when absent)."""
    return params.get(name, "").strip()


def search_text(params: QueryDict) -> str:
    """Return the words of ?q= (the library's and the site search's), or raise InvalidParameter."""
    q = single(params, "q")
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidParameter(
            "q",
            _("Search with at most %(count)s characters.") % {"count": MAX_QUERY_LENGTH},
        )
    q = " ".join(q.split())  # tabs and line breaks are spaces to a search
    # Control characters mean nothing to a search, and XML (the feed's title) and
    # PostgreSQL (NUL) refuse them.
    if CONTROL_CHARACTERS.search(q):
        raise InvalidParameter("q", _("The search contains a character that is not allowed."))
    return q


def parse_year(value: str, parameter: str) -> int:
    if not YEAR_RE.fullmatch(value):
        raise InvalidParameter(parameter, _("A year is written with four digits, like 2020."))
    return int(value)


def values_of(params: QueryDict, name: str) -> list[str]:
    """Return the non-blank values of a repeatable parameter, each once, in order."""
    values = list(dict.fromkeys(value.strip() for value in params.getlist(name) if value.strip()))
    if len(values) > MAX_VALUES:
        raise InvalidParameter(
            name, _("At most %(count)s values can be chosen at once.") % {"count": MAX_VALUES}
        )
    return values


@dataclass
class LibraryQuery:
    """The validated parameters of one library request."""

    q: str = ""
    terms: dict[str, list[Model]] = field(default_factory=dict)  # by parameter
    years: list[int] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "-year"

    @classmethod
    def from_params(cls, params: QueryDict) -> "LibraryQuery":
        """Validate params, or raise InvalidParameter naming the first bad one."""
        q = search_text(params)
        years = [parse_year(value, "year") for value in values_of(params, "year")]
        year_from = single(params, "year_from")
        year_from = parse_year(year_from, "year_from") if year_from else None
        year_to = single(params, "year_to")
        year_to = parse_year(year_to, "year_to") if year_to else None
        if year_from is not None and year_to is not None and year_from > year_to:
            raise InvalidParameter(
                "year_from", _("The first year must not come after the last year.")
            )
        sort = single(params, "sort") or ("relevance" if q else "-year")
        if sort not in SORTS:
            raise InvalidParameter(
                "sort", _("Sort by one of: %(sorts)s.") % {"sorts": ", ".join(SORTS)}
            )
        terms = {
            facet.parameter: facet.terms(values_of(params, facet.parameter)) for facet in FACETS
        }
        return cls(q, terms, years, year_from, year_to, sort)

    def filters(self, *, without: str | None = None) -> dict:
        """Return filter_by()'s keywords, leaving out the parameter `without`."""
        kwargs = {
            facet.key: self.terms.get(facet.parameter, [])
            for facet in FACETS
            if facet.parameter != without
        }
        if without != "year":
            kwargs["years"] = self.years
        return {**kwargs, "year_from": self.year_from, "year_to": self.year_to}

    def resources(self, queryset, *, without: str | None = None):
        """Return queryset searched and filtered by every parameter but `without`, unordered."""
        if self.q:
            queryset = queryset.search(self.q)
        return queryset.filter_by(**self.filters(without=without))

    def ordered(self, queryset):
        """Return the filtered resources in the requested order."""
        resources = self.resources(queryset)
        if self.sort == "relevance" and self.q:
            return resources.order_by("-rank", "-year", "title", "pk")
        return resources.order_by(*ORDERINGS.get(self.sort, ORDERINGS["-year"]))

    def cards(self, start: int, stop: int, ranking: "facet_index.Ranking | None") -> list[dict]:
        """Return the cards (ResourceQuerySet.cards()) of places start to stop - 1 of the
        order, each with its snippet if the query searches.

        ranking: the search's matches, ranked by the facet index (counts_and_ranking()):
        only the resources that tie with the page's on every key before the title are
        read again, not every match.
        """
        if ranking is not None:
            ids, keys, offset = ranking.candidates(start, stop)
            return Resource.objects.cards(
                ids, keys=keys, offset=offset, limit=stop - start, search=self.q
            )
        ids = self.ordered(Resource.objects.published()).values_list("pk", flat=True)
        return Resource.objects.cards(ids[start:stop], search=self.q)

    def signature(self, *, without: str | None = None) -> dict:
        """Return what resources(without=...) depends on, as JSON-able values (a cache key)."""
        kwargs = self.filters(without=without)
        ids = {key: sorted(term.pk for term in kwargs.pop(key, [])) for key in FACET_KEYS}
        return {"q": self.q, **ids, **kwargs, "years": sorted(kwargs.get("years", []))}

    @property
    def is_filtered(self) -> bool:
        return bool(any(self.terms.values()) or self.years or self.year_from or self.year_to)


def canonical_query_string(query: LibraryQuery) -> str:
    """Return the library query string of query's filter: sorted, no sort or page.

    The same filter chosen in any order gives the same string (a saved search's identity).
    """
    pairs = [("q", query.q)] if query.q else []
    for facet in FACETS:
        pairs += [
            (facet.parameter, slug)
            for slug in sorted(t.slug for t in query.terms.get(facet.parameter, []))
        ]
    pairs += [("year", str(year)) for year in sorted(query.years)]
    if query.year_from is not None:
        pairs.append(("year_from", str(query.year_from)))
    if query.year_to is not None:
        pairs.append(("year_to", str(query.year_to)))
    return urlencode(pairs)


def describe(query: LibraryQuery) -> str:
    """Say query's filter in words: "“forced labour” · Guides · Worldwide · 2020 or later".

    Several values of one facet are joined by "or", the facets by " · " (each must hold).
    """
    parts = [_("“%(q)s”") % {"q": query.q}] if query.q else []
    for parameter in ("category", "country", "region", "author"):
        names = [term.name for term in query.terms.get(parameter, [])]
        if names:
            parts.append(_(" or ").join(names))
    if query.years:
        parts.append(_(" or ").join(str(year) for year in sorted(query.years)))
    if query.year_from is not None and query.year_to is not None:
        parts.append(f"{query.year_from}–{query.year_to}")
    elif query.year_from is not None:
        parts.append(_("%(year)s or later") % {"year": query.year_from})
    elif query.year_to is not None:
        parts.append(_("%(year)s or earlier") % {"year": query.year_to})
    return " · ".join(parts) or _("Every new resource")


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class FacetPanel:
    """One fieldset of the filter panel: the options shown, and those behind "show all"."""

    parameter: str
    legend: str
    options: list[Option]
    more: list[Option]
    truncated: bool = False  # more options exist than the facet's limit

    @property
    def total(self) -> int:
        return len(self.options) + len(self.more)


COUNT = "count"  # the result count, among the names of counts_and_ranking()'s figures


def counts_and_ranking(
    query: LibraryQuery, generation: str
) -> tuple[int, dict[str, list[tuple[str, str, int]]], facet_index.Ranking | None]:
    """Return how many resources the query finds, and every facet's options by parameter:
    (value, label, count), most first (the years newest first).

    Each facet's counts depend on the other facets' choices only ("disjunctive faceting"):
    its own options are OR-ed, so its own choices must not narrow them. They are cached
    per library generation under exactly what they depend on, so the counts of the
    unfiltered library also serve the country facet of ?country=albania. What the cache
    misses is counted by the facet index (resources/facet_index.py), after one query
    for the library's version and the search's matches. The index applies the
    publication times itself.

    When that query ran for a search by relevance, the matches come back ranked
    (Ranking), so that the page of results reads only its own rows again; else None.
    """
    signatures = {name: query.signature(without=name) for name in FACET_NAMES}
    signatures[COUNT] = query.signature()
    keys = {
        name: fragment_key("count" if name == COUNT else f"facet-{name}", signature, generation)
        for name, signature in signatures.items()
    }
    found = cache.get_many(keys.values())
    counts = {name: found[key] for name, key in keys.items() if key in found}
    missing = [name for name in keys if name not in counts]
    ranking = None
    if missing:
        if query.q:
            # Ranking every match costs less than the page's query finding them again.
            # By year or title, the resources that tie before the title are a whole year
            # of matches or all of them: the page's query would read as many (measured).
            relevance = query.sort == "relevance"
            index, matches, ranks = facet_index.search(query.q, ranked=relevance)
            if relevance:
                ranking = index.ranking(query, matches, ranks)
        else:
            index, matches = facet_index.current()
        computed = index.counts(query, missing, matches=matches, limits=FACET_LIMITS)
        counts.update(computed)
        cache.set_many({keys[name]: computed[name] for name in missing}, timeout=FRAGMENT_TIMEOUT)
    total = counts.pop(COUNT)
    return total, counts, ranking


FACET_NAMES = [*(facet.parameter for facet in FACETS), "year"]
FACET_LIMITS = {facet.parameter: facet.limit for facet in FACETS}


def facet_panels(query: LibraryQuery, counts: dict) -> list[FacetPanel]:
    """Return the filter panel's fieldsets: every facet's options with their counts
    (counts_and_ranking()).

    Options with no results are left out unless chosen.
    """
    panels = []
    for facet in FACETS:
        chosen = {term.slug: term.name for term in query.terms.get(facet.parameter, [])}
        rows = counts[facet.parameter]
        shown = panel(
            facet.parameter, FACET_LABELS[facet.parameter], rows, chosen, facet.collapse_after
        )
        shown.truncated = facet.limit is not None and len(rows) >= facet.limit
        panels.append(shown)
    chosen = {str(year): str(year) for year in query.years}
    panels.append(
        panel(
            "year", FACET_LABELS["year"], counts["year"], chosen, collapse_after=10, by_name=False
        )
    )
    return panels


def panel_cache_key(query: LibraryQuery, path: str, generation: str) -> str:
    """Return the cache key of the rendered filter panel (includes/library_filters.html)."""
    parameters = {
        "query": query.signature(),
        "sort": query.sort,
        "path": path,
        "language": get_language(),
    }
    return fragment_key("filters-html", parameters, generation)


def panel(
    parameter, legend, counts, chosen: dict[str, str], collapse_after, by_name: bool = True
) -> FacetPanel:
    """Return a facet's options; past collapse_after, the rest (by name, or as counted) apart."""
    options = [Option(slug, name, count, slug in chosen) for slug, name, count in counts]
    present = {option.value for option in options}
    options += [Option(slug, name, 0, True) for slug, name in chosen.items() if slug not in present]
    if collapse_after is None or len(options) <= collapse_after:
        return FacetPanel(parameter, legend, options, [])
    # The chosen options stay in view, then the first counted; the rest behind a <details>.
    shown = [option for option in options if option.selected]
    shown += [option for option in options if not option.selected][
        : max(collapse_after - len(shown), 0)
    ]
    in_view = {option.value for option in shown}
    more = [option for option in options if option.value not in in_view]
    if by_name:
        more.sort(key=lambda option: option.label.lower())
    return FacetPanel(parameter, legend, shown, more)


@dataclass
class Chip:
    label: str
    remove_url: str


def chips(query: LibraryQuery, params: QueryDict, path: str) -> list[Chip]:
    """Return the active filters, each with the URL of the library without it."""

    def without(name: str, value: str | None = None) -> str:
        remaining = params.copy()
        remaining.pop("page", None)
        if value is None:
            remaining.pop(name, None)
        else:
            remaining.setlist(name, [v for v in remaining.getlist(name) if v.strip() != value])
        encoded = remaining.urlencode()
        return f"{path}?{encoded}" if encoded else path

    active = []
    if query.q:
        active.append(Chip(_("Search: “%(q)s”") % {"q": query.q}, without("q")))
    for facet in FACETS:
        for term in query.terms.get(facet.parameter, []):
            active.append(
                Chip(
                    f"{FACET_LABELS[facet.parameter]}: {term.name}",
                    without(facet.parameter, term.slug),
                )
            )
    for year in query.years:
        active.append(Chip(f"{FACET_LABELS['year']}: {year}", without("year", str(year))))
    if query.year_from:
        active.append(Chip(_("From %(year)s") % {"year": query.year_from}, without("year_from")))
    if query.year_to:
        active.append(Chip(_("Until %(year)s") % {"year": query.year_to}, without("year_to")))
    return active


WORD_RE = re.compile(r"\w+")
MIN_WORD_LENGTH = 4  # characters of a word the suggestion corrects or offers
# pg_trgm's word_similarity() of a typed word to a title or name (0.6 by default misses
# "trafickng" for "trafficking", 0.58), then similarity() to the word chosen.
WORD_SIMILARITY_THRESHOLD = 0.4
SIMILARITY_THRESHOLD = 0.3
CANDIDATE_TEXTS = 50  # titles or names looked at per typed word


def suggestion(text: str, published) -> str | None:
    """Return text with each word replaced by the most similar word of the library, if any.

    For each word typed, the trigram indexes find titles of published resources and names
    of countries, regions, categories and authors holding a similar word; the most similar
    of their words replaces it. None when nothing would change.
    """
    # Short words are left alone, and never suggested: "for" is close to "forsed" too.
    typed = [word for word in WORD_RE.findall(text.lower()) if len(word) >= MIN_WORD_LENGTH]
    if not typed:
        return None
    titles, params = published.values("title").query.sql_with_params()
    names = " UNION ALL ".join(
        f"(SELECT name FROM {model._meta.db_table} WHERE typed.word <%% name LIMIT %s)"
        for model in (Country, Region, Category, Author)
    )
    with connection.cursor() as cursor:
        # <% compares with pg_trgm.word_similarity_threshold and can use the trigram indexes.
        # set_config(..., true) lasts for the transaction; two statements in one query
        # string are one transaction even in autocommit (PostgreSQL docs, protocol-flow
        # "Multiple Statements in a Simple Query"; psycopg2 sends one simple query).
        cursor.execute(
            f"""
            SELECT set_config('pg_trgm.word_similarity_threshold', %s, true);
            SELECT typed.word, best.word
            FROM unnest(%s::text[]) AS typed(word)
            CROSS JOIN LATERAL (
                SELECT candidate.word
                FROM (
                    (SELECT resource.title AS name FROM ({titles}) AS resource
                     WHERE typed.word <%% resource.title LIMIT %s)
                    UNION ALL {names}
                ) AS text,
                regexp_split_to_table(lower(text.name), '[^[:alnum:]]+') AS candidate(word)
                WHERE length(candidate.word) >= %s
                    AND similarity(candidate.word, typed.word) >= %s
                ORDER BY similarity(candidate.word, typed.word) DESC, candidate.word
                LIMIT 1
            ) AS best
            """,
            [
                str(WORD_SIMILARITY_THRESHOLD),
                typed,
                *params,
                CANDIDATE_TEXTS,
                *[CANDIDATE_TEXTS] * 4,
                MIN_WORD_LENGTH,
                SIMILARITY_THRESHOLD,
            ],
        )
        better = {word: best for word, best in cursor.fetchall() if word != best}
    if not better:
        return None
    return WORD_RE.sub(lambda match: better.get(match.group().lower(), match.group()), text)
