"""Admin sign-in is throttled per (username, client address), for 15 minutes (django-axes)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "the right staff password"
HOME = "203.0.113.10"
CAFE = "198.51.100.20"
LOCKED_MESSAGE = (
    "Too many failed sign-in attempts for this account from your network. Try again in 15 minutes."
)


@pytest.fixture(autouse=True)
def staff(django_user_model, settings):
    # Throttling is under test, not password hashing: a fast hasher keeps dozens of
    # sign-ins from taking minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for username in ("alice", "bob"):
        django_user_model.objects.create_superuser(username, f"{username}@example.org", PASSWORD)


def sign_in(username: str, password: str, address: str, forwarded_for: str | None = None):
    """Post the admin's login form from address (a proxy when forwarded_for is given)."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return Client(REMOTE_ADDR=address, headers=headers).post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def fail_five_times(username: str, address: str, **kwargs) -> None:
    for _ in range(5):
        response = sign_in(username, "a wrong guess", address, **kwargs)
        assert response.status_code in {200, 429}


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def test_four_wrong_passwords_do_not_lock_the_account():
    for _ in range(4):
        assert sign_in("alice", "a wrong guess", HOME).status_code == 200

    assert signed_in(sign_in("alice", PASSWORD, HOME))


def test_five_wrong_passwords_lock_even_the_right_one_out_with_a_clear_message():
    fail_five_times("alice", HOME)

    response = sign_in("alice", PASSWORD, HOME)

    assert response.status_code == 429
    assert LOCKED_MESSAGE in text_of(response)
    assert response["Retry-After"] == str(15 * 60)


def test_the_lockout_page_is_a_page_of_the_site():
    fail_five_times("alice", HOME)

    response = sign_in("alice", PASSWORD, HOME)

    assert "<title>Too many failed sign-in attempts | TraffickingWatch</title>" in text_of(response)
    assert 'class="site-header"' in response.text
    assert "newsletter-signup" not in response.text


def test_the_same_account_can_still_sign_in_from_another_address():
    """Guard against a lockout attack: a stranger's guesses cannot lock staff out."""
    fail_five_times("alice", HOME)

    assert signed_in(sign_in("alice", PASSWORD, CAFE))


def test_another_account_can_still_sign_in_from_the_same_address():
    fail_five_times("alice", HOME)

    assert signed_in(sign_in("bob", PASSWORD, HOME))


def test_the_lock_ends_after_15_minutes():
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        fail_five_times("alice", HOME)
        clock.shift(timedelta(minutes=14))
        assert sign_in("alice", PASSWORD, HOME).status_code == 429

        clock.shift(timedelta(minutes=1, seconds=1))
        assert signed_in(sign_in("alice", PASSWORD, HOME))


def test_guessing_during_the_lock_does_not_make_it_last_longer():
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        fail_five_times("alice", HOME)
        clock.shift(timedelta(minutes=10))
        fail_five_times("alice", HOME)

        clock.shift(timedelta(minutes=5, seconds=1))
        assert signed_in(sign_in("alice", PASSWORD, HOME))


def test_a_successful_sign_in_clears_the_earlier_failures():
    for _ in range(4):
        sign_in("alice", "a wrong guess", HOME)
    assert signed_in(sign_in("alice", PASSWORD, HOME))

    for _ in range(4):
        sign_in("alice", "a wrong guess", HOME)

    assert signed_in(sign_in("alice", PASSWORD, HOME))


def test_every_attempt_is_recorded_for_staff_to_see():
    sign_in("alice", "a wrong guess", HOME)
    sign_in("alice", "another guess", CAFE)
    sign_in("alice", PASSWORD, CAFE)

    failures = AccessFailureLog.objects.order_by("attempt_time")
    assert [(f.username, f.ip_address) for f in failures] == [("alice", HOME), ("alice", CAFE)]
    assert [(log.username, log.ip_address) for log in AccessLog.objects.all()] == [("alice", CAFE)]


def test_the_admin_lists_the_failed_attempts(admin_client):
    sign_in("alice", "a wrong guess", HOME)

    response = admin_client.get("/admin/axes/accessattempt/")

    assert response.status_code == 200
    assert HOME in response.text


def test_behind_the_proxy_the_forwarded_client_is_locked_not_the_load_balancer():
    proxy = "127.0.0.1"  # FORWARDED_ALLOW_IPS' default
    fail_five_times("alice", proxy, forwarded_for=HOME)

    assert sign_in("alice", PASSWORD, proxy, forwarded_for=HOME).status_code == 429
    assert signed_in(sign_in("alice", PASSWORD, proxy, forwarded_for=CAFE))
    assert AccessAttempt.objects.get().ip_address == HOME


def test_a_client_cannot_dodge_the_lock_by_writing_its_own_forwarded_for():
    fail_five_times("alice", HOME)

    response = sign_in("alice", PASSWORD, HOME, forwarded_for=CAFE)

    assert response.status_code == 429
