"""Uploads stay on the local disk by default and go to an S3-compatible bucket by setting."""

from tests.trafficwatch.test_settings import PRODUCTION_ENV
from tests.trafficwatch.test_settings import settings_value as production_value


def settings_value(expression: str, **env: str):
    return production_value(expression, **{**PRODUCTION_ENV, **env})


def test_uploads_are_stored_on_the_local_disk_by_default():
    backend = settings_value('settings.STORAGES["default"]["BACKEND"]')

    assert backend == "django.core.files.storage.FileSystemStorage"


def test_a_bucket_name_sends_uploads_to_s3_compatible_storage_and_allows_its_images():
    env = {
        "AWS_STORAGE_BUCKET_NAME": "tw-media",
        "AWS_S3_ENDPOINT_URL": "https://s3.example-cloud.eu",
        "AWS_S3_REGION_NAME": "eu-central",
    }

    default = settings_value('settings.STORAGES["default"]', **env)
    image_sources = settings_value(
        'settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]', **env
    )

    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "tw-media"
    assert default["OPTIONS"]["endpoint_url"] == "https://s3.example-cloud.eu"
    assert default["OPTIONS"]["querystring_auth"] is False
    assert "https://s3.example-cloud.eu" in image_sources


def test_a_custom_domain_is_where_pages_load_uploaded_images_from():
    image_sources = settings_value(
        'settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]',
        AWS_STORAGE_BUCKET_NAME="tw-media",
        AWS_S3_CUSTOM_DOMAIN="media.traffickingwatch.example",
    )

    assert image_sources == ["'self'", "https://media.traffickingwatch.example"]


def test_the_s3_storage_builds_plain_urls_in_the_bucket():
    url = settings_value(
        '__import__("django.core.files.storage", fromlist=["storages"])'
        '.storages["default"].url("news/2026/03/photo.w480.jpg")',
        AWS_STORAGE_BUCKET_NAME="tw-media",
        AWS_S3_CUSTOM_DOMAIN="media.traffickingwatch.example",
    )

    assert url == "https://media.traffickingwatch.example/news/2026/03/photo.w480.jpg"
