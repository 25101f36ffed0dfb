"""The email of a newsletter issue: HTML and plain text, personalised per subscriber.

Sending 100,000 copies renders the templates once per issue: the per-subscriber parts
(greeting, unsubscribe and preferences links) are markers in the rendered text, replaced per copy.
"""

import re
from dataclasses import dataclass
from email.utils import formataddr, formatdate, make_msgid
from html import escape, unescape

import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from trafficwatch.html import BLOCK_BOUNDARY

from .emails import HEADERS, list_unsubscribe_headers
from .models import Issue, Subscriber
from .tokens import preferences_url, unsubscribe_url

# Letters and digits only: neither HTML escaping nor line wrapping can change them.
GREETING_MARKER = "TWNEWSLETTERGREETINGMARKER"
UNSUBSCRIBE_MARKER = "TWNEWSLETTERUNSUBSCRIBEMARKER"
PREFERENCES_MARKER = "TWNEWSLETTERPREFERENCESMARKER"
# Bulk mail etiquette: auto-responders stay quiet, and filters may file it as a list.
BULK_HEADERS = {**HEADERS, "Precedence": "bulk"}
# A name may not carry line breaks or other control characters into the headers or text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
RELATIVE_HREF = re.compile(r'(href=")(/[^/"][^"]*|/)"')
LINK = re.compile(r'<a\b[^>]*\bhref="(?P<href>[^"]*)"[^>]*>(?P<label>.*?)</a>', re.DOTALL)
SINGLE_LINK = re.compile(r"<(https?://[^<>\s]+)>")
# The addresses the fast path takes; anything else goes through Django's checks.
SIMPLE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
RAW_TO = b"to@tw-newsletter-marker.invalid"
RAW_EXTRA_HEADERS = b"X-TW-Subscriber-Headers: TWSUBSCRIBERHEADERSMARKER\r\n"
RAW_DATE = b"TWDATEMARKER"
RAW_MESSAGE_ID = b"<TWMESSAGEIDMARKER@tw-newsletter-marker.invalid>"
RAW_TEXT_GREETING = b"TWTEXTGREETINGMARKER"
RAW_HTML_GREETING = b"TWHTMLGREETINGMARKER"
RAW_TEXT_UNSUBSCRIBE = b"TWTEXTUNSUBSCRIBEMARKER"
RAW_HTML_UNSUBSCRIBE = b"TWHTMLUNSUBSCRIBEMARKER"
RAW_TEXT_PREFERENCES = b"TWTEXTPREFERENCESMARKER"
RAW_HTML_PREFERENCES = b"TWHTMLPREFERENCESMARKER"
RAW_MARKERS = re.compile(
    b"|".join(
        re.escape(marker)
        for marker in (
            RAW_TO, RAW_EXTRA_HEADERS, RAW_DATE, RAW_MESSAGE_ID, RAW_TEXT_GREETING,
            RAW_HTML_GREETING, RAW_TEXT_UNSUBSCRIBE, RAW_HTML_UNSUBSCRIBE,
            RAW_TEXT_PREFERENCES, RAW_HTML_PREFERENCES,
        )
    )
)  # fmt: skip


@dataclass(frozen=True)
class IssueMessage:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class PreparedIssue:
    """An issue rendered once, with markers where each subscriber's parts go.

    `skeleton` is the whole MIME message with markers, when its parts are 8-bit text
    (the usual case) so that the markers can be replaced in the bytes: building a MIME
    message with Python's email package costs more than everything else of a send.
    """

    subject: str
    text: str
    html: str
    skeleton: bytes | None = None

    def message_bytes(self, subscriber: Subscriber) -> bytes | None:
        """Return the email to subscriber as SMTP DATA, or None if only the slow path will do.

        Equal to build_issue_email(...).message().as_bytes() but for Date and Message-ID.
        """
        if self.skeleton is None or not SIMPLE_ADDRESS.fullmatch(subscriber.email):
            return None
        greeting = greeting_for(subscriber)
        headers = list_unsubscribe_headers(subscriber)
        # The header holds the very link the footer shows: signed once, not twice.
        header_link = SINGLE_LINK.fullmatch(headers.get("List-Unsubscribe", ""))
        link = header_link[1] if header_link else unsubscribe_url(subscriber)
        preferences = preferences_url(subscriber)
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        if not (link.isascii() and preferences.isascii() and extra.isascii()) or (
            CONTROL_CHARACTERS.search(link + preferences + extra.replace("\r\n", ""))
        ):
            return None
        name = clean_name(subscriber.name)
        to = formataddr((name, subscriber.email), charset="utf-8") if name else subscriber.email
        values = {
            RAW_TO: to.encode(),
            RAW_EXTRA_HEADERS: extra.encode(),
            RAW_DATE: formatdate(localtime=settings.EMAIL_USE_LOCALTIME).encode(),
            RAW_MESSAGE_ID: make_msgid(domain=DNS_NAME).encode(),
            RAW_TEXT_GREETING: greeting.encode(),
            RAW_HTML_GREETING: escape(greeting, quote=False).encode(),
            RAW_TEXT_UNSUBSCRIBE: link.encode(),
            RAW_HTML_UNSUBSCRIBE: escape(link).encode(),
            RAW_TEXT_PREFERENCES: preferences.encode(),
            RAW_HTML_PREFERENCES: escape(preferences).encode(),
        }
        # One pass: a name that spells a marker is never replaced in its turn.
        return RAW_MARKERS.sub(lambda match: values[match[0]], self.skeleton)

    def message_for(self, subscriber: Subscriber | None) -> IssueMessage:
        greeting = greeting_for(subscriber)
        link = unsubscribe_url(subscriber) if subscriber is not None else "#"
        preferences = preferences_url(subscriber) if subscriber is not None else "#"
        return IssueMessage(
            subject=self.subject,
            text=self.text.replace(GREETING_MARKER, greeting)
            .replace(UNSUBSCRIBE_MARKER, link)
            .replace(PREFERENCES_MARKER, preferences),
            html=self.html.replace(GREETING_MARKER, escape(greeting, quote=False))
            .replace(UNSUBSCRIBE_MARKER, escape(link))
            .replace(PREFERENCES_MARKER, escape(preferences)),
        )


def clean_name(name: str) -> str:
    return " ".join(CONTROL_CHARACTERS.sub(" ", name).split())


def greeting_for(subscriber: Subscriber | None) -> str:
    if subscriber is None:
        return _("Hello %(name)s,") % {"name": _("[subscriber’s name]")}
    name = clean_name(subscriber.name)
    if name:
        return _("Hello %(name)s,") % {"name": name}
    return _("Hello,")


def view_in_browser_url(issue: Issue) -> str:
    try:
        return settings.SITE_URL + issue.get_absolute_url()
    except NoReverseMatch:  # the public archive is not routed
        return settings.SITE_URL + "/"


def introduction_text(html: str) -> str:
    """Return the plain text of the sanitized introduction, one paragraph per block."""
    spaced = BLOCK_BOUNDARY.sub("\n\n", LINK.sub(_link_as_text, html))
    text = unescape(nh3.clean(spaced, tags=set()))
    paragraphs = (" ".join(block.split()) for block in text.split("\n\n"))
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _link_as_text(match: re.Match) -> str:
    href, label = match["href"], match["label"]
    return label if unescape(href) == unescape(label).strip() else f"{label} ({href})"


def prepare_issue(issue: Issue) -> PreparedIssue:
    """Render the issue's templates once, in the active language."""
    site_url = settings.SITE_URL
    articles = [
        {
            "title": article.title,
            "summary": article.standfirst or article.teaser,
            "url": site_url + article.get_absolute_url(),
        }
        for article in issue.articles.published().order_by("-published_at", "pk")
    ]
    resources = [
        {
            "title": resource.title,
            "summary": resource.summary,
            "year": resource.year,
            "publisher": resource.publisher,
            "url": site_url + resource.get_absolute_url(),
        }
        for resource in issue.resources.published().order_by("-published_at", "pk")
    ]
    # Links in an email must be absolute: the reader is not on the site.
    introduction = RELATIVE_HREF.sub(rf'\g<1>{site_url}\g<2>"', issue.introduction)
    context = {
        "subject": issue.subject,
        "greeting": GREETING_MARKER,
        "introduction_html": introduction,
        "introduction_text": introduction_text(introduction),
        "articles": articles,
        "resources": resources,
        "view_in_browser_url": view_in_browser_url(issue),
        "unsubscribe_url": UNSUBSCRIBE_MARKER,
        "preferences_url": PREFERENCES_MARKER,
        "site_name": settings.SITE_NAME,
        "site_url": site_url,
    }
    subject = clean_name(issue.subject)
    text = render_to_string("newsletter/email/issue.txt", context)
    html = render_to_string("newsletter/email/issue.html", context)
    return PreparedIssue(
        subject=subject, text=text, html=html, skeleton=skeleton(subject, text, html)
    )


def skeleton(subject: str, text: str, html: str) -> bytes | None:
    """Return the MIME message with byte markers for each subscriber's parts, or None."""
    marked = IssueMessage(
        subject=subject,
        text=text.replace(GREETING_MARKER, RAW_TEXT_GREETING.decode())
        .replace(UNSUBSCRIBE_MARKER, RAW_TEXT_UNSUBSCRIBE.decode())
        .replace(PREFERENCES_MARKER, RAW_TEXT_PREFERENCES.decode()),
        html=html.replace(GREETING_MARKER, RAW_HTML_GREETING.decode())
        .replace(UNSUBSCRIBE_MARKER, RAW_HTML_UNSUBSCRIBE.decode())
        .replace(PREFERENCES_MARKER, RAW_HTML_PREFERENCES.decode()),
    )
    email = _email(marked, to=RAW_TO.decode(), subscriber=None)
    name, value = RAW_EXTRA_HEADERS.decode().rstrip().split(": ")
    email.extra_headers.update(
        {name: value, "Date": RAW_DATE.decode(), "Message-ID": RAW_MESSAGE_ID.decode()}
    )
    whole = (RAW_TO + b"\r\n", RAW_EXTRA_HEADERS, RAW_DATE + b"\r\n", RAW_MESSAGE_ID + b"\r\n")
    inline = (
        RAW_TEXT_GREETING,
        RAW_HTML_GREETING,
        RAW_TEXT_UNSUBSCRIBE,
        RAW_HTML_UNSUBSCRIBE,
        RAW_TEXT_PREFERENCES,
        RAW_HTML_PREFERENCES,
    )
    return marked_bytes(email, whole + inline)


def marked_bytes(email, markers) -> bytes | None:
    """Return email as bytes whose two parts are 8bit, or None unless each marker stands
    in it exactly once (the per-subscriber fill-in replaces them in the bytes)."""
    raw = email.message().as_bytes(linesep="\r\n")
    # An ASCII part is labelled 7bit; a subscriber's name or a digest's titles may bring
    # other characters. Base64 or quoted-printable parts (very long lines) would hide the
    # markers: then the count below fails and the caller takes Django's slow path.
    raw = raw.replace(
        b"Content-Transfer-Encoding: 7bit\r\n", b"Content-Transfer-Encoding: 8bit\r\n"
    )
    if raw.count(b"Content-Transfer-Encoding: 8bit\r\n") != 2 or any(
        raw.count(marker) != 1 for marker in markers
    ):
        return None
    return raw


def prepared(issue: Issue) -> PreparedIssue:
    """Return the issue rendered once per issue object and language."""
    cache = issue.__dict__.setdefault("_prepared_messages", {})
    language = get_language()
    if language not in cache:
        cache[language] = prepare_issue(issue)
    return cache[language]


def render_issue(issue: Issue, subscriber: Subscriber | None = None) -> IssueMessage:
    """Return the issue's subject, text and HTML for subscriber (None: a preview)."""
    return prepare_issue(issue).message_for(subscriber)


def build_issue_email(
    issue: Issue, subscriber: Subscriber, *, connection=None
) -> EmailMultiAlternatives:
    """Return the issue's email to subscriber, ready to send over connection."""
    message = prepared(issue).message_for(subscriber)
    name = clean_name(subscriber.name)
    to = formataddr((name, subscriber.email)) if name else subscriber.email
    return _email(message, to=to, subscriber=subscriber, connection=connection)


def build_test_email(issue: Issue, to_email: str) -> EmailMultiAlternatives:
    """Return the preview of issue as an email to to_email, its subject marked as a test."""
    preview = render_issue(issue)
    subject = _("[Test] %(subject)s") % {"subject": preview.subject}
    message = IssueMessage(subject=subject, text=preview.text, html=preview.html)
    return _email(message, to=to_email, subscriber=None)


def _email(
    message: IssueMessage, *, to: str, subscriber: Subscriber | None, connection=None
) -> EmailMultiAlternatives:
    headers = dict(BULK_HEADERS)
    if subscriber is not None:
        headers.update(list_unsubscribe_headers(subscriber))
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        to=[to],
        headers=headers,
        connection=connection,
    )
    email.attach_alternative(message.html, "text/html")
    return email
