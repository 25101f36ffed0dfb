import pytest
from django.core.exceptions import ImproperlyConfigured

from newsletter.models import Subscriber
from newsletter.ratelimit import Rate, parse_rate

SUBSCRIBE_URL = "/newsletter/subscribe/"


def sign_up(client, email, remote_addr="203.0.113.7"):
    return client.post(SUBSCRIBE_URL, {"email": email, "consent": "on"}, REMOTE_ADDR=remote_addr)


@pytest.mark.django_db(transaction=True)
def test_the_sign_up_past_the_limit_gets_429_and_stores_and_sends_nothing(
    client, settings, smtp_sink
):
    settings.SIGNUP_RATE_LIMIT = "2/m"
    sign_up(client, "one@example.org")
    sign_up(client, "two@example.org")

    response = sign_up(client, "three@example.org")

    assert response.status_code == 429
    assert not Subscriber.objects.filter(email="three@example.org").exists()
    assert [message["To"] for message in smtp_sink.messages] == [
        "one@example.org",
        "two@example.org",
    ]


@pytest.mark.django_db
def test_the_429_page_is_friendly_and_says_when_to_retry(client, settings):
    settings.SIGNUP_RATE_LIMIT = "1/h"
    sign_up(client, "one@example.org")

    response = sign_up(client, "two@example.org")

    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Please try again in 60 minutes." in response.text


@pytest.mark.django_db
def test_the_limit_counts_each_client_address_apart(client, settings):
    settings.SIGNUP_RATE_LIMIT = "1/m"
    sign_up(client, "one@example.org", remote_addr="203.0.113.7")

    response = sign_up(client, "two@example.org", remote_addr="198.51.100.9")

    assert response.status_code == 303


@pytest.mark.django_db
def test_honeypot_posts_count_against_the_limit(client, settings):
    settings.SIGNUP_RATE_LIMIT = "1/m"
    client.post(SUBSCRIBE_URL, {"website": "spam"}, REMOTE_ADDR="203.0.113.7")

    response = sign_up(client, "one@example.org")

    assert response.status_code == 429


@pytest.mark.django_db
def test_showing_the_form_does_not_count_against_the_limit(client, settings):
    settings.SIGNUP_RATE_LIMIT = "1/m"
    client.get(SUBSCRIBE_URL, REMOTE_ADDR="203.0.113.7")

    response = sign_up(client, "one@example.org")

    assert response.status_code == 303


@pytest.mark.parametrize(
    ("value", "rate"),
    [
        ("10/m", Rate(limit=10, window=60)),
        ("3/h", Rate(limit=3, window=3600)),
        (" 5/m ", Rate(5, 60)),
    ],
)
def test_the_rate_setting_is_parsed(value, rate):
    assert parse_rate(value) == rate


@pytest.mark.parametrize("value", ["", "10", "10/s", "0/m", "-1/m", "ten/m", "10/minute", "1.5/h"])
def test_a_malformed_rate_setting_is_refused_with_a_clear_message(value):
    with pytest.raises(ImproperlyConfigured, match="SIGNUP_RATE_LIMIT must look like 10/m or 3/h"):
        parse_rate(value)


@pytest.mark.django_db
def test_clients_behind_one_trusted_proxy_are_limited_one_by_one(client, settings):
    settings.SIGNUP_RATE_LIMIT = "1/m"
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    responses = [
        client.post(
            SUBSCRIBE_URL,
            {"email": f"reader{n}@example.org", "consent": "on"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )
        for n, forwarded_for in enumerate(["203.0.113.7", "203.0.113.8", "203.0.113.8"])
    ]
    assert [response.status_code for response in responses] == [303, 303, 429]
