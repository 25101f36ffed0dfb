"""The facet index (resources/facet_index.py) against counts computed in Python, and its
freshness after every kind of write."""

import random
import threading
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resources import facet_index
from resources.filters import COUNT, FACET_NAMES, LibraryQuery
from resources.models import Resource
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    CountryFactory,
    RegionFactory,
    ResourceFactory,
)

pytestmark = pytest.mark.django_db

WORDS = ["forced", "labour", "border", "child", "online"]
YEARS = [2016, 2017, 2018, 2019, None]
FIGURES = [*FACET_NAMES, COUNT]


@pytest.fixture
def terms(db) -> dict[str, list]:
    # Names in an order unlike the ids', so that ties ordered by name show.
    names = ["Oslo", "Delta", "Kilo", "Alpha", "Hotel"]
    return {
        "country": [CountryFactory(name=f"{n} land", slug=f"c-{n.lower()}") for n in names[:4]],
        "region": [RegionFactory(name=f"{n} region", slug=f"r-{n.lower()}") for n in names[:3]],
        "category": [CategoryFactory(name=f"{n} kind", slug=f"k-{n.lower()}") for n in names[:3]],
        "author": [AuthorFactory(name=f"{n} Writer", slug=f"a-{n.lower()}") for n in names],
    }


@pytest.fixture
def library(terms) -> list[Resource]:
    """Forty resources drawn at random (seeded): published, drafts, scheduled, undated."""
    draw = random.Random(7)
    now = timezone.now()
    resources = []
    for n in range(40):
        status, published_at = Resource.Status.PUBLISHED, now - timedelta(days=n + 1)
        if n % 9 == 4:
            status = Resource.Status.DRAFT
        elif n % 9 == 7:
            published_at = now + timedelta(days=n)  # scheduled
        elif n == 12:
            published_at = None
        resources.append(
            ResourceFactory(
                title=" ".join(draw.sample(WORDS, 2)) + f" {n}",
                status=status,
                published_at=published_at,
                year=draw.choice(YEARS),
                category=draw.choice([*terms["category"], None]),
                countries=draw.sample(terms["country"], draw.randint(0, 2)),
                regions=draw.sample(terms["region"], draw.randint(0, 2)),
                authors=draw.sample(terms["author"], draw.randint(0, 3)),
            )
        )
    return resources


def expected_figures(query: LibraryQuery, limits: dict) -> dict:
    """Every figure of query, counted from the model instances one by one."""
    now = timezone.now()
    public = [
        resource
        for resource in Resource.objects.prefetch_related("countries", "regions", "authors")
        .select_related("category")
        .order_by("pk")
        if resource.status == Resource.Status.PUBLISHED
        and resource.published_at is not None
        and resource.published_at <= now
    ]
    found = set(Resource.objects.search(query.q).values_list("pk", flat=True)) if query.q else None

    def facet_terms(resource, name: str) -> list:
        if name == "category":
            return [resource.category] if resource.category else []
        return list(
            getattr(
                resource, {"country": "countries", "region": "regions"}.get(name, "authors")
            ).all()
        )

    def matches(resource, without: str | None) -> bool:
        if found is not None and resource.pk not in found:
            return False
        year = resource.year
        if query.year_from is not None and (year is None or year < query.year_from):
            return False
        if query.year_to is not None and (year is None or year > query.year_to):
            return False
        if without != "year" and query.years and year not in query.years:
            return False
        for name, chosen in query.terms.items():
            wanted = {term.pk for term in chosen}
            if (
                name != without
                and wanted
                and not wanted & {t.pk for t in facet_terms(resource, name)}
            ):
                return False
        return True

    figures = {COUNT: sum(matches(resource, None) for resource in public)}
    for name in FACET_NAMES:
        counted = Counter()
        for resource in public:
            if matches(resource, name):
                if name == "year":
                    counted.update([resource.year] if resource.year else [])
                else:
                    counted.update(facet_terms(resource, name))
        if name == "year":
            figures[name] = [(str(y), str(y), n) for y, n in sorted(counted.items(), reverse=True)]
            continue
        options = sorted(counted.items(), key=lambda item: (-item[1], item[0].pk))
        if limits.get(name) is not None:
            options = options[: limits[name]]
        options.sort(key=lambda item: (-item[1], item[0].name))
        figures[name] = [(term.slug, term.name, n) for term, n in options]
    return figures


def index_figures(query: LibraryQuery, limits: dict | None = None) -> dict:
    if query.q:
        index, matches, _ = facet_index.search(query.q, ranked=False)
    else:
        index, matches = facet_index.current()
    return index.counts(query, FIGURES, matches=matches, limits=limits or {})


@st.composite
def queries(draw, terms: dict) -> tuple[LibraryQuery, dict]:
    chosen = {
        name: draw(st.lists(st.sampled_from(options), max_size=2, unique_by=lambda t: t.pk))
        for name, options in terms.items()
    }
    years = draw(st.lists(st.sampled_from(YEARS[:-1]), max_size=2, unique=True))
    year_from = draw(st.none() | st.sampled_from(YEARS[:-1]))
    year_to = draw(st.none() | st.sampled_from(YEARS[:-1]))
    if year_from is not None and year_to is not None and year_from > year_to:
        year_from, year_to = year_to, year_from
    q = draw(st.sampled_from(["", "", *WORDS, "forced labour", "oslo", "-border"]))
    query = LibraryQuery(q=q, terms=chosen, years=years, year_from=year_from, year_to=year_to)
    limits = {"author": draw(st.sampled_from([None, 1, 2, 3])), "country": None}
    return query, limits


def test_every_figure_equals_the_count_in_python_for_any_filters(library, terms):
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(queries(terms))
    def check(drawn):
        query, limits = drawn
        assert index_figures(query, limits) == expected_figures(query, limits)

    check()


def test_a_facet_counts_the_same_reading_all_links_or_the_chosen_resources_links(library):
    """Links.counts() reads every pair for many resources, the chosen ones' pairs for few."""
    index, _ = facet_index.current()
    size = len(index.ids)

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.booleans(), min_size=size, max_size=size))
    def check(chosen):
        mask = np.array(chosen, dtype=bool)
        for facet, links in index.links.items():
            terms = len(index.terms[facet].ids)
            expected = Counter(
                int(term)
                for position, term in zip(links.resources, links.terms, strict=True)
                if mask[position]
            )
            counted = links.counts(mask, terms)
            assert {t: int(n) for t, n in enumerate(counted) if n} == dict(expected), facet

    check()


def test_the_unfiltered_figures_leave_out_drafts_scheduled_and_undated(library):
    expected = expected_figures(LibraryQuery(), {})
    assert index_figures(LibraryQuery()) == expected
    # 40 resources: 4 drafts, 4 scheduled, 1 without a publication time.
    assert expected[COUNT] == 31


def test_a_scheduled_resource_is_counted_once_due_without_a_rebuild(terms, time_machine):
    ResourceFactory(countries=terms["country"][:1])
    ResourceFactory(
        countries=terms["country"][:2], published_at=timezone.now() + timedelta(hours=1)
    )
    index = facet_index.current()[0]
    assert index_figures(LibraryQuery())[COUNT] == 1
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    assert facet_index.current()[0] is index
    figures = index_figures(LibraryQuery())
    assert figures[COUNT] == 2
    assert figures["country"] == [("c-oslo", "Oslo land", 2), ("c-delta", "Delta land", 1)]


def test_the_index_is_reused_while_the_library_is_unchanged(library, django_assert_num_queries):
    index = facet_index.current()[0]
    with django_assert_num_queries(1):  # the version
        assert facet_index.current()[0] is index
    with django_assert_num_queries(1):  # the version and the search's matches
        assert facet_index.search("labour", ranked=False)[0] is index


def test_the_first_count_after_a_change_reads_the_library_in_one_query_more(
    library, django_assert_num_queries
):
    facet_index.current()
    library[0].countries.clear()
    with django_assert_num_queries(2):  # the version, then the library in one snapshot
        facet_index.current()


def assert_figures_are_right() -> None:
    assert index_figures(LibraryQuery()) == expected_figures(LibraryQuery(), {})


def test_publishing_and_unpublishing_in_the_admin_are_counted_next(library):
    assert_figures_are_right()
    resource = library[0]
    resource.status = Resource.Status.DRAFT
    resource.save()
    assert_figures_are_right()
    resource.status = Resource.Status.PUBLISHED
    resource.save()
    assert_figures_are_right()


def test_a_queryset_update_is_counted_next(library):
    assert_figures_are_right()
    Resource.objects.filter(pk__in=[r.pk for r in library[:6]]).update(status=Resource.Status.DRAFT)
    assert_figures_are_right()
    Resource.objects.filter(pk=library[8].pk).update(
        published_at=timezone.now() + timedelta(days=1)
    )
    assert_figures_are_right()


def test_changed_links_are_counted_next(library, terms):
    assert_figures_are_right()
    library[0].countries.add(terms["country"][3])
    assert_figures_are_right()
    library[1].regions.clear()
    assert_figures_are_right()
    library[2].authorships.all().delete()
    assert_figures_are_right()


def test_writes_in_raw_sql_are_counted_next(library, terms):
    assert_figures_are_right()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE resources_resource SET year = 1999 WHERE id = %s", [library[0].pk])
        assert_figures_are_right()
        cursor.execute(
            "INSERT INTO resources_resource_countries (resource_id, country_id) "
            "SELECT id, %s FROM resources_resource ON CONFLICT DO NOTHING",
            [terms["country"][0].pk],
        )
        assert_figures_are_right()
        cursor.execute("DELETE FROM resources_resourceauthor")
    assert_figures_are_right()


def test_a_renamed_term_is_shown_with_its_new_name(library, terms):
    facet_index.current()
    country = terms["country"][0]
    country.name = "Zulu land"
    country.save()
    assert ("c-oslo", "Zulu land") in [
        option[:2] for option in index_figures(LibraryQuery())["country"]
    ]


def test_rewriting_the_search_terms_keeps_the_index(library):
    index = facet_index.current()[0]
    Resource.objects.update(search_terms="")
    assert facet_index.current()[0] is index


def test_a_rolled_back_change_leaves_no_wrong_figure(library, terms):
    before = index_figures(LibraryQuery())
    with pytest.raises(RuntimeError), transaction.atomic():
        Resource.objects.filter(pk__in=[r.pk for r in library[:10]]).delete()
        assert index_figures(LibraryQuery()) != before  # the index held the change
        raise RuntimeError
    assert index_figures(LibraryQuery()) == before
    # A later change must not be taken for the one rolled back.
    library[0].countries.add(terms["country"][3])
    assert_figures_are_right()


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_connection_is_counted_next(terms):
    ResourceFactory(countries=terms["country"][:1])
    assert index_figures(LibraryQuery())[COUNT] == 1

    def publish_elsewhere():
        try:
            ResourceFactory(countries=terms["country"][:2])
        finally:
            connections.close_all()

    elsewhere = threading.Thread(target=publish_elsewhere)
    elsewhere.start()
    elsewhere.join()
    assert index_figures(LibraryQuery())[COUNT] == 2


def test_seedbench_is_counted_next_though_it_writes_without_triggers(db):
    from trafficwatch.benchdata import seed_bench

    facet_index.current()
    seed_bench(resources=60, seed=4)
    assert_figures_are_right()
    assert index_figures(LibraryQuery())[COUNT] > 0


def test_edits_of_category_year_and_authorship_and_deletions_are_counted_next(library, terms):
    assert_figures_are_right()
    resource = library[1]
    resource.category = next(c for c in terms["category"] if c != resource.category)
    resource.year = 1999
    resource.save()
    assert_figures_are_right()
    # An authorship moved to another author: an UPDATE of the link row.
    written = Resource.objects.published().filter(authors__isnull=False).order_by("pk").first()
    authorship = written.authorships.order_by("pk").first()
    authorship.author = next(a for a in terms["author"] if a not in written.authors.all())
    authorship.save()
    assert_figures_are_right()
    library[2].delete()
    assert_figures_are_right()
    Resource.objects.filter(pk__in=[r.pk for r in library[3:6]]).delete()
    assert_figures_are_right()


def test_the_largest_options_are_the_largest_among_public_resources(terms):
    """An author with the most resources, all scheduled, takes no place among the largest."""
    scheduled, second, third = terms["author"][:3]
    for _ in range(3):
        ResourceFactory(authors=[scheduled], published_at=timezone.now() + timedelta(days=1))
    for _ in range(2):
        ResourceFactory(authors=[second])
    ResourceFactory(authors=[third])
    assert index_figures(LibraryQuery(), {"author": 1})["author"] == [
        ("a-delta", "Delta Writer", 2)
    ]
    assert index_figures(LibraryQuery(), {"author": 2})["author"] == [
        ("a-delta", "Delta Writer", 2),
        ("a-kilo", "Kilo Writer", 1),
    ]
