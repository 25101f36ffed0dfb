"""Outbound link checks against a real HTTP server on 127.0.0.1: what is marked dead, what
is given a second chance, and what staff see in the admin."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from links.models import LinkCheck
from links.services import check_links
from links.tasks import check_links_daily
from tests.factories import ArticleFactory, DraftArticleFactory, ResourceFactory

pytestmark = pytest.mark.django_db

SLOW_SECONDS = 5
TIMEOUT_SECONDS = 1.5  # generous: the test machine may be busy


class Handler(BaseHTTPRequestHandler):
    user_agents: list[str] = []

    def answer(self, with_body: bool) -> None:
        Handler.user_agents.append(self.headers.get("User-Agent", ""))
        path = self.path
        if path == "/slow":
            time.sleep(SLOW_SECONDS)
        if path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/missing")
            self.end_headers()
            return
        if path == "/no-head" and not with_body:
            status = 405
        else:
            status = {
                "/ok": 200,
                "/slow": 200,
                "/no-head": 200,
                "/missing": 404,
                "/gone": 410,
                "/broken": 500,
                "/forbidden": 403,
                "/too-many": 429,
            }.get(path, 404)
        body = b"<html><body>hello</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's hook)
        self.answer(with_body=False)

    def do_GET(self) -> None:  # noqa: N802 (http.server's hook)
        self.answer(with_body=True)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site(settings):
    """Serve the test pages on a free local port; return the base URL."""
    settings.LINKCHECK_TIMEOUT = TIMEOUT_SECONDS
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.user_agents = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def status_of(url: str) -> str:
    return LinkCheck.objects.get(url=url).status


def test_a_working_page_is_marked_working(site):
    ArticleFactory(source_url=f"{site}/ok")
    check_links()
    check = LinkCheck.objects.get(url=f"{site}/ok")
    assert (check.status, check.http_status, check.failures) == ("ok", 200, 0)
    assert check.last_checked_at is not None


def test_a_missing_or_gone_page_is_dead_at_once(site):
    ArticleFactory(source_url=f"{site}/missing")
    ResourceFactory(external_url=f"{site}/gone")
    check_links()
    assert status_of(f"{site}/missing") == LinkCheck.Status.DEAD
    assert LinkCheck.objects.get(url=f"{site}/gone").http_status == 410
    assert status_of(f"{site}/gone") == LinkCheck.Status.DEAD


def test_a_redirect_to_a_missing_page_is_dead(site):
    ResourceFactory(external_url=f"{site}/moved")
    check_links()
    check = LinkCheck.objects.get(url=f"{site}/moved")
    assert (check.status, check.http_status) == (LinkCheck.Status.DEAD, 404)


def test_a_server_error_is_dead_only_when_it_fails_twice_in_a_row(site):
    ArticleFactory(source_url=f"{site}/broken")
    check_links()
    assert status_of(f"{site}/broken") == LinkCheck.Status.FAILING
    check_links()
    check = LinkCheck.objects.get(url=f"{site}/broken")
    assert (check.status, check.http_status, check.failures) == (LinkCheck.Status.DEAD, 500, 2)
    assert check.last_error == "HTTP 500"


def test_a_slow_page_times_out_and_is_dead_after_two_checks(site):
    ResourceFactory(external_url=f"{site}/slow")
    started = time.monotonic()
    check_links()
    assert time.monotonic() - started < SLOW_SECONDS * 2
    check = LinkCheck.objects.get(url=f"{site}/slow")
    assert check.status == LinkCheck.Status.FAILING
    assert "timed out" in check.last_error.lower()
    check_links()
    assert status_of(f"{site}/slow") == LinkCheck.Status.DEAD


def test_a_page_working_again_clears_its_failures(site):
    article = ArticleFactory(source_url=f"{site}/broken")
    check_links()
    article.source_url = f"{site}/ok"
    article.save()
    LinkCheck.objects.filter(url=f"{site}/broken").update(url=f"{site}/ok")
    check_links()
    check = LinkCheck.objects.get(url=f"{site}/ok")
    assert (check.status, check.failures) == (LinkCheck.Status.OK, 0)


def test_sites_refusing_robots_are_not_called_dead(site):
    ArticleFactory(source_url=f"{site}/forbidden")
    ArticleFactory(source_url=f"{site}/too-many")
    check_links()
    check_links()
    assert status_of(f"{site}/forbidden") == LinkCheck.Status.BLOCKED
    assert status_of(f"{site}/too-many") == LinkCheck.Status.BLOCKED


def test_a_server_refusing_head_is_asked_with_get(site):
    ArticleFactory(source_url=f"{site}/no-head")
    check_links()
    check = LinkCheck.objects.get(url=f"{site}/no-head")
    assert (check.status, check.http_status) == (LinkCheck.Status.OK, 200)


def test_a_host_that_does_not_exist_is_dead_at_once(site):
    ArticleFactory(source_url="http://no-such-host.invalid/report.pdf")
    check_links()
    check = LinkCheck.objects.get(url="http://no-such-host.invalid/report.pdf")
    assert check.status == LinkCheck.Status.DEAD
    assert check.http_status is None
    assert check.last_error


def test_the_checker_names_itself(site):
    ArticleFactory(source_url=f"{site}/ok")
    check_links()
    assert Handler.user_agents
    assert all(agent.startswith("TraffickingWatch-LinkCheck/") for agent in Handler.user_agents)


def test_only_published_items_are_checked_and_unused_urls_forgotten(site):
    DraftArticleFactory(source_url=f"{site}/ok")
    article = ArticleFactory(source_url=f"{site}/missing")
    check_links()
    assert list(LinkCheck.objects.values_list("url", flat=True)) == [f"{site}/missing"]

    article.source_url = ""
    article.save()
    check_links()
    assert not LinkCheck.objects.exists()


def test_the_task_checks_the_links_and_returns_the_counts(site):
    ArticleFactory(source_url=f"{site}/ok")
    ResourceFactory(external_url=f"{site}/missing")
    result = check_links_daily.enqueue()
    assert result.return_value == {"dead": 1, "ok": 1}


def test_the_checklinks_command_reports_what_it_found(site, capsys):
    ArticleFactory(source_url=f"{site}/ok")
    ResourceFactory(external_url=f"{site}/missing")
    call_command("checklinks")
    out = capsys.readouterr().out
    assert "2 links checked." in out
    assert "Dead: 1" in out
    assert "Working: 1" in out


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_superuser("marta", "marta@example.org", "x"))
    return client


def test_the_admin_lists_dead_links_with_what_uses_them(site, staff):
    article = ArticleFactory(title="Raid in Lyon", source_url=f"{site}/missing")
    resource = ResourceFactory(title="Old report", external_url=f"{site}/missing")
    ArticleFactory(source_url=f"{site}/ok")
    check_links()

    page = staff.get("/admin/links/linkcheck/?status__exact=dead")

    assert page.status_code == 200
    html = page.content.decode()
    assert f"{site}/missing" in html
    assert f"{site}/ok" not in html
    assert f'href="/admin/news/article/{article.pk}/change/"' in html
    assert f'href="/admin/resources/resource/{resource.pk}/change/"' in html


def test_the_link_check_list_takes_the_same_queries_for_more_links(
    site, staff, django_assert_num_queries
):
    """Guards against a query per link for the articles and resources using it."""
    for path in ("ok", "missing", "gone"):
        ArticleFactory(source_url=f"{site}/{path}")
        ResourceFactory(external_url=f"{site}/{path}")
    check_links()
    staff.get("/admin/links/linkcheck/")  # warm the session and content types
    with django_assert_num_queries(5):
        staff.get("/admin/links/linkcheck/")


def test_the_article_and_resource_lists_filter_dead_links(site, staff):
    ArticleFactory(title="Raid in Lyon", source_url=f"{site}/missing")
    ArticleFactory(title="Working source", source_url=f"{site}/ok")
    ResourceFactory(title="Old report", external_url=f"{site}/missing")
    ResourceFactory(title="Fine report", external_url=f"{site}/ok")
    check_links()

    articles = staff.get("/admin/news/article/?link=dead").context["cl"].result_list
    resources = staff.get("/admin/resources/resource/?link=dead").context["cl"].result_list

    assert [a.title for a in articles] == ["Raid in Lyon"]
    assert [r.title for r in resources] == ["Old report"]


def test_link_checks_cannot_be_typed_in_by_hand(staff):
    assert staff.get("/admin/links/linkcheck/add/").status_code == 403


def test_staff_check_a_dead_link_again_after_fixing_it_at_the_source(site, staff):
    ArticleFactory(source_url=f"{site}/broken")
    check_links()
    check = LinkCheck.objects.get()
    assert check.status == LinkCheck.Status.FAILING

    response = staff.post(
        "/admin/links/linkcheck/", {"action": "check_again", "_selected_action": [check.pk]}
    )

    assert response.status_code == 302
    check.refresh_from_db()
    assert check.status == LinkCheck.Status.DEAD
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Checked again. Dead: 1"]
