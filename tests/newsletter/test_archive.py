"""The public archive of sent issues: the list, one issue, its RSS feed and the sitemap."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from tests.factories import (
    ArticleFactory,
    DraftArticleFactory,
    DraftResourceFactory,
    ResourceFactory,
)
from tests.newsletter.factories import IssueFactory, SentIssueFactory

pytestmark = pytest.mark.django_db

# The count for the paginator, the page of issues.
LIST_QUERIES = 2
# The issue, its articles with section and source, its resources with category, their
# countries; the next scheduled article and resource (when the cached page must expire).
ISSUE_QUERIES = 6
# The issues (the ETag and Last-Modified come from the archive's cache generation).
FEED_QUERIES = 1
XSS = '<script>alert("owned")</script>'


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        "editor", "editor@example.org", "pw", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_issue"))
    client.force_login(user)
    return client


def channel(client) -> ET.Element:
    response = client.get("/newsletter/issues/feed/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert (root.tag, root.get("version")) == ("rss", "2.0")
    return root.find("channel")


# The list


def test_the_archive_lists_sent_issues_newest_first(client):
    newest, oldest = SentIssueFactory.create_batch(2)

    html = client.get("/newsletter/issues/").content.decode()

    assert html.index(f">{newest.subject}</a>") < html.index(f">{oldest.subject}</a>")


def test_the_archive_leaves_out_issues_not_sent_yet(client):
    SentIssueFactory(subject="Out in March")
    IssueFactory(subject="Still being written")

    html = client.get("/newsletter/issues/").content.decode()

    assert "Out in March" in html
    assert "Still being written" not in html


def test_the_archive_shows_when_each_issue_was_sent(client):
    issue = SentIssueFactory(queued_at=timezone.now() - timedelta(days=3))

    html = client.get("/newsletter/issues/").content.decode()

    assert f'<time datetime="{timezone.localtime(issue.queued_at).isoformat()}"' in html


def test_the_archive_shows_twenty_issues_a_page(client):
    SentIssueFactory.create_batch(21)

    first = client.get("/newsletter/issues/").content.decode()
    second = client.get("/newsletter/issues/", {"page": 2}).content.decode()

    assert first.count('class="teaser__title"') == 20
    assert second.count('class="teaser__title"') == 1
    assert 'rel="next"' in first


def test_an_empty_archive_invites_visitors_to_subscribe(client):
    html = client.get("/newsletter/issues/").content.decode()

    assert "No issues sent yet" in html
    assert 'href="/newsletter/subscribe/"' in html


@pytest.mark.parametrize("value", ["abc", "0", "-1", "2.0", "1e3", "１"])
def test_an_invalid_page_number_answers_400_naming_the_parameter(client, value):
    SentIssueFactory()

    response = client.get("/newsletter/issues/", {"page": value})

    assert response.status_code == 400
    assert "The parameter “page” is not valid:" in response.content.decode()


def test_a_page_past_the_end_of_the_archive_answers_404(client):
    SentIssueFactory()

    assert client.get("/newsletter/issues/", {"page": "2"}).status_code == 404


def test_the_archive_pages_point_feed_readers_to_the_feed(client):
    issue = SentIssueFactory()

    for url in ("/newsletter/issues/", issue.get_absolute_url()):
        html = client.get(url).content.decode()
        assert (
            '<link rel="alternate" type="application/rss+xml" title="TraffickingWatch: newsletter"'
            ' href="/newsletter/issues/feed/">'
        ) in html


def test_the_sign_up_page_links_to_the_archive(client):
    html = client.get("/newsletter/subscribe/").content.decode()

    assert 'href="/newsletter/issues/"' in html


def test_the_archive_list_queries_do_not_grow_with_issues(client, django_assert_num_queries):
    """Guards against a query per issue on the archive list."""
    SentIssueFactory.create_batch(3, articles=ArticleFactory.create_batch(2))

    with django_assert_num_queries(LIST_QUERIES):
        assert client.get("/newsletter/issues/").status_code == 200


# One issue


def test_an_issue_page_shows_its_subject_date_and_introduction(client):
    issue = SentIssueFactory(
        subject="Labour exploitation in agriculture",
        introduction="<p>Three new reports on <strong>seasonal work</strong>.</p>",
    )

    html = client.get(f"/newsletter/issues/{issue.slug}/").content.decode()

    assert "<h1" in html and ">Labour exploitation in agriculture</h1>" in html
    assert "<p>Three new reports on <strong>seasonal work</strong>.</p>" in html
    assert f'datetime="{timezone.localtime(issue.queued_at).isoformat()}"' in html
    assert "Not sent yet" not in html


def test_an_issue_page_links_to_its_featured_articles_and_resources(client):
    article = ArticleFactory(title="Eurojust dismantles a network")
    resource = ResourceFactory(title="Guide for labour inspectors")
    issue = SentIssueFactory(articles=[article], resources=[resource])

    html = client.get(issue.get_absolute_url()).content.decode()

    assert f'<a href="{article.get_absolute_url()}">Eurojust dismantles a network</a>' in html
    assert f'<a href="{resource.get_absolute_url()}">Guide for labour inspectors</a>' in html


def test_an_issue_page_leaves_out_what_was_unpublished_since(client):
    shown = ArticleFactory(title="Still online")
    issue = SentIssueFactory(
        articles=[shown, DraftArticleFactory(title="Withdrawn article")],
        resources=[DraftResourceFactory(title="Withdrawn report")],
    )

    html = client.get(issue.get_absolute_url()).content.decode()

    assert "Still online" in html
    assert "Withdrawn article" not in html
    assert "Withdrawn report" not in html


def test_an_issue_not_sent_yet_is_hidden_from_the_public(client):
    issue = IssueFactory()

    assert client.get(issue.get_absolute_url()).status_code == 404


def test_an_unknown_issue_answers_404(client):
    assert client.get("/newsletter/issues/no-such-issue/").status_code == 404


def test_staff_can_preview_an_issue_not_sent_yet_with_a_banner(staff_client):
    issue = IssueFactory(subject="Draft for June")

    response = staff_client.get(issue.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "Draft for June" in html
    assert "Not sent yet — preview." in html
    assert '<meta name="robots" content="noindex">' in html


def test_staff_without_the_view_permission_cannot_see_an_unsent_issue(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("intern", is_staff=True))

    assert client.get(IssueFactory().get_absolute_url()).status_code == 404


def test_a_sent_issue_page_names_its_canonical_address_on_site_url(client, settings):
    settings.SITE_URL = "https://traffickingwatch.example"
    issue = SentIssueFactory()

    html = client.get(issue.get_absolute_url()).content.decode()

    assert (
        f'<link rel="canonical" href="https://traffickingwatch.example/newsletter/issues/{issue.slug}/">'
        in html
    )


def test_a_subject_with_markup_is_shown_as_text(client):
    issue = SentIssueFactory(subject=XSS)

    for url in ("/newsletter/issues/", issue.get_absolute_url()):
        html = client.get(url).content.decode()
        assert XSS not in html
        assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in html


def test_a_script_in_the_introduction_never_reaches_the_page(client):
    issue = SentIssueFactory(introduction=f"<p>Hello</p>{XSS}")

    html = client.get(issue.get_absolute_url()).content.decode()

    assert "<p>Hello</p>" in html
    assert 'alert("owned")' not in html


def test_an_issue_page_queries_do_not_grow_with_its_contents(client, django_assert_num_queries):
    """Guards against a query per featured article (section, source) or resource (countries)."""
    issue = SentIssueFactory(
        articles=ArticleFactory.create_batch(3), resources=ResourceFactory.create_batch(3)
    )

    with django_assert_num_queries(ISSUE_QUERIES):
        assert client.get(issue.get_absolute_url()).status_code == 200


def test_the_archive_pages_refuse_posts(client):
    issue = SentIssueFactory()

    assert client.post("/newsletter/issues/").status_code == 405
    assert client.post(issue.get_absolute_url()).status_code == 405


# The feed


def test_the_feed_lists_sent_issues_newest_first_with_absolute_links(client, settings):
    settings.SITE_URL = "https://traffickingwatch.example"
    newest, oldest = SentIssueFactory.create_batch(2)
    IssueFactory(subject="Not sent")

    feed = channel(client)

    items = list(feed.iter("item"))
    assert [item.findtext("title") for item in items] == [newest.subject, oldest.subject]
    assert items[0].findtext("link") == (
        f"https://traffickingwatch.example/newsletter/issues/{newest.slug}/"
    )
    assert feed.findtext("link") == "https://traffickingwatch.example/newsletter/issues/"


def test_the_feed_gives_the_introduction_and_the_date_sent(client):
    SentIssueFactory(introduction="<p>New <em>guidance</em>.</p>")

    (item,) = channel(client).iter("item")

    assert item.findtext("description") == "<p>New <em>guidance</em>.</p>"
    assert item.findtext("pubDate")


def test_a_subject_with_markup_stays_text_in_the_feed(client):
    SentIssueFactory(subject=XSS)

    (item,) = channel(client).iter("item")

    assert item.findtext("title") == XSS


def test_the_feed_queries_do_not_grow_with_issues(client, django_assert_num_queries):
    """Guards against a query per issue in the feed."""
    SentIssueFactory.create_batch(3)

    with django_assert_num_queries(FEED_QUERIES):
        assert client.get("/newsletter/issues/feed/").status_code == 200


def test_the_sitemap_lists_the_archive(client):
    pages = client.get("/sitemap-pages.xml").content.decode()

    assert "/newsletter/issues/</loc>" in pages


@pytest.mark.django_db
def test_the_sitemap_lists_sent_issues_but_not_drafts(client):
    sent = SentIssueFactory(slug="winter-issue")
    IssueFactory(slug="draft-issue")

    newsletter = client.get("/sitemap-newsletter.xml").content.decode()

    assert sent.get_absolute_url() in newsletter
    assert "draft-issue" not in newsletter
    assert "<lastmod>" in newsletter
