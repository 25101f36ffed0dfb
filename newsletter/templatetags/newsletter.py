from django import template

from ..forms import SubscribeForm

register = template.Library()


@register.simple_tag
def newsletter_signup_form() -> SubscribeForm:
    """Return an empty sign-up form whose ids do not clash with the sign-up page's form."""
    return SubscribeForm(auto_id="newsletter-signup-%s")
