import mimetypes
import re
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorExact,
    SearchVectorField,
)
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import connection, models
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Replace
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItem

from resources.models import HIGHLIGHT_START, HIGHLIGHT_STOP, SEARCH_CONFIG, weighted
from trafficwatch import images
from trafficwatch.html import excerpt, sanitize_html

from .cache import news as news_cache

# What an article with an image must also say about it, and the message when it does not.
IMAGE_FIELDS_REQUIRED = {
    "image_alt": _("Describe the image for people who cannot see it."),
    "image_caption": _("Say what the image shows, under it."),
    "image_credit": _("Credit whoever made the image."),
    "image_licence": _("Name the licence the image is used under."),
}

# Paths under /news/ that are not articles (news/urls.py).
RESERVED_SLUGS = ["feed"]

# What the <slug:slug> converter of news/urls.py matches.
URL_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


@lru_cache(maxsize=16)
def _news_url(script_prefix: str, urlconf: str | None, root_urlconf: str) -> str:
    return reverse("news:article-list")


def news_url() -> str:
    """Return the path of the news list, as {% url "news:article-list" %} gives it.

    A list page builds two URLs a teaser: reverse() costs about 35 µs each, a tenth of
    a teaser's rendering. The key holds everything reverse() reads besides the name.
    """
    return _news_url(get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)


@lru_cache(maxsize=512)
def display_date(day: date, language: str | None) -> str:
    """Return day in the DATE_FORMAT of language, as {{ value|date:"DATE_FORMAT" }}.

    Formatting costs about 50 µs, and a list's twenty articles share a few days.
    """
    return formats.date_format(day, "DATE_FORMAT")


class Section(models.Model):
    """A curated part of the news: "News Flash", "European Resource Center", ..."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.name

    @property
    def news_url(self) -> str:
        """Return the path of the section's news list (?section=)."""
        return f"{news_url()}?section={quote(self.slug, safe='/')}"


class Source(models.Model):
    """Where an article comes from ("Eurojust", "AP"), reused across articles."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    home_page = models.URLField(_("home page"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.name


def taggings(*, tag_ids: list[int]):
    """Return the taggings of articles with any of these tags."""
    # The content type's id, not a subquery: with a value the planner reads the tag's
    # articles from the tag index alone. get_for_model() caches it for the process.
    article_type = ContentType.objects.get_for_model(Article)
    return TaggedItem.objects.filter(content_type=article_type, tag_id__in=tag_ids)


class ArticleQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        """Update the rows (see QuerySet.update), and the news lists' cache if any changed.

        update() sends no model signal (news/signals.py), yet the admin's publish and
        unpublish actions change what the lists count.
        """
        count = super().update(**kwargs)
        if count:
            news_cache.invalidate()
        return count

    def published(self, at: datetime | None = None):
        """Keep articles the public may read at `at` (default now): published and due by then."""
        # The application's clock rather than the database's Now(): an article scheduled
        # for tomorrow appears by itself tomorrow either way, and a test can move this
        # clock (time-machine), where it cannot move PostgreSQL's.
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=at or timezone.now())

    def count_published(self, *, section: Section | None = None, tag: Tag | None = None) -> int:
        """Return how many articles published() keeps, in section and tagged with tag if given."""
        if tag is None or section is not None:
            articles = self.published()
            if section is not None:
                articles = articles.filter(section=section)
            if tag is not None:
                articles = articles.tagged(tag)
            return articles.count()
        parameters = {
            "article_type": ContentType.objects.get_for_model(Article).pk,
            "tag": tag.pk,
            "published": Article.Status.PUBLISHED.value,
            "now": timezone.now(),
        }
        # Written out, as related_to(): the ORM took longer to build this aggregate (two
        # subqueries in a FILTER) than PostgreSQL takes to run it, on every tag page.
        with connection.cursor() as cursor:
            cursor.execute(TAG_COUNT_SQL, parameters)
            return cursor.fetchone()[0]

    def in_section(self, slug: str):
        """Keep articles of the section with this slug."""
        return self.filter(section__slug=slug)

    def with_tags(self):
        """Prefetch each article's tags into its tag_list."""
        # to_attr, not article.tags.all(): for that, taggit builds a queryset per article
        # (about 0.7 ms each), which was most of the time of a feed of 20 items.
        return self.prefetch_related(Prefetch("tags", to_attr="tag_list"))

    def tagged(self, tag: Tag):
        """Keep articles tagged with tag."""
        # EXISTS, not filter(tags=tag): taggit joins on object_id::bigint, a cast that keeps
        # PostgreSQL from probing the tagging index, so it joined every tagging of a popular
        # tag to the whole table (0.2 s at 50,000 articles). EXISTS lets it pick the
        # cheaper side: walk the publication index and probe, or read the tag's taggings.
        return self.filter(Exists(taggings(tag_ids=[tag.pk]).filter(object_id=OuterRef("pk"))))

    def search(self, text: str):
        """Keep articles matching websearch-style text ("quoted phrase", -word, or); add rank."""
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        return self.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))

    def with_snippet(self, text: str):
        """Add `snippet`: the standfirst and teaser, or the body, around the hits of text.

        As ResourceQuerySet.with_snippet: hits between HIGHLIGHT_START and HIGHLIGHT_STOP,
        & and < as entities, for the `highlight` filter.
        """
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)

        def headline(source) -> SearchHeadline:
            return SearchHeadline(
                source,
                query,
                config=SEARCH_CONFIG,
                start_sel=HIGHLIGHT_START,
                stop_sel=HIGHLIGHT_STOP,
                max_words=30,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )

        # Plain text: escaped so that ts_headline keeps a "<" typed in a standfirst.
        lead = Concat("standfirst", Value(" "), "teaser", output_field=models.TextField())
        lead = Replace(Replace(lead, Value("&"), Value("&amp;")), Value("<"), Value("&lt;"))
        return self.annotate(
            snippet=Case(
                When(
                    SearchVectorExact(weighted(F("search_vector"), "b"), query), then=headline(lead)
                ),
                # The body is sanitized HTML: ts_headline drops its tags and keeps its
                # entities, which is what the `highlight` filter expects.
                When(
                    SearchVectorExact(weighted(F("search_vector"), "c"), query),
                    then=headline("body"),
                ),
                default=headline(lead),
            )
        )

    def with_neighbours(self):
        """Add previous_article and next_article: {slug, title} of the published neighbours.

        "Previous" was published just before, "next" just after, in the order of the list
        (publication time, then id). Two subqueries of the same query, not two more queries.
        """
        # Written out: built with the ORM (JSONObject, OuterRef), these two subqueries took
        # 2 ms of CPU on every article page, more than running them.
        parameters = [Article.Status.PUBLISHED.value, timezone.now()]
        return self.annotate(
            previous_article=RawSQL(
                NEIGHBOUR_SQL.format(before="<", order="DESC"),
                parameters,
                output_field=models.JSONField(),
            ),
            next_article=RawSQL(
                NEIGHBOUR_SQL.format(before=">", order="ASC"),
                parameters,
                output_field=models.JSONField(),
            ),
        )


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    def get_queryset(self):
        # The search vector is read by PostgreSQL only (search() filters and ranks on it):
        # rows of lists, feeds and the admin need not carry it.
        return super().get_queryset().defer("search_vector")

    def related_to(self, article: "Article", limit: int = 4) -> list["Article"]:
        """Return up to limit published articles sharing tags with article, most shared first.

        Ties go to the newest. shared_tags says how many tags each shares with article; each
        comes with its source. (On the manager: one SQL statement, no queryset to refine.)
        """
        # The article's tags come from with_tags() when it was used: no query for them.
        tags = getattr(article, "tag_list", None)
        tag_ids = [tag.pk for tag in (article.tags.all() if tags is None else tags)]
        if not tag_ids:
            return []
        parameters = {
            "article_type": ContentType.objects.get_for_model(Article).pk,
            "tag_ids": tag_ids,
            "article": article.pk,
            "published": Article.Status.PUBLISHED.value,
            "now": timezone.now(),
            "limit": limit,
        }
        # One statement written out: the ORM took about 4 ms of CPU on every article page
        # to build the same query (a union, an EXISTS and a subquery); this takes under 1.
        related = list(self.raw(RELATED_ARTICLES_SQL, parameters))
        for item in related:
            source = None
            if item.source_id is not None:
                source = Source(
                    id=item.source_id, name=item.source_name, home_page=item.source_home_page
                )
            Article.source.field.set_cached_value(item, source)
        return related


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    TEASER_LENGTH = 200  # characters
    IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    standfirst = models.CharField(
        _("standfirst"), max_length=500, blank=True, help_text=_("The line under the headline.")
    )
    body = models.TextField(_("body"), blank=True, help_text=_("HTML; sanitized when saved."))
    teaser = models.TextField(
        _("teaser"),
        blank=True,
        help_text=_("Shown in lists. Left empty, it is taken from the start of the body."),
    )
    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        on_delete=models.PROTECT,
        related_name="articles",
        null=True,
        blank=True,
    )
    source_url = models.URLField(_("original article"), max_length=500, blank=True)
    byline = models.CharField(_("byline"), max_length=200, blank=True)
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="articles"
    )
    tags = TaggableManager(_("tags"), blank=True)
    # The rows behind `tags`, by name: revisions follow them (trafficwatch/revisions.py),
    # and deleting an article deletes its taggings rather than leaving them orphaned.
    tagged_items = GenericRelation(TaggedItem, related_query_name="article")
    image = models.ImageField(
        _("image"),
        upload_to="news/%Y/%m/",
        max_length=200,
        blank=True,
        width_field="image_width",
        height_field="image_height",
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS)],
        help_text=_("JPEG, PNG, WebP or GIF. Shown above the article, in lists and in feeds."),
    )
    image_alt = models.CharField(
        _("alt text"),
        max_length=300,
        blank=True,
        help_text=_("What the image shows, for people who cannot see it. Required with an image."),
    )
    image_caption = models.CharField(
        _("caption"), max_length=300, blank=True, help_text=_("Required with an image.")
    )
    image_credit = models.CharField(
        _("credit"),
        max_length=300,
        blank=True,
        help_text=_(
            "Required with an image. Shown after “Image:”, for example: mockup design by … "
            "on Freepik."
        ),
    )
    image_licence = models.CharField(
        _("licence"),
        max_length=100,
        blank=True,
        help_text=_("Required with an image. For example: CC BY 4.0."),
    )
    image_licence_url = models.URLField(_("licence link"), max_length=500, blank=True)
    # Filled from the uploaded file: <img width height> without reading the file, and the
    # length of the feed's enclosure.
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_bytes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The widths of the smaller copies stored beside the image (trafficwatch/images.py).
    image_renditions = models.JSONField(default=list, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("publication time"), default=timezone.now, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The body is HTML, and PostgreSQL's text search parser reads HTML: it skips the tags
    # (attributes and all) and the entities, so the vector holds the words only.
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("standfirst", "teaser", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = ArticleManager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        # Publishing is its own permission: an organisation may let a writer change
        # drafts without putting them in front of the public.
        permissions = [("publish_article", _("Can publish articles"))]
        indexes = [
            # The public lists walk these newest first and count over them (news/views.py):
            # partial and narrow, so that a count reads ids alone and a page reads
            # 20 entries, not 50,000 status strings.
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(status="published"),
                name="article_published",
            ),
            models.Index(
                fields=["section", "-published_at", "-id"],
                condition=Q(status="published"),
                name="article_section_published",
            ),
            # The drafts, for count_published(): a few % of the articles.
            models.Index(
                fields=["id"], condition=~Q(status="published"), name="article_unpublished"
            ),
            GinIndex(fields=["search_vector"], name="article_search_vector"),
            # For the near-miss suggestion of the site search (word_similarity, pg_trgm).
            GinIndex(OpClass("title", name="gin_trgm_ops"), name="article_title_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(image="") | Q(image_alt__regex=r"\S"),
                name="news_article_image_has_alt_text",
                violation_error_message=_("An article with an image needs the image's alt text."),
            ),
            # Whose picture it is and on what terms: the captured sites credit every image.
            models.CheckConstraint(
                condition=Q(image="")
                | Q(
                    image_caption__regex=r"\S",
                    image_credit__regex=r"\S",
                    image_licence__regex=r"\S",
                ),
                name="news_article_image_is_credited",
                violation_error_message=_(
                    "An article with an image needs its caption, credit and licence."
                ),
            ),
            # Without them, every Article() built from a row would open the image file.
            models.CheckConstraint(
                condition=Q(image="") | Q(image_width__isnull=False, image_height__isnull=False),
                name="news_article_image_has_dimensions",
            ),
            models.CheckConstraint(
                condition=~Q(slug__in=RESERVED_SLUGS),
                name="news_article_slug_not_reserved",
                violation_error_message=_("This slug is taken by a page of the site."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.body = sanitize_html(self.body)
        if not self.teaser.strip():
            self.teaser = excerpt(self.body, self.TEASER_LENGTH)
        fresh_upload = bool(self.image) and not self.image._committed
        if not self.image:
            self.image_bytes = None
            self.image_renditions = []
        elif fresh_upload:
            # A fresh upload: its size is known without asking the storage.
            self.image_bytes = self.image.size
        super().save(*args, **kwargs)
        if fresh_upload:
            # Once, when the image arrives, so that no page waits for a resize.
            self.image_renditions = images.make_renditions(self.image)
            Article.objects.filter(pk=self.pk).update(image_renditions=self.image_renditions)

    def get_absolute_url(self) -> str:
        # The article's path is the list's and its slug (news/urls.py): no reverse() for
        # each of a list's teasers. A slug the converter would refuse goes to reverse(),
        # which raises for it as before.
        if URL_SLUG.fullmatch(self.slug):
            return f"{news_url()}{self.slug}/"
        return reverse("news:article-detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        super().clean()
        if self.image and not self.image._committed:
            try:
                images.check_upload(self.image)
            except ValidationError as error:
                raise ValidationError({"image": error.messages}) from None
        if self.image:
            missing = {
                field: message
                for field, message in IMAGE_FIELDS_REQUIRED.items()
                if not getattr(self, field).strip()
            }
            if missing:
                raise ValidationError(missing)
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("This slug is taken by a page of the site.")})

    @property
    def card(self) -> dict:
        """Return what includes/article_teaser.html shows of the article, in a dict.

        The template engine finds a dict's keys at once but tries several ways before an
        attribute of a model: with twenty lookups a teaser, that was most of a list page.
        """
        published_at = timezone.template_localtime(self.published_at)
        card = {
            "url": self.get_absolute_url(),
            "title": self.title,
            "standfirst": self.standfirst,
            "teaser": self.teaser,
            # As the date filter formats them: "c" and "DATE_FORMAT".
            "published_iso": published_at.isoformat(),
            "published_date": display_date(published_at.date(), get_language()),
            "source_name": self.source.name if self.source_id else "",
            "image": bool(self.image),
        }
        if self.image:
            card.update(
                image_url=self.image.url,
                image_alt=self.image_alt,
                image_width=self.image_width,
                image_height=self.image_height,
                image_srcset=self.image_srcset,
            )
        return card

    @property
    def image_srcset(self) -> str:
        """Return the srcset of the image: its renditions and the original, by width."""
        if not self.image or not self.image_renditions:
            return ""
        return images.srcset(self.image, self.image_renditions, self.image_width)

    @property
    def image_type(self) -> str:
        """Return the image's MIME type, from its file name."""
        return mimetypes.guess_type(self.image.name)[0] or "application/octet-stream"


# The search vector is left out, as ArticleManager defers it.
ARTICLE_COLUMNS = ", ".join(
    f'article."{field.column}"'
    for field in Article._meta.concrete_fields
    if field.name != "search_vector"
)
# Counting shared tags over every article that has one of them costs as many rows as the
# popular tag has articles (9,000 of 50,000: 0.2 s). The winners are among two small sets,
# both read from the tagging index: the articles sharing two tags or more, and the newest
# ones sharing any. If fewer than limit share two, the rest are the newest sharing one,
# which the second set holds: it has limit articles. (ArticleManager.related_to)
RELATED_ARTICLES_SQL = f"""
SELECT {ARTICLE_COLUMNS},
    source.name AS source_name,
    source.home_page AS source_home_page,
    (SELECT COUNT(*) FROM {TaggedItem._meta.db_table} shared
     WHERE shared.content_type_id = %(article_type)s AND shared.tag_id = ANY(%(tag_ids)s)
       AND shared.object_id = article.id) AS shared_tags
FROM {Article._meta.db_table} article
LEFT JOIN {Source._meta.db_table} source ON source.id = article.source_id
WHERE article.status = %(published)s AND article.published_at <= %(now)s
  AND article.id IN (
    (SELECT object_id FROM {TaggedItem._meta.db_table}
     WHERE content_type_id = %(article_type)s AND tag_id = ANY(%(tag_ids)s)
       AND object_id <> %(article)s
     GROUP BY object_id HAVING COUNT(*) > 1)
    UNION ALL
    (SELECT candidate.id FROM {Article._meta.db_table} candidate
     WHERE candidate.status = %(published)s AND candidate.published_at <= %(now)s
       AND candidate.id <> %(article)s
       AND EXISTS (
         SELECT FROM {TaggedItem._meta.db_table} shared
         WHERE shared.content_type_id = %(article_type)s
           AND shared.tag_id = ANY(%(tag_ids)s) AND shared.object_id = candidate.id)
     ORDER BY candidate.published_at DESC, candidate.id DESC
     LIMIT %(limit)s)
  )
ORDER BY shared_tags DESC, article.published_at DESC, article.id DESC
LIMIT %(limit)s
"""


# How many published articles carry a tag. Counted over the join, a tag on 9,000 of
# 50,000 articles is matched against the whole publication index (about 10 times slower).
# Every tagging of an article names an article that exists (tagged_items deletes them with
# it), so the published ones are the tag's taggings less those of drafts and scheduled
# articles: three index-only scans, two of them short. (ArticleQuerySet.count_published)
TAG_COUNT_SQL = f"""
SELECT COUNT(*) - COUNT(*) FILTER (
    WHERE object_id IN (SELECT id FROM {Article._meta.db_table} WHERE status <> %(published)s)
       OR object_id IN (
         SELECT id FROM {Article._meta.db_table}
         WHERE status = %(published)s AND published_at > %(now)s))
FROM {TaggedItem._meta.db_table}
WHERE content_type_id = %(article_type)s AND tag_id = %(tag)s
"""


# The published article just before (or after) the row of the outer query, which names
# the article table without an alias (a query of articles that joins no other article):
# the first condition bounds the index scan, the second breaks ties on the time by id.
# (ArticleQuerySet.with_neighbours)
NEIGHBOUR_SQL = f"""
SELECT jsonb_build_object('slug', neighbour.slug, 'title', neighbour.title)
FROM {Article._meta.db_table} neighbour
WHERE neighbour.status = %s AND neighbour.published_at <= %s
  AND neighbour.published_at {{before}}= {Article._meta.db_table}.published_at
  AND (neighbour.published_at {{before}} {Article._meta.db_table}.published_at
       OR neighbour.id {{before}} {Article._meta.db_table}.id)
ORDER BY neighbour.published_at {{order}}, neighbour.id {{order}}
LIMIT 1
"""
