from django import template
from django.utils.safestring import SafeString

from trafficwatch.partials import render_kept

from ..models import Article

register = template.Library()

TEASER_TEMPLATE = "includes/article_teaser.html"


@register.simple_tag
def article_teaser(
    article: Article, *, level: int = 3, show_section: bool = False, compact: bool = False
) -> SafeString:
    """Render includes/article_teaser.html for article, as {% include %} with these options.

    The HTML is kept per process by everything the teaser shows (trafficwatch/partials.py).
    """
    # The partial reads only article.card and, with show_section, the section's name and
    # news_url: a dict holding those renders it exactly as the article does.
    shown = {"card": article.card}
    if show_section:
        shown["section"] = {"name": article.section.name, "news_url": article.section.news_url}
    return render_kept(
        TEASER_TEMPLATE, article=shown, level=level, show_section=show_section, compact=compact
    )
