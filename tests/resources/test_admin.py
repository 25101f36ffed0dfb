"""The resource admin: bulk publishing, autocomplete, search terms kept up to date."""

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.utils import timezone

from resources.models import Resource
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    CountryFactory,
    DraftResourceFactory,
    RegionFactory,
    ResourceFactory,
)

CHANGELIST = "/admin/resources/resource/"


def run_action(admin_client, action: str, resources):
    return admin_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [resource.pk for resource in resources]},
        follow=True,
    )


@pytest.mark.django_db
def test_the_publish_action_publishes_the_selected_drafts(admin_client):
    drafts = DraftResourceFactory.create_batch(2, published_at=None)

    response = run_action(admin_client, "publish", drafts)

    assert "2 resources published." in response.content.decode()
    assert Resource.objects.published().count() == 2


@pytest.mark.django_db
def test_publishing_keeps_an_earlier_publication_time(admin_client):
    earlier = timezone.now() - timedelta(days=30)
    draft = DraftResourceFactory(published_at=earlier)

    run_action(admin_client, "publish", [draft])

    draft.refresh_from_db()
    assert draft.status == Resource.Status.PUBLISHED
    assert draft.published_at == earlier


@pytest.mark.django_db
def test_the_unpublish_action_hides_the_selected_resources(admin_client):
    resources = ResourceFactory.create_batch(2)

    response = run_action(admin_client, "unpublish", resources)

    assert "2 resources unpublished." in response.content.decode()
    assert not Resource.objects.published().exists()


def test_countries_regions_category_and_authors_are_chosen_with_autocomplete():
    resource_admin = site._registry[Resource]
    (inline,) = resource_admin.inlines

    assert set(resource_admin.autocomplete_fields) == {"countries", "regions", "category"}
    assert inline.autocomplete_fields == ["author"]


@pytest.mark.django_db
def test_the_country_autocomplete_answers(admin_client):
    CountryFactory(name="Lebanon")

    response = admin_client.get(
        "/admin/autocomplete/",
        {
            "term": "leb",
            "app_label": "resources",
            "model_name": "resource",
            "field_name": "countries",
        },
    )

    assert [result["text"] for result in response.json()["results"]] == ["Lebanon"]


@pytest.mark.django_db
def test_saving_in_the_admin_copies_the_names_of_the_relations_for_the_search(admin_client):
    country = CountryFactory(name="Lebanon")
    region = RegionFactory(name="Middle East")
    author = AuthorFactory(name="Markéta von Hagen")
    category = CategoryFactory(name="Guide")

    response = admin_client.post(
        "/admin/resources/resource/add/",
        {
            "title": "Curriculum",
            "slug": "curriculum",
            "summary": "",
            "countries": [country.pk],
            "regions": [region.pk],
            "category": category.pk,
            "year": "2013",
            "language": "English",
            "status": "published",
            "published_at_0": "2020-01-01",
            "published_at_1": "10:00:00",
            "authorships-TOTAL_FORMS": "1",
            "authorships-INITIAL_FORMS": "0",
            "authorships-0-author": author.pk,
            "authorships-0-position": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()
    terms = Resource.objects.get(slug="curriculum").search_terms
    assert terms.split() == ["Markéta", "von", "Hagen", "Guide", "Lebanon", "Middle", "East"]
    assert Resource.objects.search("Hagen Lebanon").get().slug == "curriculum"


@pytest.mark.django_db
def test_removing_an_author_removes_the_name_from_the_search():
    author = AuthorFactory(name="Rachel Vogelstein")
    resource = ResourceFactory(authors=[author])

    resource.authorships.get().delete()

    assert not Resource.objects.search("Vogelstein").exists()
