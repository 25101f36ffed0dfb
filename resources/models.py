from django.db import models
from django.db.models.functions import Now
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Term(models.Model):
    """A name with a unique slug: the shape every facet of the library shares."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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

    def __str__(self) -> str:
        return self.name


class ResourceQuerySet(models.QuerySet):
    def published(self):
        """Keep resources the public may see: published, with a publication time now or past."""
        return self.filter(status=Resource.Status.PUBLISHED, published_at__lte=Now())


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

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "title"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        indexes = [models.Index(fields=["status", "-published_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__gte=1900, year__lte=2100),
                name="resource_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resources:resource-detail", kwargs={"slug": self.slug})

    def ordered_authors(self) -> list[Author]:
        """Return the authors in citation order (uses a prefetched `authorships` if present)."""
        return [authorship.author for authorship in self.authorships.all()]


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

    def __str__(self) -> str:
        return f"{self.author} ({self.position})"
