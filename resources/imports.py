"""Bulk import and export of resources (django-import-export), for the admin.

One row per resource, matched by slug (made from the title when the cell is empty).
Categories, countries, regions and authors are matched by name, and created when
missing. Authors are written "Surname, Given; Surname2, Given2", in citation order, as
their sort names. The admin imports inside one transaction: a file with any row in
error writes nothing.
"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from .models import Author, Category, Country, Region, Resource, ResourceAuthor

LIST_SEPARATOR = ";"


def unique_slug(model, text: str, max_length: int = 200) -> str:
    """Return a slug for text that no row of model has yet."""
    base = (slugify(text) or "item")[:max_length].strip("-")
    slug, n = base, 2
    while model._base_manager.filter(slug=slug).exists():
        suffix = f"-{n}"
        slug, n = base[: max_length - len(suffix)] + suffix, n + 1
    return slug


def split_names(value) -> list[str]:
    if value in (None, ""):
        return []
    names = [name.strip() for name in str(value).split(LIST_SEPARATOR)]
    return [name for name in names if name]


class NamedTermWidget(widgets.ForeignKeyWidget):
    """A category by its name, created when missing."""

    def __init__(self, model) -> None:
        super().__init__(model, field="name")

    def clean(self, value, row=None, **kwargs):
        name = str(value or "").strip()
        if not name:
            return None
        term = self.model.objects.filter(name__iexact=name).first()
        return term or self.model.objects.create(name=name, slug=unique_slug(self.model, name))


class NamedTermsWidget(widgets.ManyToManyWidget):
    """Countries or regions by name, separated by ";", created when missing."""

    def __init__(self, model) -> None:
        super().__init__(model, separator=f"{LIST_SEPARATOR} ", field="name")

    def clean(self, value, row=None, **kwargs):
        terms = []
        for name in split_names(value):
            term = self.model.objects.filter(name__iexact=name).first()
            terms.append(
                term or self.model.objects.create(name=name, slug=unique_slug(self.model, name))
            )
        return terms


class AuthorsWidget(widgets.ManyToManyWidget):
    """Authors as "Surname, Given; Surname2, Given2", in order; created when missing."""

    def __init__(self) -> None:
        super().__init__(Author, separator=f"{LIST_SEPARATOR} ", field="sort_name")

    def clean(self, value, row=None, **kwargs):
        authors = []
        for sort_name in split_names(value):
            author = Author.objects.filter(sort_name__iexact=sort_name).first()
            if author is None:
                surname, _comma, given = sort_name.partition(",")
                name = f"{given.strip()} {surname.strip()}".strip()
                author = Author.objects.create(
                    name=name, sort_name=sort_name, slug=unique_slug(Author, name)
                )
            if author not in authors:
                authors.append(author)
        return authors


class AuthorsField(fields.Field):
    """Writes the authorships with their positions: the order of a citation."""

    def save(self, instance, row, is_m2m=False, **kwargs) -> None:
        authors = self.clean(row, **kwargs)
        instance.authorships.exclude(author__in=authors).delete()
        for position, author in enumerate(authors):
            ResourceAuthor.objects.update_or_create(
                resource=instance, author=author, defaults={"position": position}
            )


class YearWidget(widgets.IntegerWidget):
    """A year of four digits; a spreadsheet's 2019.0 is 2019."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, "") or str(value).strip() == "":
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if not text.isdigit():
            raise ValueError(
                _("“%(value)s” is not a year: write it with four digits, for example 2019.")
                % {"value": value}
            )
        return int(text)


class StatusWidget(widgets.Widget):
    """A status as "draft" or "published" (or the labels staff see, any case); empty: draft."""

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip().lower()
        if not text:
            return Resource.Status.DRAFT
        for status, label in Resource.Status.choices:
            if text in (status, str(label).lower()):
                return status
        raise ValueError(
            _("“%(value)s” is not a status: write “draft” or “published”.") % {"value": value}
        )

    def render(self, value, obj=None, **kwargs):
        return value or ""


class ResourceResource(resources.ModelResource):
    title = fields.Field(attribute="title", column_name="title")
    slug = fields.Field(attribute="slug", column_name="slug")
    summary = fields.Field(attribute="summary", column_name="summary")
    year = fields.Field(attribute="year", column_name="year", widget=YearWidget())
    category = fields.Field(
        attribute="category", column_name="category", widget=NamedTermWidget(Category)
    )
    countries = fields.Field(
        attribute="countries", column_name="countries", widget=NamedTermsWidget(Country)
    )
    regions = fields.Field(
        attribute="regions", column_name="regions", widget=NamedTermsWidget(Region)
    )
    authors = AuthorsField(attribute="authors", column_name="authors", widget=AuthorsWidget())
    publisher = fields.Field(attribute="publisher", column_name="publisher")
    language = fields.Field(attribute="language", column_name="language")
    external_url = fields.Field(attribute="external_url", column_name="external_url")
    status = fields.Field(attribute="status", column_name="status", widget=StatusWidget())

    class Meta:
        model = Resource
        import_id_fields = ["slug"]
        fields = [
            "title",
            "slug",
            "summary",
            "year",
            "category",
            "countries",
            "regions",
            "authors",
            "publisher",
            "language",
            "external_url",
            "status",
        ]
        # The whole file in one transaction, rolled back when any row fails; full_clean()
        # on every row (year range, reserved slugs, URLs).
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, *, can_publish: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.can_publish = can_publish

    def before_import_row(self, row, **kwargs) -> None:
        for column in ("title", "slug"):
            if row.get(column) is not None:
                row[column] = str(row[column]).strip()
        if not row.get("slug") and row.get("title"):
            row["slug"] = slugify(row["title"])[:200].strip("-")
        if row.get("language") in (None, ""):
            row["language"] = "English"
        for column in ("summary", "publisher", "external_url"):
            if row.get(column) is None:
                row[column] = ""

    def import_instance(self, instance, row, **kwargs) -> None:
        super().import_instance(instance, row, **kwargs)
        if instance.status == Resource.Status.PUBLISHED and not self.can_publish:
            raise ValidationError(
                {"status": _("You may import drafts only: publishing takes the right to publish.")}
            )

    def before_save_instance(self, instance, row, **kwargs) -> None:
        if instance.status == Resource.Status.PUBLISHED and instance.published_at is None:
            instance.published_at = timezone.now()

    def after_save_instance(self, instance, row, **kwargs) -> None:
        # The names of the authors, countries and regions go into the search terms.
        Resource.objects.filter(pk=instance.pk).refresh_search_terms()

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        # The same authors in another order is a change: citations follow the order.
        wanted = [author.pk for author in self.fields["authors"].clean(row)]
        return wanted == [author.pk for author in original.ordered_authors()]

    def dehydrate_authors(self, resource: Resource) -> str:
        return f"{LIST_SEPARATOR} ".join(author.sort_name for author in resource.ordered_authors())

    def export(self, queryset=None, **kwargs):
        queryset = Resource.objects.all() if queryset is None else queryset
        queryset = queryset.select_related("category").prefetch_related(
            "countries",
            "regions",
            Prefetch("authorships", queryset=ResourceAuthor.objects.select_related("author")),
        )
        return super().export(queryset, **kwargs)
