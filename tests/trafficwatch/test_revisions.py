"""Revisions of articles, resources and newsletter issues (django-reversion): every save
in the admin keeps a version with who and when; staff see what changed and revert."""

import pytest
from django.contrib.auth.models import User
from reversion.models import Version

from news.models import Article
from newsletter.models import Issue
from resources.models import Resource
from tests.factories import AuthorFactory, DraftArticleFactory, DraftResourceFactory
from tests.newsletter.factories import IssueFactory, SentIssueFactory
from tests.trafficwatch.admin_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("marta", "marta@example.org", "x")
    client.force_login(user)
    return client


def edit(client, url: str, **changes) -> None:
    """Open the change form at url, change some fields, save; fail on a form error."""
    response = client.post(url, form_data(client.get(url), **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors


def versions_of(obj) -> list[Version]:
    return list(Version.objects.get_for_object(obj).select_related("revision__user"))


def test_each_save_of_an_article_keeps_a_version_with_its_author(staff):
    article = DraftArticleFactory(title="Raid in Lyon")
    url = f"/admin/news/article/{article.pk}/change/"
    edit(staff, url, title="Raid in Lyon: 14 freed")
    edit(staff, url, title="Raid in Lyon: 14 women freed")

    history = staff.get(f"/admin/news/article/{article.pk}/history/")

    assert len(history.context["action_list"]) == 2
    assert history.content.decode().count("marta") >= 2
    assert [v.revision.user.username for v in versions_of(article)] == ["marta", "marta"]


def test_the_changes_page_shows_the_title_before_and_after(staff):
    article = DraftArticleFactory(title="Raid in Lyon")
    url = f"/admin/news/article/{article.pk}/change/"
    edit(staff, url, title="Raid in Lyon: 14 freed")
    edit(staff, url, title="Raid in Lyon: 14 women freed")
    latest = versions_of(article)[0]

    page = staff.get(f"/admin/news/article/{article.pk}/history/{latest.pk}/changes/")

    assert page.status_code == 200
    titles = [c for c in page.context["changes"] if c.label == "Title"]
    assert titles[0].before == "Raid in Lyon: 14 freed"
    assert titles[0].after == "Raid in Lyon: 14 women freed"
    assert "<ins>women</ins>" in page.content.decode()
    # Only what the save changed: the body did not.
    assert [c.label for c in page.context["changes"]] == ["Title"]


def test_reverting_restores_the_earlier_title(staff):
    article = DraftArticleFactory(title="Raid in Lyon")
    url = f"/admin/news/article/{article.pk}/change/"
    edit(staff, url, title="Raid in Lyon: 14 freed")
    edit(staff, url, title="A wrong title")
    first = versions_of(article)[-1]
    revert_url = f"/admin/news/article/{article.pk}/history/{first.pk}/"

    form = staff.get(revert_url)
    assert form.context["adminform"].form["title"].value() == "Raid in Lyon: 14 freed"
    response = staff.post(revert_url, form_data(form))

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Raid in Lyon: 14 freed"
    assert len(versions_of(article)) == 3


def test_a_resources_authors_order_is_versioned_shown_and_reverted(staff):
    first, second = AuthorFactory(name="Jamille Bigio"), AuthorFactory(name="Rachel Vogelstein")
    resource = DraftResourceFactory(authors=[first, second])
    url = f"/admin/resources/resource/{resource.pk}/change/"
    edit(staff, url)
    swapped = form_data(staff.get(url))
    for key, value in list(swapped.items()):
        if key.endswith("-position"):
            swapped[key] = str(1 - int(value))
    assert staff.post(url, swapped).status_code == 302
    assert [a.name for a in Resource.objects.get(pk=resource.pk).ordered_authors()] == [
        "Rachel Vogelstein",
        "Jamille Bigio",
    ]
    latest, original = versions_of(resource)

    changes = staff.get(f"/admin/resources/resource/{resource.pk}/history/{latest.pk}/changes/")
    (authorships,) = [c for c in changes.context["changes"] if c.label == "Authors"]
    assert authorships.before.index("Bigio") < authorships.before.index("Vogelstein")
    assert authorships.after.index("Vogelstein") < authorships.after.index("Bigio")

    revert_url = f"/admin/resources/resource/{resource.pk}/history/{original.pk}/"
    assert staff.post(revert_url, form_data(staff.get(revert_url))).status_code == 302
    assert [a.name for a in Resource.objects.get(pk=resource.pk).ordered_authors()] == [
        "Jamille Bigio",
        "Rachel Vogelstein",
    ]


def test_a_resources_countries_are_part_of_its_version(staff):
    resource = DraftResourceFactory()
    url = f"/admin/resources/resource/{resource.pk}/change/"
    edit(staff, url)
    from tests.factories import CountryFactory

    lebanon = CountryFactory(name="Lebanon")
    edit(staff, url, countries=[str(lebanon.pk)])
    latest = versions_of(resource)[0]

    page = staff.get(f"/admin/resources/resource/{resource.pk}/history/{latest.pk}/changes/")

    (countries,) = [c for c in page.context["changes"] if c.label == "Countries"]
    assert (countries.before, countries.after) == ("", "Lebanon")


def test_an_issues_introduction_is_versioned_and_reverted(staff):
    issue = IssueFactory(introduction="<p>This month: guidance.</p>")
    url = f"/admin/newsletter/issue/{issue.pk}/change/"
    edit(staff, url)
    edit(staff, url, introduction="<p>This month: new guidance on labour exploitation.</p>")
    latest, first = versions_of(issue)

    page = staff.get(f"/admin/newsletter/issue/{issue.pk}/history/{latest.pk}/changes/")
    (introduction,) = [c for c in page.context["changes"] if c.label == "Introduction"]
    assert "labour exploitation" in introduction.after

    revert_url = f"/admin/newsletter/issue/{issue.pk}/history/{first.pk}/"
    assert staff.post(revert_url, form_data(staff.get(revert_url))).status_code == 302
    issue.refresh_from_db()
    assert issue.introduction == "<p>This month: guidance.</p>"


def test_a_sent_issue_cannot_be_reverted(staff):
    issue = IssueFactory(introduction="<p>Draft words.</p>")
    url = f"/admin/newsletter/issue/{issue.pk}/change/"
    edit(staff, url)
    (version,) = versions_of(issue)
    Issue.objects.filter(pk=issue.pk).update(
        introduction="<p>As sent.</p>", queued_at=SentIssueFactory.queued_at.function(0)
    )

    revert_url = f"/admin/newsletter/issue/{issue.pk}/history/{version.pk}/"
    assert staff.get(revert_url).status_code == 403
    assert staff.post(revert_url, {"subject": issue.subject}).status_code == 403
    issue.refresh_from_db()
    assert issue.introduction == "<p>As sent.</p>"
    assert issue.queued_at is not None


def test_staff_without_the_change_right_see_changes_but_no_revert_button(client, staff):
    article = DraftArticleFactory(title="Raid in Lyon")
    edit(staff, f"/admin/news/article/{article.pk}/change/", title="Raid in Lyon: 14 freed")
    (version,) = versions_of(article)
    viewer = User.objects.create_user("viewer", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(viewer)

    page = client.get(f"/admin/news/article/{article.pk}/history/{version.pk}/changes/")

    assert page.status_code == 200
    assert page.context["can_revert"] is False
    assert Article.objects.get(pk=article.pk).title == "Raid in Lyon: 14 freed"


def test_an_articles_tags_are_part_of_its_versions_and_reverted(staff):
    from taggit.models import Tag

    article = DraftArticleFactory(tags=["labour exploitation"])
    url = f"/admin/news/article/{article.pk}/change/"
    edit(staff, url)
    forced_labour = Tag.objects.create(name="forced labour", slug="forced-labour")
    edit(staff, url, tags=[str(forced_labour.pk)])
    latest, first = versions_of(article)

    page = staff.get(f"/admin/news/article/{article.pk}/history/{latest.pk}/changes/")
    (tags,) = [c for c in page.context["changes"] if c.label == "Tags"]
    assert (tags.before, tags.after) == ("labour exploitation", "forced labour")

    revert_url = f"/admin/news/article/{article.pk}/history/{first.pk}/"
    assert staff.post(revert_url, form_data(staff.get(revert_url))).status_code == 302
    assert list(Article.objects.get(pk=article.pk).tags.names()) == ["labour exploitation"]


def test_publishing_from_the_list_keeps_a_version_named_after_the_action(staff):
    article = DraftArticleFactory(title="Raid in Lyon")

    staff.post("/admin/news/article/", {"action": "publish", "_selected_action": [article.pk]})

    (version,) = versions_of(article)
    assert version.revision.user.username == "marta"
    assert version.revision.get_comment() == "Publish the selected articles"
    assert version.field_dict["status"] == Article.Status.PUBLISHED
    history = staff.get(f"/admin/news/article/{article.pk}/history/").content.decode()
    assert "Publish the selected articles" in history


def test_an_action_that_changes_nothing_keeps_no_version(staff):
    article = DraftArticleFactory()
    staff.post("/admin/news/article/", {"action": "unpublish", "_selected_action": [article.pk]})
    assert versions_of(article) == []
