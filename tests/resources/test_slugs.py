"""A resource cannot take a slug that a page of the library already answers (/resources/feed/)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from resources.models import Resource
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db


def test_the_admin_refuses_the_slug_feed_with_a_message(admin_client):
    response = admin_client.post(
        "/admin/resources/resource/add/",
        {
            "title": "Feed the children",
            "slug": "feed",
            "language": "English",
            "status": "draft",
            "authorships-TOTAL_FORMS": "0",
            "authorships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.content.decode().count("This slug is taken by a page of the site.") == 1
    assert not Resource.objects.exists()


def test_model_validation_names_the_slug_field():
    resource = ResourceFactory.build(slug="feed", category=None)

    with pytest.raises(ValidationError) as raised:
        resource.full_clean()

    assert raised.value.message_dict["slug"] == ["This slug is taken by a page of the site."]


def test_the_database_refuses_the_slug_feed_whatever_the_code_path():
    with pytest.raises(IntegrityError):
        ResourceFactory(slug="feed")


def test_the_library_feed_stays_reachable_next_to_resources(client):
    ResourceFactory(slug="feeding-programmes", title="Feeding programmes")

    assert client.get("/resources/feed/")["Content-Type"].startswith("application/rss+xml")
    assert client.get("/resources/feeding-programmes/").status_code == 200
