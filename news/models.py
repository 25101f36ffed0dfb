from django.db import models
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from trafficwatch.html import excerpt, sanitize_html


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


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """Keep articles the public may read: published, with a publication time now or past."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=Now())

    def in_section(self, slug: str):
        """Keep articles of the section with this slug."""
        return self.filter(section__slug=slug)


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    TEASER_LENGTH = 200  # characters

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
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("publication time"), default=timezone.now, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["status", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.body = sanitize_html(self.body)
        if not self.teaser.strip():
            self.teaser = excerpt(self.body, self.TEASER_LENGTH)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("news:article-detail", kwargs={"slug": self.slug})
