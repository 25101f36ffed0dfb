from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from .models import Subscriber

CONSENT_TEXT = _(
    "I agree to receive the TraffickingWatch newsletter and know I can unsubscribe at any time."
)
SOURCE_PAGE_MAX_LENGTH = Subscriber._meta.get_field("source_page").max_length
EMAIL_MAX_LENGTH = Subscriber._meta.get_field("email").max_length


class LocalPathField(forms.CharField):
    """A hidden path on this site; anything else (or nothing valid) cleans to ""."""

    widget = forms.HiddenInput

    def clean(self, value) -> str:
        try:
            value = super().clean(value)
        except ValidationError:  # NUL bytes and the like: record no page, never an error
            return ""
        if not value.startswith("/") or "\\" in value:
            return ""
        if not url_has_allowed_host_and_scheme(value, allowed_hosts=None):
            return ""
        # The path only: a query string may hold what the reader searched for.
        path = urlsplit(value).path
        return path if len(path) <= SOURCE_PAGE_MAX_LENGTH else ""


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=EMAIL_MAX_LENGTH,
        error_messages={
            "required": _("Please enter your email address."),
            "invalid": _("Please enter a valid email address, like name@example.org."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Name"),
        help_text=_("Optional."),
        max_length=Subscriber._meta.get_field("name").max_length,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    consent = forms.BooleanField(
        label=CONSENT_TEXT,
        error_messages={"required": _("Please tick this box so we may send you the newsletter.")},
    )
    # The honeypot: hidden from people, filled in by bots that fill in everything.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    next = LocalPathField(required=False)

    def is_bot(self) -> bool:
        """Return True when the honeypot field was filled in."""
        return bool(str(self.data.get("website", "")).strip())

    def clean_email(self) -> str:
        email = Subscriber.normalize_email(self.cleaned_data["email"])
        # Lower-casing can lengthen some characters; check the stored form once more.
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(self.fields["email"].error_messages["invalid"]) from None
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError(self.fields["email"].error_messages["invalid"])
        return email


ALERT_CONSENT_TEXT = _(
    "I agree to receive emails about new resources matching this search and know I can "
    "stop them at any time."
)


class AlertForm(SubscribeForm):
    """ "Email me new matches": the sign-up form with its own consent, for a library filter."""

    consent = forms.BooleanField(
        label=ALERT_CONSENT_TEXT,
        error_messages={"required": _("Please tick this box so we may email you new matches.")},
    )
    next = None  # the page is always the library


class PreferencesForm(forms.ModelForm):
    """The mailings a subscriber receives and how often digests come."""

    class Meta:
        model = Subscriber
        fields = [
            "wants_newsletter",
            "wants_resource_digest",
            "wants_news_digest",
            "digest_frequency",
        ]
        labels = {
            "wants_newsletter": _("The newsletter: our editorial mailing"),
            "wants_resource_digest": _(
                "A digest of new resources (those matching your alerts, or all new ones if you have none)"
            ),
            "wants_news_digest": _("A digest of news"),
            "digest_frequency": _("How often digests come"),
        }
        help_texts = {"wants_resource_digest": ""}
        widgets = {"digest_frequency": forms.RadioSelect}
        error_messages = {
            "digest_frequency": {
                "invalid_choice": _("Please choose weekly or monthly."),
                "required": _("Please choose weekly or monthly."),
            }
        }
