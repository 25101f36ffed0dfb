from functools import lru_cache

from django import template
from django.template import Context
from django.template.loader import get_template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from ..forms import SubscribeForm

register = template.Library()

SIGNUP_FIELDS_TEMPLATE = "newsletter/includes/signup_fields.html"


@register.simple_tag
def newsletter_signup_fields() -> SafeString:
    """Return the fields of the footer's sign-up form, rendered once per language.

    The footer's form is always empty and never shows errors, so its fields change with
    the language only; rendering them (widget templates and all) cost a millisecond a page.
    """
    # The compiled template is part of the key: in development, an edited partial is
    # loaded afresh and must not be answered from the old one's HTML.
    return render_signup_fields(get_template(SIGNUP_FIELDS_TEMPLATE).template, get_language())


@lru_cache(maxsize=16)
def render_signup_fields(fields: template.Template, language: str | None) -> SafeString:
    # An empty form, with ids unlike those of the sign-up page's own form.
    signup_form = SubscribeForm(auto_id="newsletter-signup-%s")
    return fields.render(Context({"signup_form": signup_form}))
