"""The rich text editor in the admin: its assets are ours, its output passes the allowlist."""

import re

import pytest

from news.models import Article
from newsletter.models import Issue
from tests.factories import DraftArticleFactory, NewsFlashSectionFactory
from tests.newsletter.factories import IssueFactory

pytestmark = pytest.mark.django_db

EDITOR_HTML = (
    "<h2>What changed</h2><p>The law now covers <strong>forced begging</strong> and "
    "<em>criminal exploitation</em>.</p><ul><li><p>one</p></li><li><p>two</p></li></ul>"
    "<ol><li><p>first</p></li></ol><blockquote><p>A quote.</p></blockquote>"
    '<p><a href="https://example.org/report" rel="noopener noreferrer nofollow">the report</a>'
    "</p>"
)


def article_form(section, body: str) -> dict:
    return {
        "title": "Rich text",
        "slug": "rich-text",
        "section": section.pk,
        "status": "draft",
        "published_at_0": "2026-03-14",
        "published_at_1": "10:00:00",
        "body": body,
        "image_alt": "",
    }


def test_the_article_form_loads_the_editor_from_our_static_files(admin_client):
    html = admin_client.get("/admin/news/article/add/").content.decode()

    assert 'src="/static/django_prose_editor/editor.js"' in html
    assert 'href="/static/django_prose_editor/editor.css"' in html
    assert "data-django-prose-editor-configurable" in html
    assert "cdn" not in html.lower()


def test_the_editor_offers_headings_lists_links_quotes_bold_and_italic_only(admin_client):
    html = admin_client.get("/admin/news/article/add/").content.decode()

    for extension in ("Bold", "Italic", "Heading", "BulletList", "OrderedList", "Link"):
        assert f"&quot;{extension}&quot;" in html
    assert "Blockquote" in html
    assert "&quot;Table&quot;" not in html


def test_the_import_map_runs_under_the_content_security_policy_by_its_nonce(admin_client):
    response = admin_client.get("/admin/news/article/add/")

    nonce = re.search(r'<script type="importmap" nonce="([^"]+)"', response.content.decode())
    assert nonce, "the import map carries a nonce"
    assert f"'nonce-{nonce[1]}'" in response["Content-Security-Policy"]


def test_editor_markup_on_the_allowlist_is_saved_unchanged(admin_client):
    section = NewsFlashSectionFactory()

    response = admin_client.post("/admin/news/article/add/", article_form(section, EDITOR_HTML))

    assert response.status_code == 302
    assert Article.objects.get(slug="rich-text").body == EDITOR_HTML


def test_scripts_and_event_handlers_are_removed_on_save(admin_client):
    section = NewsFlashSectionFactory()
    body = (
        '<p onclick="steal()">Hello<script>alert(1)</script></p>'
        '<p><img src="x" onerror="alert(2)"></p><p><a href="javascript:alert(3)">x</a></p>'
    )

    admin_client.post("/admin/news/article/add/", article_form(section, body))

    saved = Article.objects.get(slug="rich-text").body
    assert "script" not in saved
    assert "alert" not in saved
    assert "onclick" not in saved
    assert "onerror" not in saved
    assert "Hello" in saved


def test_the_public_page_shows_what_the_editor_wrote(admin_client):
    article = DraftArticleFactory(body=EDITOR_HTML)

    html = admin_client.get(article.get_absolute_url()).content.decode()

    assert "<strong>forced begging</strong>" in html
    assert "<h2>What changed</h2>" in html


def test_the_newsletter_introduction_is_written_in_the_editor_too(admin_client):
    issue = IssueFactory()

    html = admin_client.get(f"/admin/newsletter/issue/{issue.pk}/change/").content.decode()
    admin_client.post(
        f"/admin/newsletter/issue/{issue.pk}/change/",
        {
            "subject": issue.subject,
            "slug": issue.slug,
            "introduction": "<p>Hi <strong>all</strong><script>x()</script></p>",
        },
    )

    assert "data-django-prose-editor-configurable" in html
    issue = Issue.objects.get(pk=issue.pk)
    assert issue.introduction == "<p>Hi <strong>all</strong></p>"
