"""Sanitizing the HTML that staff write, once, on save (issue #2, #3)."""

import re
from html import unescape

import nh3

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


BLOCK_BOUNDARY = re.compile(
    r"</?(?:p|h[1-6]|li|ul|ol|blockquote|br|hr|div|figure|figcaption|pre|tr|td|th)\b[^>]*>",
    re.IGNORECASE,
)


def sanitize_html(html: str) -> str:
    """Return html with everything outside the allowlist removed; links get a safe rel."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def excerpt(html: str, max_chars: int = 200) -> str:
    """Return the text of html cut at a word boundary near max_chars, ending in "…"."""
    # Block boundaries become spaces, so paragraphs and list items do not run together.
    spaced = BLOCK_BOUNDARY.sub(" ", html or "")
    text = " ".join(unescape(nh3.clean(spaced, tags=set())).split())
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars + 1].rsplit(" ", 1)[0] if " " in text[:max_chars] else text[:max_chars]
    return cut.rstrip(" ,;:.-–—") + "…"
