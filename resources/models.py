import re

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Case, Count, Exists, F, Func, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat, Now
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .cache import invalidate as invalidate_library_cache


class Term(models.Model):
    """A name with a unique slug: the shape every facet of the library shares."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]
        # For the near-miss suggestion of the search (word_similarity, pg_trgm).
        indexes = [
            GinIndex(OpClass("name", name="gin_trgm_ops"), name="%(app_label)s_%(class)s_name_trgm")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        renamed = self.pk is not None
        super().save(*args, **kwargs)
        if renamed:
            # The resources' search terms hold this name (Resource.search_terms).
            self.resources.all().refresh_search_terms()


class Country(Term):
    class Meta(Term.Meta):
        verbose_name = _("country")
        verbose_name_plural = _("countries")


class Region(Term):
    class Meta(Term.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class Category(Term):
    class Meta(Term.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")


class Author(models.Model):
    name = models.CharField(_("name"), max_length=200)
    sort_name = models.CharField(
        _("sort name"), max_length=200, help_text=_('Family name first: "Von Hagen, Markéta".')
    )
    slug = models.SlugField(_("slug"), max_length=200, unique=True)

    class Meta:
        ordering = ["sort_name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")
        indexes = [GinIndex(OpClass("name", name="gin_trgm_ops"), name="author_name_trgm")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        renamed = self.pk is not None
        super().save(*args, **kwargs)
        if renamed:
            self.resources.all().refresh_search_terms()


# Created in migration 0003: English stemming on unaccented words, so "trafficked" finds
# "trafficking" and "Czestochowa" finds "Częstochowa".
SEARCH_CONFIG = "english_unaccent"
# SearchHeadline wraps each hit in these; highlight() turns them into <mark> after escaping
# the text, so nothing in a summary is ever rendered as HTML. Private-use code points.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_STOP = "\ue001"
HIGHLIGHT_RE = re.compile(
    f"{HIGHLIGHT_START}([^{HIGHLIGHT_START}{HIGHLIGHT_STOP}]*){HIGHLIGHT_STOP}"
)


def search_terms_expression():
    """The text Resource.search_terms should hold: its authors, category, countries, regions."""

    def names(through, field: str, ordering: str | None = None):
        related = through.objects.filter(resource=OuterRef("pk")).values("resource")
        joined = related.annotate(
            names=StringAgg(f"{field}__name", " ", order_by=ordering or f"{field}__name")
        )
        return Coalesce(Subquery(joined.values("names")), Value(""), output_field=text)

    text = models.TextField()
    category = Category.objects.filter(pk=OuterRef("category_id")).values("name")
    return Concat(
        names(ResourceAuthor, "author", ordering="position"),
        Value(" "),
        Coalesce(Subquery(category), Value(""), output_field=text),
        Value(" "),
        names(Resource.countries.through, "country"),
        Value(" "),
        names(Resource.regions.through, "region"),
        output_field=text,
    )


def weighted(vector, weight: str) -> Func:
    """Return the lexemes of vector with the weight "a", "b", "c" or "d" (ts_filter)."""
    # A constant from the code, never from a request.
    return Func(
        vector,
        function="ts_filter",
        template=f"%(function)s(%(expressions)s, '{{{weight}}}')",
        output_field=SearchVectorField(),
    )


SNIPPET_OPTIONS = (
    f"StartSel='{HIGHLIGHT_START}', StopSel='{HIGHLIGHT_STOP}', MaxWords=30, MinWords=15, "
    "MaxFragments=2, FragmentDelimiter=' … '"
)
TEXT_BEFORE_HIT = 1500  # characters of a file's text kept before the last word found
TEXT_AROUND_HIT = 2000  # characters of a file's text given to ts_headline


def snippet_sql(row: str, text: str) -> tuple[str, list]:
    """Return the SQL and parameters of the snippet of the resource `row` (a table name or
    alias, from the code) for the search text: its summary around the hits, or its file's
    text when the words are found there and not in the summary. The hits are between
    HIGHLIGHT_START and HIGHLIGHT_STOP; & and < are entities (the `highlight` filter).

    ts_headline reads all the text it is given: 35-50 ms for the 200,000 characters of a
    file's text, per resource. So it is given the part of the file's text around the
    places where the search's words first appear: each word's stem is looked for in the
    text as it is (case-insensitively, up to its first occurrence), which finds most
    words; the part ends after the last word found first, so that words searched together
    are all in it. When none is found (a stem that is not a prefix, an accented word), it
    is the beginning of the text.

    Written out rather than with SearchHeadline: the library's page reads its cards in
    one query (ResourceQuerySet.cards()), and with_snippet() uses the same SQL.
    """
    query = f"websearch_to_tsquery('{SEARCH_CONFIG}', %s)"

    def headline(text_sql: str) -> str:
        # ts_headline drops what its parser takes for HTML tags, but the summary is plain
        # text: escape it first (highlight() unescapes, then escapes all).
        escaped = f"replace(replace({text_sql}, '&', '&amp;'), '<', '&lt;')"
        return f"ts_headline('{SEARCH_CONFIG}', {escaped}, {query}, %s)"

    # ***= makes the rest of the pattern a literal string (PostgreSQL's "director"),
    # whatever characters a lexeme holds.
    around_hit = f"""substr({row}.file_text, greatest(coalesce((
        SELECT max(nullif(regexp_instr({row}.file_text, '***=' || lexeme, 1, 1, 0, 'i'), 0))
        FROM unnest(tsvector_to_array(to_tsvector('{SEARCH_CONFIG}', %s))) AS lexeme
    ), 1) - {TEXT_BEFORE_HIT}, 1), {TEXT_AROUND_HIT})"""
    summary = headline(f"{row}.summary")
    # The stored vector's D lexemes are the file's: no need to parse the text of every
    # file to know where the words are.
    sql = f"""CASE
        WHEN ts_filter({row}.search_vector, '{{b}}') @@ {query} THEN {summary}
        WHEN ts_filter({row}.search_vector, '{{d}}') @@ {query} THEN {headline(around_hit)}
        ELSE {summary} END"""
    summary_params = [text, SNIPPET_OPTIONS]
    params = [text, *summary_params, text, text, text, SNIPPET_OPTIONS, *summary_params]
    return sql, params


# The fields of Resource.card with the regions and authors, for the resources of an array
# of ids in the order of an array of keys, then title and id: the library's page reads its
# cards in this one query rather than in four (the rows, then countries, regions and
# authors), and without making models of them: 15-25 ms less a page at 100,000 resources.
# The names are in the order the relations' Meta.ordering gives; each is read by its
# primary key (a join let PostgreSQL scan all 250 countries for every card).
CARDS_SQL = """
SELECT r.slug, r.title, r.year, r.summary, category.name, {snippet},
    ARRAY(SELECT (SELECT name FROM resources_country WHERE id = link.country_id)
        FROM resources_resource_countries AS link WHERE link.resource_id = r.id ORDER BY 1),
    ARRAY(SELECT (SELECT name FROM resources_region WHERE id = link.region_id)
        FROM resources_resource_regions AS link WHERE link.resource_id = r.id ORDER BY 1),
    ARRAY(SELECT (SELECT name FROM resources_author WHERE id = link.author_id)
        FROM resources_resourceauthor AS link WHERE link.resource_id = r.id
        ORDER BY link.position, link.id)
FROM unnest(%s::bigint[], %s::bigint[]) AS chosen(id, key)
JOIN resources_resource AS r ON r.id = chosen.id
LEFT JOIN resources_category AS category ON category.id = r.category_id
ORDER BY chosen.key, r.title, r.id
OFFSET %s LIMIT %s
"""


# Paths under /resources/ that are not resources (resources/urls.py); "export.csv" is
# not a slug at all.
RESERVED_SLUGS = ["feed"]


# Related resources are ranked among the latest added this many sharing each kind of
# term (country, region, author, category): "Worldwide" alone is shared by tens of
# thousands, and scoring them all took 300-800 ms at 100,000 resources.
RELATED_POOL = 200


class ResourceQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        """Update the rows (see QuerySet.update), and the library's cache if any changed.

        update() sends no model signal (resources/signals.py), yet the admin's publish and
        unpublish actions and the PDF text extraction change what the library shows.
        """
        count = super().update(**kwargs)
        if count:
            invalidate_library_cache()
        return count

    def published(self):
        """Keep resources the public may see: published, with a publication time now or past."""
        return self.filter(status=Resource.Status.PUBLISHED, published_at__lte=Now())

    def filter_by(
        self,
        *,
        countries=(),
        regions=(),
        categories=(),
        authors=(),
        years=(),
        year_from: int | None = None,
        year_to: int | None = None,
    ):
        """Keep resources matching every given facet, any one value within each.

        Terms may be given as objects or primary keys. Many-to-many facets use EXISTS, so a
        resource with two of the chosen countries appears once.
        """
        queryset = self
        for through, field, chosen in (
            (Resource.countries.through, "country", countries),
            (Resource.regions.through, "region", regions),
            (ResourceAuthor, "author", authors),
        ):
            if chosen:
                links = through.objects.filter(resource=OuterRef("pk"), **{f"{field}__in": chosen})
                queryset = queryset.filter(Exists(links))
        if categories:
            queryset = queryset.filter(category__in=categories)
        if years:
            queryset = queryset.filter(year__in=years)
        if year_from is not None:
            queryset = queryset.filter(year__gte=year_from)
        if year_to is not None:
            queryset = queryset.filter(year__lte=year_to)
        return queryset

    def search(self, text: str):
        """Keep resources matching websearch-style text ("quoted phrase", -word, or); add rank."""
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        return self.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))

    def with_snippet(self, text: str):
        """Add `snippet`: the summary around the hits of text, for the `highlight` filter.

        When the words are found in the file's text and not in the summary, the snippet
        comes from the file's text (snippet_sql()).
        """
        return self.annotate(snippet=RawSQL(*snippet_sql(f'"{Resource._meta.db_table}"', text)))

    def cards(
        self, ids, *, keys=None, offset: int = 0, limit: int | None = None, search: str = ""
    ) -> list[dict]:
        """Return the cards of the resources ids (Resource.card with "regions" and "authors"),
        in one query.

        In the order of ids, or of keys (one per id) then title; from offset, at most limit.
        With search, each card has the snippet of the hits; the ids are the caller's
        choice (published, matching): this reads them as they are.
        """
        ids = [int(pk) for pk in ids]
        if not ids:
            return []
        keys = list(range(len(ids))) if keys is None else [int(key) for key in keys]
        snippet, snippet_params = snippet_sql("r", search) if search else ("''", [])
        with connection.cursor() as cursor:
            cursor.execute(
                CARDS_SQL.format(snippet=snippet),
                [*snippet_params, ids, keys, offset, limit],
            )
            rows = cursor.fetchall()
        return [
            {
                "url": reverse("resources:resource-detail", kwargs={"slug": slug}),
                "title": title,
                "category": category or "",
                "year": year,
                "summary": summary,
                "snippet": snippet,
                "countries": countries,
                "regions": regions,
                "authors": authors,
            }
            for slug, title, year, summary, category, snippet, countries, regions, authors in rows
        ]

    def related_to(self, resource: "Resource", limit: int = 4):
        """Keep up to limit published resources sharing the most terms with resource.

        A shared category, country, region or author counts one each, among the latest
        RELATED_POOL resources added that share each kind of term. The terms come from
        the resource's prefetched relations, so this is one query.
        """
        shared = []
        pools = []
        for through, field, ids in (
            (Resource.countries.through, "country", [c.pk for c in resource.countries.all()]),
            (Resource.regions.through, "region", [r.pk for r in resource.regions.all()]),
            (ResourceAuthor, "author", [a.pk for a in resource.ordered_authors()]),
        ):
            if not ids:
                continue
            links = through.objects.filter(resource=OuterRef("pk"), **{f"{field}__in": ids})
            counted = links.values("resource").annotate(n=Count("*")).values("n")
            shared.append(Coalesce(Subquery(counted), 0))
            newest = through.objects.filter(**{f"{field}__in": ids}).order_by("-resource_id")
            pools.append(newest.values_list("resource_id")[:RELATED_POOL])
        if resource.category_id:
            shared.append(Case(When(category_id=resource.category_id, then=1), default=0))
            newest = Resource.objects.filter(category_id=resource.category_id).order_by("-pk")
            pools.append(newest.values_list("pk")[:RELATED_POOL])
        if not shared:
            return self.none()
        return (
            self.published()
            # One IN over a UNION ALL, not IN ... OR IN ...: PostgreSQL reads the few
            # hundred candidates by primary key rather than scanning every resource.
            .filter(pk__in=pools[0].union(*pools[1:], all=True))
            .exclude(pk=resource.pk)
            .annotate(shared_terms=sum(shared[1:], start=shared[0]))
            .order_by("-shared_terms", "-published_at", "-pk")[:limit]
        )

    def refresh_search_terms(self) -> int:
        """Recompute search_terms (names from other tables) where it changed; return the count.

        Call it after changing a resource's authors, countries or regions outside save():
        the admin does in save_related(), the demo loader after setting the relations.
        """
        expression = search_terms_expression()
        return (
            Resource.objects.filter(pk__in=self.values("pk"))
            .filter(~Q(search_terms=expression))
            .update(search_terms=expression)
        )


class Resource(models.Model):
    """A report, guide or training curriculum in the library."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=500)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    countries = models.ManyToManyField(
        Country, verbose_name=_("countries"), related_name="resources", blank=True
    )
    regions = models.ManyToManyField(
        Region, verbose_name=_("regions"), related_name="resources", blank=True
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, db_index=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="resources",
        null=True,
        blank=True,
    )
    authors = models.ManyToManyField(
        Author,
        verbose_name=_("authors"),
        through="ResourceAuthor",
        related_name="resources",
        blank=True,
    )
    publisher = models.CharField(_("publisher or organisation"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=50, blank=True, default="English")
    file = models.FileField(_("file"), upload_to="resources/%Y/", blank=True)
    external_url = models.URLField(_("external link"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("publication time"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # A generated column reads only its own row, so the names of the authors, category,
    # countries and regions are copied here (refresh_search_terms) for the search vector.
    search_terms = models.TextField(_("search terms"), blank=True, editable=False)
    # The text of the uploaded file, for the search; extracted on upload (issue 4, next slice).
    file_text = models.TextField(_("text of the file"), blank=True, editable=False)
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("search_terms", "publisher", weight="C", config=SEARCH_CONFIG)
        + SearchVector("file_text", weight="D", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "title"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        # As for articles: changing a draft and publishing it are separate rights.
        permissions = [("publish_resource", _("Can publish resources"))]
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            # The facet counts and the filters read the published ids (with category and
            # year) from this index alone, not from the wide rows (migration 0010).
            models.Index(
                fields=["status", "published_at"],
                include=["id", "category", "year"],
                name="resource_published_cover",
            ),
            # The library's default order: the first pages walk it instead of sorting.
            models.Index(fields=["-year", "title", "id"], name="resource_library_order"),
            GinIndex(fields=["search_vector"], name="resource_search_vector"),
            GinIndex(OpClass("title", name="gin_trgm_ops"), name="resource_title_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__gte=1900, year__lte=2100),
                name="resource_year_plausible",
            ),
            models.CheckConstraint(
                condition=~models.Q(slug__in=RESERVED_SLUGS),
                name="resource_slug_not_reserved",
                violation_error_message=_("This slug is taken by a page of the site."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        # The category may have changed; relations set after this call refresh it again.
        Resource.objects.filter(pk=self.pk).refresh_search_terms()

    def get_absolute_url(self) -> str:
        return reverse("resources:resource-detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        super().clean()
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("This slug is taken by a page of the site.")})

    def ordered_authors(self) -> list[Author]:
        """Return the authors in citation order (uses a prefetched `authorships` if present)."""
        return [authorship.author for authorship in self.authorships.all()]

    @property
    def card(self) -> dict:
        """Return what includes/resource_card.html shows of the resource, in a dict.

        As Article.card: the template engine finds a dict's keys at once, where it tries
        several ways before a model's attribute. The countries should be prefetched.
        """
        return {
            "url": self.get_absolute_url(),
            "title": self.title,
            "category": self.category.name if self.category_id else "",
            "year": self.year,
            "summary": self.summary,
            "snippet": getattr(self, "snippet", ""),
            "countries": [country.name for country in self.countries.all()],
        }


class ResourceAuthor(models.Model):
    """An author's place in a resource's author list; citations depend on the order."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="authorships")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="authorships")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("authorship")
        verbose_name_plural = _("authorships")
        constraints = [
            models.UniqueConstraint(fields=["resource", "author"], name="unique_resource_author"),
        ]
        # The author filter finds an author's resources from this index alone (0010).
        indexes = [models.Index(fields=["author", "resource"], name="resourceauthor_author_cover")]

    def __str__(self) -> str:
        return f"{self.author} ({self.position})"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        Resource.objects.filter(pk=self.resource_id).refresh_search_terms()

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        Resource.objects.filter(pk=self.resource_id).refresh_search_terms()
        return deleted
