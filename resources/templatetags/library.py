import html

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from trafficwatch.partials import render_kept

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


@register.simple_tag
def facet_options(parameter: str, options) -> SafeString:
    """Render a facet's options (filters.Option) as the <li>s of the filter panel.

    Written here rather than as a loop in includes/library_filters.html: the panel has
    about 450 options (250 countries, 100 authors, the years, ...), and the template
    engine's lookups cost 20-30 µs an option, a third of the library page's CPU. The
    standard library's html.escape is what django.utils.html.escape calls, without its
    lazy-string wrapper, which cost as much as the escaping here.
    """
    parameter = html.escape(parameter)
    items = []
    for option in options:
        value = html.escape(option.value)
        checked = " checked" if option.selected else ""
        items.append(
            f'<li class="facet__option"><input type="checkbox" id="{parameter}-{value}" '
            f'name="{parameter}" value="{value}"{checked}><label for="{parameter}-{value}">'
            f'{html.escape(option.label)} <span class="facet__count">({option.count:d})</span>'
            "</label></li>"
        )
    return mark_safe("".join(items))  # noqa: S308  (every value above is escaped)


@register.simple_tag
def resource_card(
    card: dict, *, level: int = 3, detailed: bool = False, show_summary: bool = False
) -> SafeString:
    """Render includes/resource_card.html for card (Resource.card, or a card of
    ResourceQuerySet.cards()), as {% include %} with these options.

    The HTML is kept per process by everything the card shows (trafficwatch/partials.py).
    """
    return render_kept(
        "includes/resource_card.html",
        card=card,
        level=level,
        detailed=detailed,
        show_summary=show_summary,
    )
