"""Staff HTML is sanitized on save; teasers are cut cleanly (trafficwatch/html.py)."""

from hypothesis import given
from hypothesis import strategies as st

from trafficwatch.html import excerpt, sanitize_html


def test_script_tags_and_event_handlers_are_removed():
    cleaned = sanitize_html('<p onclick="steal()">Hi<script>alert(1)</script></p>')
    assert cleaned == "<p>Hi</p>"


def test_javascript_links_lose_their_href():
    assert "javascript" not in sanitize_html('<a href="javascript:alert(1)">x</a>')


def test_links_get_a_safe_rel():
    cleaned = sanitize_html(
        '<a href="https://www.eurojust.europa.eu/" target="_blank">Eurojust</a>'
    )
    assert 'rel="noopener noreferrer nofollow"' in cleaned
    assert "target" not in cleaned


def test_an_excerpt_of_short_text_is_the_text_itself():
    assert (
        excerpt("<p>Six victims were taken to safety.</p>") == "Six victims were taken to safety."
    )


def test_an_excerpt_cuts_multibyte_text_at_a_word_boundary_with_an_ellipsis():
    text = "<p>" + "Częstochowa Arūnė Bernatonytė " * 20 + "</p>"
    cut = excerpt(text, 100)
    assert cut.endswith("…")
    assert len(cut) <= 101
    assert cut[:-1].split()[-1] in {"Częstochowa", "Arūnė", "Bernatonytė"}


def test_an_excerpt_keeps_paragraphs_and_list_items_apart():
    assert excerpt("<p>One.</p><ul><li>Two</li><li>Three</li></ul>") == "One. Two Three"


@given(st.text(max_size=500), st.integers(min_value=20, max_value=300))
def test_an_excerpt_is_never_longer_than_asked_plus_the_ellipsis(text, max_chars):
    assert len(excerpt(text, max_chars)) <= max_chars + 1
