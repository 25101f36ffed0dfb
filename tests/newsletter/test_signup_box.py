import pytest

pytestmark = pytest.mark.django_db


def test_the_footer_signup_box_is_on_other_pages(client):
    response = client.get("/news/")

    assert '<section class="newsletter-signup"' in response.text
    assert 'action="/newsletter/subscribe/"' in response.text


def test_the_footer_signup_box_sets_no_cookie(client):
    """Forged sign-ups are refused by origin (trafficwatch/csrf.py), not a CSRF cookie."""
    response = client.get("/news/")

    box = response.text[response.text.index('<section class="newsletter-signup"') :]
    assert 'name="csrfmiddlewaretoken"' not in box[: box.index("</section>")]
    assert not response.cookies


def test_the_footer_signup_box_sends_the_page_it_is_on(client):
    response = client.get("/news/?page=1")

    assert '<input type="hidden" name="next" value="/news/?page=1">' in response.text


def test_the_footer_signup_box_labels_its_fields_and_hides_its_honeypot(client):
    response = client.get("/news/")

    assert '<label for="newsletter-signup-email">' in response.text
    assert '<label for="newsletter-signup-consent">' in response.text
    assert '<div class="honeypot" aria-hidden="true">' in response.text


def test_the_signup_page_does_not_repeat_the_form_in_the_footer(client):
    response = client.get("/newsletter/subscribe/")

    assert response.text.count('name="email"') == 1


def test_a_sign_up_from_the_footer_records_the_page(client):
    from newsletter.models import Subscriber

    client.post(
        "/newsletter/subscribe/",
        {"email": "reader@example.org", "consent": "on", "website": "", "next": "/news/"},
    )

    assert Subscriber.objects.get().source_page == "/news/"
