import html

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..models import HIGHLIGHT_RE, HIGHLIGHT_START, HIGHLIGHT_STOP

register = template.Library()


@register.filter
def highlight(snippet: str) -> SafeString:
    """Render a with_snippet() snippet: the text escaped, the hits in <mark>."""
    # The snippet comes with & and < as entities (see with_snippet): back to the text, then
    # escaped here, whatever it holds, before the only markup is added.
    text = escape(html.unescape(snippet or ""))
    marked = HIGHLIGHT_RE.sub(r"<mark>\1</mark>", text)
    # Escaping leaves the private-use marks alone; a stray (unpaired) one is dropped.
    return mark_safe(marked.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_STOP, ""))  # noqa: S308
