"""The footer's sign-up form: its fields are rendered once per language, its page is not."""

import pytest
from django.template import engines

from newsletter.forms import SubscribeForm

pytestmark = pytest.mark.django_db


def test_the_footer_sign_up_fields_are_those_of_an_empty_form():
    fields = engines["django"].from_string(
        '{% include "newsletter/includes/field.html" with field=form.email %}\n'
        '    {% include "newsletter/includes/consent_field.html" with field=form.consent %}\n'
        '    {% include "newsletter/includes/honeypot_field.html" with field=form.website %}'
    )
    form = SubscribeForm(auto_id="newsletter-signup-%s")
    tag = engines["django"].from_string("{% load newsletter %}{% newsletter_signup_fields %}")

    assert tag.render({}) == fields.render({"form": form})
    assert 'id="newsletter-signup-email"' in tag.render({})


@pytest.mark.parametrize("url", ["/news/", "/resources/"])
def test_the_footer_sign_up_form_records_the_page_it_was_sent_from(client, url):
    html = client.get(url).content.decode()

    assert f'<input type="hidden" name="next" value="{url}">' in html
    assert html.count('id="newsletter-signup-email"') == 1
