"""The news on the home page: the News Flash and the European Resource Center picks."""

import pytest

from tests.factories import ArticleFactory, ArticleWithImageFactory, ResourceCenterSectionFactory

pytestmark = pytest.mark.django_db


def test_a_news_flash_teaser_shows_its_image_on_the_home_page(client):
    article = ArticleWithImageFactory()

    html = client.get("/").content.decode()

    assert f'<img class="teaser__image" src="{article.image.url}" alt="{article.image_alt}"' in html


def test_the_home_page_shows_the_resource_center_picks(client):
    pick = ArticleFactory(
        title="Summit on child protection", section=ResourceCenterSectionFactory()
    )

    html = client.get("/").content.decode()

    assert f'<a href="{pick.get_absolute_url()}">Summit on child protection</a>' in html
