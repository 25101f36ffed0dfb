"""Partials rendered once per process for what they show: teasers and cards of lists.

Rendering a list's partials is most of a list page's time, and the same article or
resource shows the same teaser to every visitor in a language until something it shows
changes. So the HTML is kept under everything the partial is given (plain values: dicts,
lists, strings, numbers), the language and the compiled template: an edit changes the
key rather than leaving stale HTML behind, and in development an edited partial is
loaded afresh.
"""

from functools import lru_cache

from django.template import Context
from django.template.loader import get_template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

# Distinct partials kept per process: a list page shows 20 teasers or cards, an article
# page 4, the home page 15.
PARTIALS_KEPT = 2048
_DICT = object()  # marks a frozen dict: no tuple of the context can equal it


def render_kept(template_name: str, **context) -> SafeString:
    """Return the template rendered with context, from this process's memory if it was."""
    return _render(get_template(template_name).template, freeze(context), get_language())


@lru_cache(maxsize=PARTIALS_KEPT)
def _render(template, frozen_context: tuple, language: str | None) -> SafeString:
    return template.render(Context(thaw(frozen_context)))


def freeze(value):
    """Return value with its dicts and lists as tuples, hashable (thaw() turns it back)."""
    if isinstance(value, dict):
        return (_DICT, tuple((key, freeze(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value):
    if isinstance(value, tuple):
        if len(value) == 2 and value[0] is _DICT:
            return {key: thaw(item) for key, item in value[1]}
        return [thaw(item) for item in value]
    return value
