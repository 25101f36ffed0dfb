"""The client address behind trusted proxies (trafficwatch/client.py)."""

import pytest
from django.test import RequestFactory

from trafficwatch.client import client_address


@pytest.fixture(autouse=True)
def one_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]


def address(remote: str, forwarded: str | None = None) -> str:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **headers))


def test_a_direct_client_is_its_own_address_whatever_it_claims():
    assert address("198.51.100.9", "203.0.113.7") == "198.51.100.9"


def test_behind_a_trusted_proxy_the_forwarded_address_counts():
    assert address("10.0.0.2", "203.0.113.7") == "203.0.113.7"


def test_an_address_the_client_wrote_itself_is_not_believed():
    # The client sent "X-Forwarded-For: 192.0.2.1"; our proxy appended the real address.
    assert address("10.0.0.2", "192.0.2.1, 203.0.113.7") == "203.0.113.7"


def test_garbage_in_the_header_falls_back_to_the_last_good_address():
    assert address("10.0.0.2", "not-an-address") == "10.0.0.2"
    assert address("10.0.0.2", "203.0.113.7, <script>") == "10.0.0.2"
