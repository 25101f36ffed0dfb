"""Sanitizing the HTML that staff write, once, on save (issue #2, #3); JSON-LD for pages."""

import json
import re
from html import unescape
from urllib.parse import urlsplit

import nh3
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "em", "figcaption", "figure",
    "h2", "h3", "h4", "hr", "i", "li", "ol", "p", "pre", "q", "s", "small", "strong",
    "sub", "sup", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "ol": {"start"},
}
# target="_blank" is the one target allowed, and only ever next to the rel that link_rel
# adds to every link: noopener keeps the opened page from reaching back through
# window.opener (https://mathiasbynens.github.io/rel-noopener/).
ALLOWED_ATTRIBUTE_VALUES = {"a": {"target": {"_blank"}}}
LINK_REL = "noopener noreferrer nofollow"
# Removed with everything inside them, not just unwrapped: their content is code or
# fallback markup, never text meant for the reader.
DROPPED_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
    "textarea", "title",
}  # fmt: skip

URL_SCHEMES = {"http", "https", "mailto"}
# Browsers drop these from a URL before reading its scheme ("jav\tascript:").
URL_IGNORED = re.compile(r"[\x00-\x20]")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    # nh3 checks the scheme of href and src only; cite takes a URL too.
    if attribute == "cite":
        scheme = urlsplit(URL_IGNORED.sub("", value)).scheme.lower()
        return value if scheme in URL_SCHEMES | {""} else None
    return value


CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
    attribute_filter=_filter_attribute,
    url_schemes=URL_SCHEMES,
    link_rel=LINK_REL,
)


BLOCK_BOUNDARY = re.compile(
    r"</?(?:p|h[1-6]|li|ul|ol|blockquote|br|hr|div|figure|figcaption|pre|tr|td|th)\b[^>]*>",
    re.IGNORECASE,
)


def sanitize_html(html: str) -> str:
    """Return html with everything outside the allowlist removed; links get a safe rel."""
    return CLEANER.clean(html or "")


def excerpt(html: str, max_chars: int = 200) -> str:
    """Return the text of html cut at a word boundary near max_chars, ending in "…"."""
    # Block boundaries become spaces, so paragraphs and list items do not run together.
    spaced = BLOCK_BOUNDARY.sub(" ", html or "")
    text = " ".join(unescape(nh3.clean(spaced, tags=set())).split())
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars + 1].rsplit(" ", 1)[0] if " " in text[:max_chars] else text[:max_chars]
    return cut.rstrip(" ,;:.-–—") + "…"


# What django.utils.html.json_script escapes, so that no value can close the element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld_script(data: dict) -> SafeString:
    """Return data as a <script type="application/ld+json"> element, safe to put in a page."""
    # json_script would do, but it always writes type="application/json".
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(
        JSON_SCRIPT_ESCAPES
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))
