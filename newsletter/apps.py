from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = _("Newsletter")

    def ready(self) -> None:
        from .ratelimit import signup_rate

        # A malformed SIGNUP_RATE_LIMIT stops the site at startup, not at the first sign-up.
        signup_rate()
