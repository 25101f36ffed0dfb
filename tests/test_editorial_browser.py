"""The editorial workflow end to end in a real Chromium: write with an image, schedule,
preview, share, publish (issue 6)."""

import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from news.models import Article
from tests.factories import NewsFlashSectionFactory, ScheduledArticleFactory
from trafficwatch import preview

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Keep the uploaded image out of the checkout's media/ folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg(size: tuple[int, int]) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buffer, format="JPEG")
    return buffer.getvalue()


def select_action(page, action_label: str, title: str) -> None:
    page.goto("/admin/news/article/")
    page.get_by_role("row").filter(has_text=title).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label=action_label)
    page.get_by_role("button", name="Go").click()


def test_staff_write_schedule_preview_share_and_publish_an_article(
    page, browser, live_server, admin_user
):
    NewsFlashSectionFactory()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    # Log in through the admin's own form.
    page.goto("/admin/")
    page.get_by_label("Username:").fill("admin")
    page.get_by_label("Password:").fill("password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("region", name="What needs attention")).to_be_visible()

    # Write the article in the rich text editor: a heading and a bold word.
    page.goto("/admin/news/article/add/")
    page.get_by_label("Title:").fill("Hotline volunteers trained in Vilnius")
    page.get_by_label("Section:").select_option(label="News Flash")
    page.get_by_label("Image:", exact=True).set_input_files(
        files=[{"name": "hotline.jpg", "mimeType": "image/jpeg", "buffer": jpeg((1600, 900))}]
    )
    page.get_by_label("Alt text:").fill("Volunteers answering calls at the hotline")
    page.get_by_label("Caption:").fill("The first training week of the hotline.")
    page.get_by_label("Credit:").fill("La Strada Lithuania")
    page.get_by_label("Licence:", exact=True).fill("CC BY 4.0")
    editor = page.locator(".prose-editor .ProseMirror[contenteditable]")
    editor.click()
    page.keyboard.type("## Training week")
    page.keyboard.press("Enter")
    page.keyboard.type("Thirty volunteers learned to spot ")
    page.keyboard.press("Control+b")
    page.keyboard.type("coercion")
    page.keyboard.press("Control+b")
    page.keyboard.type(" on calls.")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    article = Article.objects.get(title="Hotline volunteers trained in Vilnius")
    assert "<h2>Training week</h2>" in article.body
    assert "<strong>coercion</strong>" in article.body
    # The favicon's 404 aside: nothing refused by the Content-Security-Policy.
    assert not [error for error in errors if "Content Security Policy" in error]

    # Schedule it for next week.
    select_action(page, "Schedule…", article.title)
    when = timezone.localtime() + timedelta(days=7)
    page.get_by_label("Publish at:").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator(".messagelist")).to_contain_text("1 item is scheduled for")
    expect(page.get_by_role("row").filter(has_text=article.title)).to_contain_text("Scheduled for")

    # Preview it on its real page: the banner says it is not public.
    page.goto(article.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(article.title)
    expect(page.get_by_role("status")).to_contain_text("Not public: scheduled for")
    expect(page.locator(".article__body strong")).to_have_text("coercion")
    image = page.get_by_role("img", name="Volunteers answering calls at the hotline")
    expect(image).to_have_attribute("srcset", re.compile(r"\.w480\.jpg 480w.*1600w"))
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")

    # Share a preview with a reviewer who has no account.
    page.goto(f"/admin/news/article/{article.pk}/change/")
    page.get_by_role("link", name="Share a preview").click()
    link = page.get_by_label("Preview link").input_value()
    assert "?preview=" in link
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    reviewer = browser.new_context(base_url=live_server.url)
    try:
        review = reviewer.new_page()
        review.goto(path)
        expect(review.get_by_role("heading", level=1)).to_have_text(article.title)
        expect(review.get_by_role("status")).to_contain_text("preview link")
        public = review.goto(article.get_absolute_url())
        assert public.status == 404
    finally:
        reviewer.close()

    # Publish it now: it is on the home page.
    select_action(page, "Publish now", article.title)
    expect(page.locator(".messagelist")).to_contain_text("1 item is now public.")
    page.goto("/")
    expect(page.get_by_role("link", name=article.title)).to_be_visible()


WCAG_AA = {"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}


def test_a_shared_preview_with_its_banner_passes_axe(page, axe):
    article = ScheduledArticleFactory(title="Scheduled story", body="<p>Text.</p>")
    page.goto(f"{article.get_absolute_url()}?preview={preview.make_token(article)}")
    expect(page.get_by_role("status")).to_contain_text("Not public: scheduled for")

    results = axe.run(page, options=WCAG_AA)

    assert results.violations_count == 0, results.generate_report()
