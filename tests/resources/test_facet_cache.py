"""The library's cached facet counts and result count: a change shows on the next request."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.utils import timezone

from resources.cache import GENERATION_KEY
from resources.models import Resource, ResourceAuthor
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    CountryFactory,
    DraftResourceFactory,
    RegionFactory,
    ResourceFactory,
)
from tests.processes import in_another_process


def counts(response, parameter: str) -> dict[str, int]:
    (panel,) = [panel for panel in response.context["facets"] if panel.parameter == parameter]
    return {option.label: option.count for option in panel.options + panel.more}


def found(response) -> int:
    return response.context["page_obj"].paginator.count


@pytest.fixture
def albania(db):
    return CountryFactory(name="Albania", slug="albania")


@pytest.fixture
def library(albania):
    for _ in range(2):
        ResourceFactory(countries=[albania])
    return albania


def test_a_second_visit_does_not_count_the_facets_again(
    client, library, django_assert_max_num_queries
):
    client.get("/resources/")

    # The page of resources and its countries, regions and authors; nothing counted. (Under
    # another URL than the first visit's, or the whole page would come from the page cache.)
    with django_assert_max_num_queries(4):
        response = client.get("/resources/", {"page": 1})
    assert counts(response, "country") == {"Albania": 2}
    assert found(response) == 2


def test_publishing_a_draft_counts_it_on_the_next_request(client, library, albania):
    draft = DraftResourceFactory(countries=[albania])
    assert counts(client.get("/resources/"), "country") == {"Albania": 2}

    draft.status = Resource.Status.PUBLISHED
    draft.published_at = timezone.now() - timedelta(minutes=1)
    draft.save()

    response = client.get("/resources/")
    assert counts(response, "country") == {"Albania": 3}
    assert found(response) == 3


def test_unpublishing_a_resource_uncounts_it_on_the_next_request(client, library):
    client.get("/resources/")

    resource = Resource.objects.first()
    resource.status = Resource.Status.DRAFT
    resource.save()

    response = client.get("/resources/")
    assert counts(response, "country") == {"Albania": 1}
    assert found(response) == 1


def test_deleting_a_resource_uncounts_it_on_the_next_request(client, library):
    client.get("/resources/")

    Resource.objects.first().delete()

    assert counts(client.get("/resources/"), "country") == {"Albania": 1}


def test_editing_a_resources_countries_moves_its_count_on_the_next_request(client, library):
    kosovo = CountryFactory(name="Kosovo", slug="kosovo")
    client.get("/resources/")

    Resource.objects.first().countries.set([kosovo])

    assert counts(client.get("/resources/"), "country") == {"Albania": 1, "Kosovo": 1}


def test_a_new_region_shows_in_a_filtered_page_cached_before(client, library, albania):
    client.get("/resources/", {"country": "albania"})

    Resource.objects.first().regions.add(RegionFactory(name="Balkans", slug="balkans"))

    response = client.get("/resources/", {"country": "albania"})
    assert counts(response, "region") == {"Balkans": 1}


def test_adding_an_author_lists_them_on_the_next_request(client, library):
    client.get("/resources/")

    ResourceAuthor.objects.create(
        resource=Resource.objects.first(), author=AuthorFactory(name="Ewa Kowalska"), position=0
    )

    assert counts(client.get("/resources/"), "author") == {"Ewa Kowalska": 1}


def test_renaming_a_country_shows_the_new_name_on_the_next_request(client, library, albania):
    client.get("/resources/")

    albania.name = "Republic of Albania"
    albania.save()

    assert counts(client.get("/resources/"), "country") == {"Republic of Albania": 2}


def test_a_new_category_on_a_resource_is_counted_on_the_next_request(client, library):
    client.get("/resources/")

    resource = Resource.objects.first()
    resource.category = CategoryFactory(name="Toolkit", slug="toolkit")
    resource.save()

    assert counts(client.get("/resources/"), "category")["Toolkit"] == 1


def test_a_resource_scheduled_for_later_is_counted_once_its_time_has_come(client, library):
    soon = timezone.now() + timedelta(seconds=1)
    ResourceFactory(countries=[library], published_at=soon)
    assert counts(client.get("/resources/"), "country") == {"Albania": 2}

    time.sleep(max((soon - timezone.now()).total_seconds(), 0) + 0.1)

    response = client.get("/resources/")
    assert counts(response, "country") == {"Albania": 3}
    assert found(response) == 3


def test_cached_counts_equal_counts_made_afresh(client, library, albania):
    kosovo = CountryFactory(name="Kosovo", slug="kosovo")
    ResourceFactory(countries=[albania, kosovo], year=2019)
    first = client.get("/resources/", {"country": "kosovo"})

    # Another URL (page=1): the counts come from their own cache, not a cached page.
    cached = client.get("/resources/", {"country": "kosovo", "page": 1})
    cache.clear()
    afresh = client.get("/resources/", {"country": "kosovo"})

    for parameter in ["country", "region", "category", "author", "year"]:
        assert counts(cached, parameter) == counts(afresh, parameter) == counts(first, parameter)
    assert counts(cached, "country") == {"Albania": 3, "Kosovo": 1}
    assert found(cached) == found(afresh) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.redis_db(13)
def test_with_redis_a_change_made_in_one_process_shows_in_another(redis_cache):
    albania = CountryFactory(name="Albania", slug="albania")
    ResourceFactory(countries=[albania])

    def country_counts():
        return counts(Client().get("/resources/"), "country")

    assert in_another_process(country_counts) == {"Albania": 1}
    # The other process's client put the counts in Redis for everyone.
    assert in_another_process(lambda: caches["default"].get(GENERATION_KEY))

    ResourceFactory(countries=[albania])  # this process invalidates

    assert in_another_process(country_counts) == {"Albania": 2}


def test_the_filter_panel_shows_the_new_count_on_the_next_request(client, library, albania):
    assert 'Albania <span class="facet__count">(2)</span>' in client.get("/resources/").text

    ResourceFactory(countries=[albania])

    assert 'Albania <span class="facet__count">(3)</span>' in client.get("/resources/").text


def test_drafts_and_resources_without_a_publication_time_are_never_counted(client, library):
    DraftResourceFactory(countries=[library])
    ResourceFactory(countries=[library], published_at=None)
    ResourceFactory(countries=[library], published_at=timezone.now() + timedelta(days=1))

    response = client.get("/resources/")

    assert counts(response, "country") == {"Albania": 2}
    assert found(response) == 2


def test_publishing_from_the_admins_list_action_counts_on_the_next_request(
    client, admin_client, library, albania
):
    draft = DraftResourceFactory(countries=[albania], published_at=None)
    client.get("/resources/")

    admin_client.post(
        "/admin/resources/resource/",
        {"action": "publish", "_selected_action": [draft.pk]},
    )

    assert Resource.objects.get(pk=draft.pk).status == Resource.Status.PUBLISHED
    assert counts(client.get("/resources/"), "country") == {"Albania": 3}


def test_a_bulk_update_of_resources_shows_on_the_next_request(client, library):
    client.get("/resources/")

    Resource.objects.filter(pk=Resource.objects.first().pk).update(status=Resource.Status.DRAFT)

    assert counts(client.get("/resources/"), "country") == {"Albania": 1}
