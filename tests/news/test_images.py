"""Article images: checked on upload, resized into renditions, served with srcset."""

import os
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from news.models import Article
from tests.factories import NewsFlashSectionFactory
from trafficwatch import images

pytestmark = pytest.mark.django_db

ADD = "/admin/news/article/add/"


def image_file(name: str, size: tuple[int, int], image_format: str = "JPEG") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def form(image, **fields) -> dict:
    return {
        "title": "Photo story",
        "slug": "photo-story",
        "section": NewsFlashSectionFactory().pk,
        "status": Article.Status.PUBLISHED,
        "published_at_0": "2026-03-14",
        "published_at_1": "10:00:00",
        "body": "<p>Text.</p>",
        "image": image,
        "image_alt": "Volunteers at the hotline",
        "image_caption": "The hotline's night shift.",
        "image_credit": "La Strada International",
        "image_licence": "CC BY 4.0",
        **fields,
    }


def image_errors(response) -> list[str]:
    return response.context["adminform"].form.errors.get("image", [])


def test_an_uploaded_image_gets_renditions_beside_it_in_the_sizes_pages_use(admin_client):
    response = admin_client.post(ADD, form(image_file("hotline.jpg", (2000, 1000))))

    assert response.status_code == 302
    article = Article.objects.get(slug="photo-story")
    assert article.image_renditions == [480, 960, 1440]
    storage = article.image.storage
    for width in (480, 960, 1440):
        with storage.open(images.rendition_name(article.image.name, width)) as file:
            assert Image.open(file).size == (width, width // 2)


def test_the_article_page_offers_the_renditions_in_a_srcset(client, admin_client):
    admin_client.post(ADD, form(image_file("hotline.jpg", (1200, 800))))
    article = Article.objects.get(slug="photo-story")

    html = client.get(article.get_absolute_url()).content.decode()

    assert 'srcset="/media/news/' in html
    assert ".w480.jpg 480w" in html
    assert ".w960.jpg 960w" in html
    assert "1200w" in html
    assert 'width="1200" height="800"' in html


def test_a_small_image_is_not_enlarged(admin_client):
    admin_client.post(ADD, form(image_file("small.png", (300, 200), "PNG")))

    assert Article.objects.get(slug="photo-story").image_renditions == []


def test_a_renamed_file_that_is_not_an_image_is_refused_with_a_clear_message(admin_client):
    fake = SimpleUploadedFile("report.jpg", b"%PDF-1.4 not an image at all", "image/jpeg")

    response = admin_client.post(ADD, form(fake))

    assert response.status_code == 200
    assert image_errors(response)
    assert "image" in image_errors(response)[0].lower()
    assert not Article.objects.exists()


def test_an_image_over_the_size_limit_is_refused_naming_the_limit(admin_client):
    noise = Image.frombytes("RGB", (2100, 2100), os.urandom(2100 * 2100 * 3))
    buffer = BytesIO()
    noise.save(buffer, format="PNG", compress_level=0)
    assert buffer.tell() > images.MAX_BYTES
    big = SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")

    response = admin_client.post(ADD, form(big))

    assert response.status_code == 200
    assert "10.0\xa0MB at most" in image_errors(response)[0]
    assert not Article.objects.exists()


def test_an_image_too_large_in_pixels_is_refused_naming_the_limit(admin_client):
    response = admin_client.post(ADD, form(image_file("wide.png", (9000, 10), "PNG")))

    assert response.status_code == 200
    assert "9000 × 10 pixels" in image_errors(response)[0]
    assert not Article.objects.exists()
