"""The staff roles made by migration trafficwatch 0002_roles: each group sees and changes
its own part of the admin, and publishing is a right of its own."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType

from news.models import Article
from newsletter.models import Subscriber
from resources.models import Resource
from tests.factories import DraftArticleFactory, DraftResourceFactory, SubscriberFactory
from trafficwatch.roles import grant_administrator_everything

pytestmark = pytest.mark.django_db


def member_of(role: str, username: str | None = None) -> User:
    user = User.objects.create_user(username or role.lower().replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def editor(client):
    client.force_login(member_of("Editor"))
    return client


@pytest.fixture
def newsletter_manager(client):
    client.force_login(member_of("Newsletter manager"))
    return client


@pytest.fixture
def administrator(client):
    client.force_login(member_of("Administrator"))
    return client


def article_post(article: Article, **changes) -> dict:
    return {
        "title": article.title,
        "slug": article.slug,
        "section": article.section_id,
        "status": article.status,
        "published_at_0": article.published_at.strftime("%Y-%m-%d"),
        "published_at_1": article.published_at.strftime("%H:%M:%S"),
        "standfirst": "",
        "body": article.body,
        "teaser": article.teaser,
        "source_url": "",
        "byline": "",
        "image_alt": "",
        "image_caption": "",
        "image_credit": "",
        "image_licence": "",
        "image_licence_url": "",
        **changes,
    }


def action_names(changelist) -> set[str]:
    """Return the actions a changelist offers (none at all: no action form)."""
    form = changelist.context["action_form"]
    return {name for name, _label in form.fields["action"].choices} if form else set()


def test_the_three_groups_exist_after_migrating_an_empty_database():
    names = set(Group.objects.values_list("name", flat=True))
    assert {"Editor", "Newsletter manager", "Administrator"} <= names


def test_each_group_holds_the_permissions_of_its_part():
    def codenames(role: str) -> set[str]:
        group = Group.objects.get(name=role)
        return set(group.permissions.values_list("codename", flat=True))

    editor, manager, administrator = (
        codenames("Editor"),
        codenames("Newsletter manager"),
        codenames("Administrator"),
    )
    assert {"change_article", "publish_article", "publish_resource", "add_tag"} <= editor
    assert not editor & {"view_user", "change_group", "view_subscriber", "change_issue"}
    assert {"change_subscriber", "change_issue", "send_issue", "view_article"} <= manager
    assert not manager & {"change_article", "publish_article", "publish_resource", "view_user"}
    assert {"change_user", "change_group", "send_issue", "publish_article"} <= administrator


def test_an_editor_cannot_open_the_users_nor_the_subscribers(editor):
    assert editor.get("/admin/auth/user/").status_code == 403
    assert editor.get("/admin/newsletter/subscriber/").status_code == 403
    assert editor.get("/admin/newsletter/issue/").status_code == 403


def test_an_editor_sees_news_and_resources_on_the_admin_index_but_not_users(editor):
    page = editor.get("/admin/").content.decode()
    assert "/admin/news/article/" in page
    assert "/admin/resources/resource/" in page
    assert "/admin/auth/user/" not in page
    assert "/admin/newsletter/subscriber/" not in page


def test_an_editor_publishes_an_article(editor):
    article = DraftArticleFactory()
    response = editor.post(
        "/admin/news/article/", {"action": "publish", "_selected_action": [article.pk]}
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED


def test_a_newsletter_manager_reaches_subscribers_and_issues(newsletter_manager):
    SubscriberFactory()
    assert newsletter_manager.get("/admin/newsletter/subscriber/").status_code == 200
    assert newsletter_manager.get("/admin/newsletter/issue/").status_code == 200
    assert newsletter_manager.get("/admin/auth/user/").status_code == 403


def test_a_newsletter_manager_is_refused_the_publish_action(newsletter_manager):
    article = DraftArticleFactory()
    changelist = newsletter_manager.get("/admin/news/article/")
    assert changelist.status_code == 200
    assert not {"publish", "publish_now", "schedule"} & action_names(changelist)
    newsletter_manager.post(
        "/admin/news/article/", {"action": "publish", "_selected_action": [article.pk]}
    )
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT


def test_a_newsletter_manager_sees_an_article_read_only(newsletter_manager):
    article = DraftArticleFactory()
    response = newsletter_manager.get(f"/admin/news/article/{article.pk}/change/")
    assert response.status_code == 200
    assert "status" not in response.context["adminform"].form.fields


def test_a_newsletter_manager_cannot_publish_by_posting_the_change_form(newsletter_manager):
    article = DraftArticleFactory()
    response = newsletter_manager.post(
        f"/admin/news/article/{article.pk}/change/",
        article_post(article, status=Article.Status.PUBLISHED),
    )
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT


def test_a_writer_without_the_publish_right_keeps_the_status_read_only(client):
    # An organisation's writer: the Editor's rights minus publishing.
    writer = member_of("Editor", "writer")
    writer.groups.clear()
    writer_group = Group.objects.create(name="Writer")
    writer_group.permissions.set(
        Group.objects.get(name="Editor").permissions.exclude(codename__startswith="publish_")
    )
    writer.groups.add(writer_group)
    client.force_login(writer)
    article = DraftArticleFactory()

    form = client.get(f"/admin/news/article/{article.pk}/change/")
    assert "status" not in form.context["adminform"].form.fields
    response = client.post(
        f"/admin/news/article/{article.pk}/change/",
        article_post(article, title="Edited by the writer", status=Article.Status.PUBLISHED),
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Edited by the writer"
    assert article.status == Article.Status.DRAFT
    actions = action_names(client.get("/admin/news/article/"))
    assert "delete_selected" in actions
    assert not {"publish", "publish_now", "schedule", "unpublish"} & actions


def test_a_newsletter_manager_cannot_publish_a_resource(newsletter_manager):
    resource = DraftResourceFactory()
    newsletter_manager.post(
        "/admin/resources/resource/", {"action": "publish", "_selected_action": [resource.pk]}
    )
    resource.refresh_from_db()
    assert resource.status == Resource.Status.DRAFT


def test_an_administrator_reaches_users_groups_subscribers_and_publishes(administrator):
    SubscriberFactory()
    for url in (
        "/admin/auth/user/",
        "/admin/auth/group/",
        "/admin/newsletter/subscriber/",
        "/admin/newsletter/issue/",
        "/admin/resources/resource/",
        "/admin/links/linkcheck/",
    ):
        assert administrator.get(url).status_code == 200, url
    article = DraftArticleFactory()
    administrator.post(
        "/admin/news/article/", {"action": "publish", "_selected_action": [article.pk]}
    )
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert Subscriber.objects.exists()


@pytest.mark.django_db
def test_the_administrator_gets_the_permissions_of_apps_added_after_the_roles_migration():
    later = Permission.objects.create(
        codename="run_later_feature",
        name="Can run a feature added later",
        content_type=ContentType.objects.get_for_model(Group),
    )

    grant_administrator_everything()

    assert Group.objects.get(name="Administrator").permissions.filter(pk=later.pk).exists()
