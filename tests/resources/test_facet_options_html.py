"""The filter panel's options, written by the facet_options tag, are the markup the
template loop it replaced wrote, escaping included."""

from django.template import Context, Template

from resources.filters import Option

# The loop of includes/library_filters.html before the tag.
FORMER_LOOP = Template(
    "{% for option in options %}"
    '<li class="facet__option"><input type="checkbox" id="{{ parameter }}-{{ option.value }}" '
    'name="{{ parameter }}" value="{{ option.value }}"{% if option.selected %} checked{% endif %}>'
    '<label for="{{ parameter }}-{{ option.value }}">{{ option.label }} '
    '<span class="facet__count">({{ option.count }})</span></label></li>'
    "{% endfor %}"
)
TAG = Template("{% load library %}{% facet_options parameter options %}")

OPTIONS = [
    Option("cote-d-ivoire", "Côte d’Ivoire", 12, False),
    Option("a-b", "Smith & \"Sons\" <b>'Ltd'</b>", 1, True),
    Option('"><script>alert(1)</script>', "<script>alert(1)</script>", 0, True),
    Option("2024", "2024", 1234567, False),
]


def test_the_options_are_written_as_the_template_wrote_them():
    context = {"parameter": "author", "options": OPTIONS}

    written = TAG.render(Context(context))

    assert written == FORMER_LOOP.render(Context(context))
    assert "<script>" not in written
    assert "&lt;script&gt;alert(1)&lt;/script&gt; " in written
    assert 'id="author-a-b" name="author" value="a-b" checked>' in written


def test_no_options_write_nothing():
    assert TAG.render(Context({"parameter": "country", "options": []})) == ""
