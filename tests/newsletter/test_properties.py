import pytest
from django.core.validators import validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.models import Subscriber

SUBSCRIBE_URL = "/newsletter/subscribe/"

optional_text = st.none() | st.text(max_size=400)


@pytest.mark.django_db
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    email=st.none() | st.text(max_size=400) | st.emails(),
    name=optional_text,
    consent=st.none() | st.just("on") | st.text(max_size=20),
    website=st.none() | st.just("") | st.text(max_size=50),
    next_page=optional_text | st.just("/news/"),
)
def test_any_sign_up_answers_without_error_and_stores_only_valid_addresses(
    client, unlimited_sign_ups, email, name, consent, website, next_page
):
    data = {"email": email, "name": name, "consent": consent, "website": website, "next": next_page}

    response = client.post(SUBSCRIBE_URL, {k: v for k, v in data.items() if v is not None})

    assert response.status_code in {303, 400}
    for subscriber in Subscriber.objects.all():
        validate_email(subscriber.email)
        assert subscriber.email == Subscriber.normalize_email(subscriber.email)
        assert len(subscriber.email) <= 254
        assert subscriber.source_page == "" or subscriber.source_page.startswith("/")


@pytest.fixture
def unlimited_sign_ups(settings):
    """Lift the rate limit: hypothesis posts hundreds of times from one address."""
    settings.SIGNUP_RATE_LIMIT = "1000000/h"
