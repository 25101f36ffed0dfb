from functools import lru_cache

from django import template
from django.template import Context
from django.template.loader import get_template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from ..models import Article

register = template.Library()

TEASER_TEMPLATE = "includes/article_teaser.html"
# Distinct teasers kept per process: a list page shows 20, an article page 4, the home 9.
TEASERS_KEPT = 1024


@register.simple_tag
def article_teaser(
    article: Article, *, level: int = 3, show_section: bool = False, compact: bool = False
) -> SafeString:
    """Render includes/article_teaser.html for article, as {% include %} with these options.

    Rendering the partial is most of a list page's time, and the same article shows the
    same teaser to every visitor in a language until something it shows changes. So the
    HTML is kept by everything it shows (the card, the section if shown, the options and
    the language): an edit changes the key rather than leaving stale HTML behind.
    """
    # The partial reads only article.card and, with show_section, the section's name and
    # news_url: a dict holding those renders it exactly as the article does.
    shown = {"card": tuple(article.card.items())}
    if show_section:
        shown["section"] = (("name", article.section.name), ("news_url", article.section.news_url))
    return render_teaser(
        # The compiled template is part of the key: in development, an edited partial
        # is loaded afresh and must not be answered from the old one's HTML.
        get_template(TEASER_TEMPLATE).template,
        tuple(shown.items()),
        level,
        show_section,
        compact,
        get_language(),
    )


@lru_cache(maxsize=TEASERS_KEPT)
def render_teaser(
    teaser: template.Template,
    shown: tuple,
    level: int,
    show_section: bool,
    compact: bool,
    language: str | None,
) -> SafeString:
    article = {name: dict(value) for name, value in shown}
    context = {"article": article, "level": level, "show_section": show_section}
    return teaser.render(Context({**context, "compact": compact}))
