"""Previewing a draft or scheduled resource: staff in place, reviewers through a shared link."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import DraftResourceFactory, ResourceFactory
from trafficwatch import preview

pytestmark = pytest.mark.django_db

# After the public query that found nothing: the resource with its category, then its
# countries, regions and authors; the related resources.
PREVIEW_QUERIES = 6


def scheduled_resource(**fields):
    return ResourceFactory(published_at=timezone.now() + timedelta(days=2), **fields)


def test_staff_see_a_draft_resource_with_a_banner(admin_client):
    draft = DraftResourceFactory(title="Guide for labour inspectors", summary="Checklists.")

    response = admin_client.get(draft.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Guide for labour inspectors" in html
    assert "Not public:" in html
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_a_scheduled_resource_says_it_is_scheduled(admin_client):
    html = admin_client.get(scheduled_resource().get_absolute_url()).content.decode()

    assert "scheduled for" in html


def test_the_public_gets_404_for_draft_and_scheduled_resources(client):
    for resource in (DraftResourceFactory(), DraftResourceFactory(published_at=None)):
        assert client.get(resource.get_absolute_url()).status_code == 404
    assert client.get(scheduled_resource().get_absolute_url()).status_code == 404


def test_a_shared_link_opens_that_resource_for_anyone_and_no_other(admin_client, client):
    shared, other = DraftResourceFactory(title="Shared draft"), DraftResourceFactory()

    link = admin_client.get(f"/admin/resources/resource/{shared.pk}/share-preview/").context["link"]
    token = link.split("preview=", 1)[1]

    response = client.get(shared.get_absolute_url(), {"preview": token})
    assert response.status_code == 200
    assert "Shared draft" in response.content.decode()
    assert client.get(other.get_absolute_url(), {"preview": token}).status_code == 404
    assert client.get(shared.get_absolute_url()).status_code == 404


def test_an_expired_link_says_so_and_shows_nothing_of_the_resource(client):
    draft = DraftResourceFactory(title="Embargoed report")
    token = preview.make_token(draft)

    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        response = client.get(draft.get_absolute_url(), {"preview": token})

    assert response.status_code == 410
    assert "Embargoed report" not in response.content.decode()


def test_the_preview_link_lifetime_is_a_setting(client, settings):
    settings.PREVIEW_LINK_MAX_AGE = 60
    draft = DraftResourceFactory()
    token = preview.make_token(draft)

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert client.get(draft.get_absolute_url(), {"preview": token}).status_code == 410


def test_a_resource_preview_makes_a_fixed_number_of_queries(client, django_assert_num_queries):
    draft = DraftResourceFactory()
    token = preview.make_token(draft)

    with django_assert_num_queries(PREVIEW_QUERIES):
        response = client.get(draft.get_absolute_url(), {"preview": token})

    assert response.status_code == 200
