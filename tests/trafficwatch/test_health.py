"""/healthz, /robots.txt and /sitemap.xml: what load balancers and search engines read."""

import pytest
from django.db import connection

from tests.factories import ArticleFactory, DraftArticleFactory, ResourceFactory


@pytest.mark.django_db
def test_health_check_answers_200_with_json_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.fixture
def database_down():
    """Point the default connection at a port where no PostgreSQL listens, then restore it."""
    saved = connection.settings_dict.copy()
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1", CONN_HEALTH_CHECKS=False)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        connection.connect()


@pytest.mark.django_db(transaction=True)
def test_health_check_answers_503_when_the_database_is_unreachable(client, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}


@pytest.mark.django_db
def test_robots_txt_keeps_crawlers_out_of_the_admin_and_names_the_sitemap(client, settings):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "Disallow: /admin/" in lines
    assert "Disallow: /search/" in lines
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in lines


@pytest.mark.django_db
def test_the_sitemap_index_names_one_sitemap_per_kind_of_page(client):
    body = client.get("/sitemap.xml").content.decode()
    for section in ("pages", "news", "resources", "newsletter"):
        assert f"/sitemap-{section}.xml</loc>" in body


@pytest.mark.django_db
def test_sitemaps_list_published_articles_and_resources_but_not_drafts(client):
    article = ArticleFactory(slug="police-dismantle-network")
    DraftArticleFactory(slug="unfinished-draft")
    resource = ResourceFactory(slug="referral-guide")
    news = client.get("/sitemap-news.xml").content.decode()
    resources = client.get("/sitemap-resources.xml").content.decode()
    assert article.get_absolute_url() in news
    assert "unfinished-draft" not in news
    assert "<lastmod>" in news
    assert resource.get_absolute_url() in resources
