"""FacetCount (kept by the triggers of migration 0012) against counts computed in Python."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.http import QueryDict
from django.utils import timezone

from resources import facet_index
from resources.counts import published_counts, published_total
from resources.filters import FACET_NAMES, LibraryQuery, library_counts
from resources.models import FacetCount, Resource, ResourceAuthor
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    CountryFactory,
    DraftResourceFactory,
    ResourceFactory,
)

pytestmark = pytest.mark.django_db


def expected_counts() -> dict[str, Counter]:
    """Count the published resources' terms from the model instances, one by one."""
    counts = {facet: Counter() for facet in ("country", "region", "author", "category", "year")}
    for resource in Resource.objects.published():
        counts["country"].update(c.pk for c in resource.countries.all())
        counts["region"].update(r.pk for r in resource.regions.all())
        counts["author"].update(a.pk for a in resource.authors.all())
        if resource.category_id:
            counts["category"][resource.category_id] += 1
        if resource.year:
            counts["year"][resource.year] += 1
    return counts


def assert_counts_are_right() -> None:
    for facet, expected in expected_counts().items():
        assert dict(published_counts(facet)) == dict(expected), facet
    assert published_total() == Resource.objects.published().count()


def stored_counts() -> set[tuple[str, int, int]]:
    return set(FacetCount.objects.filter(count__gt=0).values_list("facet", "term", "count"))


@pytest.fixture
def terms():
    return {
        "countries": [CountryFactory() for _ in range(3)],
        "authors": [AuthorFactory() for _ in range(3)],
        "categories": [CategoryFactory() for _ in range(2)],
    }


def test_the_counts_follow_creation_with_relations(library):
    assert_counts_are_right()


def test_the_counts_follow_publishing_and_unpublishing(library):
    resource = library[0].resource
    resource.status = Resource.Status.DRAFT
    resource.save()
    assert_counts_are_right()
    resource.status = Resource.Status.PUBLISHED
    resource.save()
    assert_counts_are_right()
    # The admin's actions publish with update().
    Resource.objects.filter(pk__in=[r.resource.pk for r in library[:5]]).update(
        status=Resource.Status.DRAFT
    )
    assert_counts_are_right()


def test_the_counts_follow_edits_of_category_year_and_links(library, terms):
    resource = library[1].resource
    resource.category = terms["categories"][0]
    resource.year = 1999
    resource.save()
    resource.countries.add(terms["countries"][0])
    resource.countries.remove(resource.countries.first())
    resource.regions.clear()
    ResourceAuthor.objects.create(resource=resource, author=terms["authors"][0], position=5)
    resource.authorships.first().delete()
    assert_counts_are_right()
    # An authorship moved to another author (an UPDATE of the link row).
    authorship = resource.authorships.first()
    authorship.author = terms["authors"][1]
    authorship.save()
    assert_counts_are_right()


def test_the_counts_follow_deletion(library):
    library[2].resource.delete()
    Resource.objects.filter(pk__in=[r.resource.pk for r in library[3:6]]).delete()
    assert_counts_are_right()


def test_updates_that_change_no_counted_column_leave_the_table_alone(library):
    before = stored_counts()
    Resource.objects.update(title="Renamed", search_terms="")
    Resource.objects.all().refresh_search_terms()
    assert stored_counts() == before


def test_drafts_and_scheduled_resources_are_not_counted(terms):
    ResourceFactory(countries=terms["countries"][:2], authors=terms["authors"])
    DraftResourceFactory(countries=terms["countries"], authors=terms["authors"][:1])
    ResourceFactory(
        countries=terms["countries"][2:],
        authors=terms["authors"][1:],
        published_at=timezone.now() + timedelta(days=1),
    )
    ResourceFactory(countries=terms["countries"][:1], published_at=None)
    assert_counts_are_right()
    assert published_total() == 1


def test_a_scheduled_resource_is_counted_once_its_time_has_come(terms):
    scheduled = ResourceFactory(
        countries=terms["countries"][:1], published_at=timezone.now() + timedelta(days=1)
    )
    stored = stored_counts()
    assert published_counts("country") == []
    # As the clock passing the time would: the table is not touched.
    Resource.objects.filter(pk=scheduled.pk).update(
        published_at=timezone.now() - timedelta(minutes=1)
    )
    assert stored_counts() == stored
    assert published_counts("country") == [(terms["countries"][0].pk, 1)]
    assert_counts_are_right()


def test_the_largest_counts_are_right_when_a_scheduled_resource_holds_the_largest(terms):
    """A term first in the table may fall out of the first `limit` once the not yet public
    resources are subtracted."""
    first, second, third = terms["authors"]
    for _ in range(3):
        ResourceFactory(authors=[first], published_at=timezone.now() + timedelta(days=1))
    for _ in range(2):
        ResourceFactory(authors=[second])
    ResourceFactory(authors=[third])
    assert published_counts("author", limit=1) == [(second.pk, 2)]
    assert published_counts("author", limit=2) == [(second.pk, 2), (third.pk, 1)]


def test_the_rebuild_function_gives_what_the_triggers_kept(library):
    before = stored_counts()
    with connection.cursor() as cursor:
        cursor.execute("SELECT resources_facetcount_rebuild()")
    assert stored_counts() == before


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_the_counts_as_they_were(terms):
    ResourceFactory(countries=terms["countries"][:1])
    before = stored_counts()
    with pytest.raises(RuntimeError), transaction.atomic():
        ResourceFactory(countries=terms["countries"])
        raise RuntimeError
    assert stored_counts() == before


def expected_panels(resources) -> dict[str, list[tuple[str, str, int]]]:
    """(slug, name, count) of each facet over resources, counted in Python, most first."""
    facets = {"country": Counter(), "region": Counter(), "author": Counter()}
    facets["category"], years = Counter(), Counter()
    for resource in resources:
        facets["country"].update((c.slug, c.name) for c in resource.countries.all())
        facets["region"].update((r.slug, r.name) for r in resource.regions.all())
        facets["author"].update((a.slug, a.name) for a in resource.authors.all())
        facets["category"][(resource.category.slug, resource.category.name)] += 1
        years[resource.year] += 1
    panels = {
        facet: sorted(((*term, n) for term, n in counter.items()), key=lambda r: (-r[2], r[1]))
        for facet, counter in facets.items()
    }
    panels["year"] = [(str(y), str(y), n) for y, n in sorted(years.items(), reverse=True)]
    return panels


@pytest.mark.parametrize(
    "params",
    ["", "q=resource", "country=country-a", "country=country-a&region=region-x&q=library"],
)
def test_the_counts_match_those_computed_in_python(library, params):
    query = LibraryQuery.from_params(QueryDict(params))
    published = Resource.objects.published()
    total, counts = library_counts(query, published, "test-generation")
    assert total == query.resources(published).count()
    for name in FACET_NAMES:
        expected = expected_panels(query.resources(published, without=name))[name]
        assert counts[name] == expected, name


def test_the_unfiltered_library_page_groups_no_links(client, library, django_assert_num_queries):
    """The page's queries: the next scheduled publication, the library's version (the
    counts come from the facet index, built before), the page of resources and its three
    prefetches."""
    facet_index.current()
    with django_assert_num_queries(6) as captured:
        client.get("/resources/")
    grouped = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
    assert grouped == []


def test_seedbench_leaves_the_counts_right():
    """seedbench writes with the triggers off and rebuilds the table after."""
    from trafficwatch.benchdata import seed_bench

    seed_bench(resources=60, seed=4)
    assert_counts_are_right()
    assert published_total() > 0
