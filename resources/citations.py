"""A resource as a citation: formatted (APA-like), RIS and BibTeX. Pure functions.

Each takes a Resource whose authorships are prefetched (published_resources() does).
"""

import re
import unicodedata

from django.conf import settings

from .models import Author, Resource

# Categories cited as reports (RIS RPRT, BibTeX @techreport); everything else is generic.
REPORT_CATEGORIES = {"report", "reports", "research-paper", "research-papers", "study"}
WHITESPACE = re.compile(r"\s+")
# BibTeX's special characters, each escaped so a title can neither close a brace group
# nor start a comment or a command; the backslash first, or it would escape the others.
BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "^": r"\^{}",
    "~": r"\~{}",
}
# Letters NFKD does not split into an ASCII letter and an accent ("Łódź" → "lodz").
UNDECOMPOSABLE = str.maketrans(
    {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss", "Æ": "AE",
     "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "Th", "þ": "th", "ı": "i"}
)  # fmt: skip
BIBTEX_SPECIAL = re.compile("|".join(re.escape(char) for char in BIBTEX_ESCAPES))


def clean(text: str) -> str:
    """Collapse every run of whitespace, newlines included, into one space."""
    return WHITESPACE.sub(" ", text or "").strip()


def family_and_given(author: Author) -> tuple[str, str]:
    """Split the sort name "Von Hagen, Markéta" into ("Von Hagen", "Markéta")."""
    family, _, given = (author.sort_name or author.name).partition(",")
    return clean(family), clean(given)


def initials(given: str) -> str:
    """Return "M." for "Markéta", "J.-P." for "Jean-Pierre", "A. B." for "Anna Beata"."""
    return " ".join(
        "-".join(f"{part[0]}." for part in word.split("-") if part) for word in given.split()
    )


def is_report(resource: Resource) -> bool:
    return resource.category is not None and resource.category.slug in REPORT_CATEGORIES


def resource_url(resource: Resource) -> str:
    """Return the external URL, or else the absolute URL of the resource's page."""
    return resource.external_url or f"{settings.SITE_URL}{resource.get_absolute_url()}"


def formatted_citation(resource: Resource) -> str:
    """Return "Von Hagen, M. (2013). Title. Publisher. URL" (APA-like)."""
    names = []
    for author in resource.ordered_authors():
        family, given = family_and_given(author)
        names.append(f"{family}, {initials(given)}" if given else family)
    # APA puts ", &" before the last name, two authors included: "Ng, A., & Roy, B."
    names_text = (
        ", & ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)
    )
    year = f"({resource.year})" if resource.year else "(n.d.)"
    title = clean(resource.title)
    title = title if title.endswith((".", "?", "!")) else f"{title}."
    parts = [f"{names_text} {year}." if names_text else "", title]
    if not names_text:
        parts.append(f"{year}.")
    if resource.publisher:
        publisher = clean(resource.publisher)
        parts.append(publisher if publisher.endswith(".") else f"{publisher}.")
    parts.append(resource_url(resource))
    return " ".join(part for part in parts if part)


def ris(resource: Resource) -> str:
    """Return the resource as an RIS record (CRLF line ends, as the format specifies)."""
    lines = [("TY", "RPRT" if is_report(resource) else "GEN")]
    lines += [
        ("AU", clean(author.sort_name or author.name)) for author in resource.ordered_authors()
    ]
    if resource.year:
        lines.append(("PY", str(resource.year)))
    lines.append(("TI", resource.title))
    if resource.publisher:
        lines.append(("PB", resource.publisher))
    lines.append(("UR", resource_url(resource)))
    if resource.summary:
        lines.append(("AB", resource.summary))
    if resource.language:
        lines.append(("LA", resource.language))
    # Every value on one line: a newline in a title could otherwise start an "ER  -".
    record = [f"{tag}  - {clean(value)}" for tag, value in lines] + ["ER  - "]
    return "\r\n".join(record) + "\r\n"


def bibtex_escape(text: str) -> str:
    return BIBTEX_SPECIAL.sub(lambda match: BIBTEX_ESCAPES[match.group()], clean(text))


def ascii_words(text: str) -> list[str]:
    """Return the lowercase ASCII words of text: "Training-of-Trainers" → training, of, …"""
    ascii_text = unicodedata.normalize("NFKD", text.translate(UNDECOMPOSABLE))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", ascii_text.lower())


def bibtex_key(resource: Resource) -> str:
    """Return a stable key: first author's family name, year, first title word."""
    authors = resource.ordered_authors()
    family = "".join(ascii_words(family_and_given(authors[0])[0])) if authors else ""
    first_word = next(iter(ascii_words(resource.title)), "")
    return f"{family}{resource.year or ''}{first_word}" or "resource"


def bibtex(resource: Resource) -> str:
    """Return the resource as a BibTeX entry (@techreport for reports, @misc otherwise)."""
    report = is_report(resource)
    # "Family, Given" parses as such; a name without a comma (an organisation) is braced
    # whole, or BibTeX would take its last word for a family name.
    authors = [
        bibtex_escape(name) if "," in name else f"{{{bibtex_escape(name)}}}"
        for name in (
            clean(author.sort_name or author.name) for author in resource.ordered_authors()
        )
    ]
    fields = []
    if authors:
        fields.append(("author", " and ".join(authors)))
    # Double braces keep the capitals of the title as written.
    fields.append(("title", f"{{{bibtex_escape(resource.title)}}}"))
    if resource.publisher:
        fields.append(("institution" if report else "publisher", bibtex_escape(resource.publisher)))
    if resource.year:
        fields.append(("year", str(resource.year)))
    fields.append(("url", bibtex_escape(resource_url(resource))))
    if resource.language:
        fields.append(("language", bibtex_escape(resource.language)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{'techreport' if report else 'misc'}{{{bibtex_key(resource)},\n{body}\n}}\n"
