import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Keep uploaded images out of the checkout's media/ folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def site_url(settings) -> str:
    """A SITE_URL unlike the test client's host, so links that use the request's show."""
    settings.SITE_URL = "https://news.example.org"
    return settings.SITE_URL
