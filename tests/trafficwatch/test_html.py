"""Staff HTML is sanitized on save; teasers are cut cleanly (trafficwatch/html.py)."""

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trafficwatch.html import excerpt, json_ld_script, sanitize_html


def test_script_tags_and_event_handlers_are_removed():
    cleaned = sanitize_html('<p onclick="steal()">Hi<script>alert(1)</script></p>')
    assert cleaned == "<p>Hi</p>"


def test_javascript_links_lose_their_href():
    assert "javascript" not in sanitize_html('<a href="javascript:alert(1)">x</a>')


def test_links_get_a_safe_rel():
    cleaned = sanitize_html('<a href="https://www.eurojust.europa.eu/">Eurojust</a>')
    assert 'rel="noopener noreferrer nofollow"' in cleaned


def test_a_link_opening_a_new_tab_keeps_its_target_next_to_a_safe_rel():
    cleaned = sanitize_html(
        '<a href="https://www.eurojust.europa.eu/" target="_blank">Eurojust</a>'
    )
    assert cleaned == (
        '<a href="https://www.eurojust.europa.eu/" target="_blank" '
        'rel="noopener noreferrer nofollow">Eurojust</a>'
    )


def test_a_rel_written_by_hand_is_replaced_by_the_safe_one():
    cleaned = sanitize_html('<a href="https://example.org/" target="_blank" rel="opener">x</a>')
    assert 'rel="noopener noreferrer nofollow"' in cleaned
    assert "opener" not in cleaned.replace("noopener", "")


@pytest.mark.parametrize("target", ["_top", "_parent", "_self", "frame1", "_BLANK "])
def test_targets_other_than_a_new_tab_are_removed(target):
    cleaned = sanitize_html(f'<a href="https://example.org/" target="{target}">x</a>')
    assert "target" not in cleaned


# OWASP XSS filter evasion cheat sheet cases, and what must not survive them.
XSS_PAYLOADS = {
    "script element": "<script>alert(1)</script>",
    "script split by a nested script": "<scr<script>ipt>alert(1)</script>",
    "img onerror": '<img src="x" onerror="alert(1)">',
    "img onerror without quotes": "<IMG SRC=x onerror=alert(String.fromCharCode(88,83,83))>",
    "svg onload": "<svg onload=alert(1)><circle r=1></svg>",
    "svg script": "<svg><script>alert(1)</script></svg>",
    "body onload": "<body onload=alert(1)>",
    "paragraph onclick": '<p onclick="alert(1)">click</p>',
    "javascript link": '<a href="javascript:alert(1)">x</a>',
    "javascript link in mixed case": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "javascript link with a leading space": '<a href=" javascript:alert(1)">x</a>',
    "javascript link with an embedded tab": '<a href="jav	ascript:alert(1)">x</a>',
    "javascript link with an encoded tab": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "javascript link with an encoded newline": '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    "javascript link in decimal entities": (
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;'
        '&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;">x</a>'
    ),
    "javascript link in hex entities without semicolons": (
        '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3Aalert(1)">x</a>'
    ),
    "vbscript link": '<a href="vbscript:msgbox(1)">x</a>',
    "data URL link": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "javascript in a blockquote cite": '<blockquote cite="javascript:alert(1)">q</blockquote>',
    "style attribute": '<p style="background:url(javascript:alert(1))">x</p>',
    "style element": "<style>@import 'https://evil.example/x.css';</style>",
    "iframe": '<iframe src="javascript:alert(1)"></iframe>',
    "iframe srcdoc": '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "object": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "form action": '<form action="javascript:alert(1)"><button>go</button></form>',
    "math link": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "noscript breakout": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "comment breakout": "<!--<img src=x onerror=alert(1)>-->",
    "base href": '<base href="javascript:alert(1)//">',
}
FORBIDDEN = re.compile(
    r"<\s*(script|img|svg|iframe|object|embed|style|meta|form|base|math|body)\b"
    r"|\son\w+\s*=|javascript:|vbscript:|data:|style=|srcdoc",
    re.IGNORECASE,
)


@pytest.mark.parametrize("payload", XSS_PAYLOADS.values(), ids=XSS_PAYLOADS.keys())
def test_xss_payloads_leave_nothing_executable(payload):
    assert FORBIDDEN.search(sanitize_html(payload)) is None


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


def test_json_ld_cannot_close_its_script_element():
    script = json_ld_script({"headline": "</script><script>alert(1)</script>"})
    assert script.count("</script>") == 1
    assert script.endswith("</script>")


def test_json_ld_keeps_its_values_intact_for_a_json_parser():
    headline = "</script><script>alert(1)</script> & Częstochowa"
    script = json_ld_script({"headline": headline})
    body = script.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert json.loads(body) == {"headline": headline}
