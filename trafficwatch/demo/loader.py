"""Load the demo content shipped in content.json, idempotently (`manage.py loaddemo`).

Rows are matched by slug (sources by name). What is missing is created; a row whose fields
differ from the data file is restored to it. Status and publication time are set only when
a row is created, so every run after the first leaves them, and updated_at, alone.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag

from news.models import Article, Section, Source
from resources.models import Author, Category, Country, Region, Resource, ResourceAuthor
from trafficwatch.html import excerpt, sanitize_html

CONTENT_PATH = Path(__file__).with_name("content.json")

# The newest item is dated a little before the load, older ones a day apart, so the demo
# looks current; each section starts a few hours later than the one before it.
NEWEST_AGE = timedelta(hours=3)
SPACING = timedelta(days=1)
SECTION_STAGGER = timedelta(hours=6)


@dataclass
class DemoLoadResult:
    articles: int = 0
    resources: int = 0
    created: int = 0
    updated: int = 0

    def summary(self) -> str:
        return (
            f"Demo content: {self.articles} articles, {self.resources} resources "
            f"({self.created} created, {self.updated} updated)"
        )


@transaction.atomic
def load_demo(*, path: Path = CONTENT_PATH, now: datetime | None = None) -> DemoLoadResult:
    """Create or restore the demo sections, sources, taxonomy, articles and resources."""
    content = json.loads(path.read_text(encoding="utf-8"))
    loader = _Loader(now or timezone.now())
    loader.load_articles(content)
    loader.load_resources(content)
    return loader.result


class _Loader:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.result = DemoLoadResult()

    def sync(self, model, lookup: dict, values: dict):
        """Return the row matching lookup, created or saved only if it differs from values."""
        row, _ = self.sync_row(model, model.objects.filter(**lookup).first(), lookup, values, {})
        return row

    def terms(self, model: type[models.Model], names) -> dict[str, models.Model]:
        """Return {name: row} for facet terms, matched by the slug of their name."""
        return {
            name: self.sync(model, {"slug": slugify(name)}, {"name": name})
            for name in dict.fromkeys(names)
        }

    def load_articles(self, content: dict) -> None:
        sections = {
            item["slug"]: self.sync(
                Section,
                {"slug": item["slug"]},
                {
                    "name": item["name"],
                    "description": item["description"],
                    "position": item["position"],
                },
            )
            for item in content["sections"]
        }
        stagger = {slug: index * SECTION_STAGGER for index, slug in enumerate(sections)}
        sources = {
            item["name"]: self.sync(
                Source, {"name": item["name"]}, {"home_page": item["home_page"]}
            )
            for item in content["sources"]
        }
        articles = content["articles"]
        tags = self.terms(Tag, (name for item in articles for name in item["tags"]))
        existing = Article.objects.filter(slug__in=[item["slug"] for item in articles])
        existing = {article.slug: article for article in existing.prefetch_related("tags")}
        for item in articles:
            body = sanitize_html(item["body"])
            values = {
                "title": item["title"],
                "standfirst": item.get("standfirst", ""),
                "body": body,
                # What Article.save() would store, so an unchanged row compares equal.
                "teaser": item.get("teaser") or excerpt(body, Article.TEASER_LENGTH),
                "source_id": sources[item["source"]].pk if item.get("source") else None,
                "source_url": item.get("source_url", ""),
                "section_id": sections[item["section"]].pk,
            }
            published_at = (
                self.now - NEWEST_AGE - (item["order"] - 1) * SPACING - stagger[item["section"]]
            )
            article, was_changed = self.sync_row(
                Article,
                existing.get(item["slug"]),
                {"slug": item["slug"]},
                values,
                {"status": Article.Status.PUBLISHED, "published_at": published_at},
            )
            wanted = {tags[name] for name in item["tags"]}
            if set(article.tags.all()) != wanted:
                article.tags.set(list(wanted))
                self.count_change(was_changed)
            self.result.articles += 1

    def load_resources(self, content: dict) -> None:
        resources = content["resources"]
        countries = self.terms(Country, (name for item in resources for name in item["countries"]))
        regions = self.terms(Region, (name for item in resources for name in item["regions"]))
        categories = self.terms(Category, (item["category"] for item in resources))
        authors = {
            author["name"]: self.sync(
                Author,
                {"slug": slugify(author["name"])},
                {"name": author["name"], "sort_name": author["sort_name"]},
            )
            for item in resources
            for author in item["authors"]
        }
        existing = Resource.objects.filter(slug__in=[item["slug"] for item in resources])
        existing = {
            resource.slug: resource
            for resource in existing.prefetch_related("countries", "regions", "authorships")
        }
        for item in resources:
            values = {
                "title": item["title"],
                "summary": item["summary"],
                "year": item["year"],
                "category_id": categories[item["category"]].pk,
                "publisher": item["publisher"],
            }
            published_at = self.now - NEWEST_AGE - (item["order"] - 1) * SPACING
            resource, was_changed = self.sync_row(
                Resource,
                existing.get(item["slug"]),
                {"slug": item["slug"]},
                values,
                {"status": Resource.Status.PUBLISHED, "published_at": published_at},
            )
            for relation, terms, names in (
                (resource.countries, countries, item["countries"]),
                (resource.regions, regions, item["regions"]),
            ):
                wanted = {terms[name] for name in names}
                if set(relation.all()) != wanted:
                    relation.set(wanted)
                    was_changed = self.count_change(was_changed)
            wanted_authors = [authors[author["name"]] for author in item["authors"]]
            current_ids = [authorship.author_id for authorship in resource.authorships.all()]
            if current_ids != [author.pk for author in wanted_authors]:
                resource.authorships.all().delete()
                ResourceAuthor.objects.bulk_create(
                    ResourceAuthor(resource=resource, author=author, position=position)
                    for position, author in enumerate(wanted_authors)
                )
                was_changed = self.count_change(was_changed)
            self.result.resources += 1
        # The relations were set after save(): copy their names for the search.
        Resource.objects.filter(
            slug__in=[item["slug"] for item in resources]
        ).refresh_search_terms()

    def sync_row(self, model, row, lookup: dict, values: dict, on_create: dict):
        """Create the row (row is None) or restore values on it; return it and if it changed.

        on_create holds fields set only on creation: status and publication time.
        """
        if row is None:
            self.result.created += 1
            return model.objects.create(**lookup, **values, **on_create), True
        changed = {name: value for name, value in values.items() if getattr(row, name) != value}
        if not changed:
            return row, False
        for name, value in changed.items():
            setattr(row, name, value)
        row.save()
        self.result.updated += 1
        return row, True

    def count_change(self, already_counted: bool) -> bool:
        """Count a row whose relations changed once, however many relations changed."""
        if not already_counted:
            self.result.updated += 1
        return True
