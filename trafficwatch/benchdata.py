"""Synthetic data at scale for the benchmarks (`manage.py seedbench`), inserted in bulk.

Rows are built in memory and written in batches inside one transaction: bulk_create for
the content, one INSERT ... SELECT unnest(...) per batch for the link rows (M2M through
rows, authorships, tagged items); no per-row save(). Slugs and emails carry a `bench-`
prefix and a counter that continues after the bench rows already there, so a second run
adds as many rows again instead of colliding.
"""

import random
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, models, transaction
from django.db.models.functions import Cast, Replace
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem

from news.models import Article, Section, Source
from newsletter.models import Subscriber
from resources.cache import invalidate as invalidate_library_cache
from resources.models import (
    Author,
    Category,
    Country,
    Region,
    Resource,
    ResourceAuthor,
)

from .html import excerpt, sanitize_html

BATCH_SIZE = 5_000
AUTHOR_POOL_SIZE = 20_000
TAG_POOL_SIZE = 2_000  # the tags articles are drawn from (issue #3)
DRAFT_SHARE = 0.05
RESOURCE_PREFIX = "bench-resource-"
ARTICLE_PREFIX = "bench-article-"
AUTHOR_PREFIX = "bench-author-"
SUBSCRIBER_PREFIX = "bench-"
SUBSCRIBER_DOMAIN = "@example.org"

COUNTRIES = [
    "Afghanistan", "Albania", "Algeria", "Andorra", "Angola", "Antigua and Barbuda",
    "Argentina", "Armenia", "Australia", "Austria", "Azerbaijan", "Bahamas", "Bahrain",
    "Bangladesh", "Barbados", "Belarus", "Belgium", "Belize", "Benin", "Bhutan", "Bolivia",
    "Bosnia and Herzegovina", "Botswana", "Brazil", "Brunei", "Bulgaria", "Burkina Faso",
    "Burundi", "Cabo Verde", "Cambodia", "Cameroon", "Canada", "Central African Republic",
    "Chad", "Chile", "China", "Colombia", "Comoros", "Congo", "Costa Rica", "Côte d'Ivoire",
    "Croatia", "Cuba", "Cyprus", "Czechia", "Democratic Republic of the Congo", "Denmark",
    "Djibouti", "Dominica", "Dominican Republic", "Ecuador", "Egypt", "El Salvador",
    "Equatorial Guinea", "Eritrea", "Estonia", "Eswatini", "Ethiopia", "Fiji", "Finland",
    "France", "Gabon", "Gambia", "Georgia", "Germany", "Ghana", "Greece", "Grenada",
    "Guatemala", "Guinea", "Guinea-Bissau", "Guyana", "Haiti", "Holy See", "Honduras",
    "Hungary", "Iceland", "India", "Indonesia", "Iran", "Iraq", "Ireland", "Israel", "Italy",
    "Jamaica", "Japan", "Jordan", "Kazakhstan", "Kenya", "Kiribati", "Kosovo", "Kuwait",
    "Kyrgyzstan", "Laos", "Latvia", "Lebanon", "Lesotho", "Liberia", "Libya", "Liechtenstein",
    "Lithuania", "Luxembourg", "Madagascar", "Malawi", "Malaysia", "Maldives", "Mali", "Malta",
    "Marshall Islands", "Mauritania", "Mauritius", "Mexico", "Micronesia", "Moldova", "Monaco",
    "Mongolia", "Montenegro", "Morocco", "Mozambique", "Myanmar", "Namibia", "Nauru", "Nepal",
    "Netherlands", "New Zealand", "Nicaragua", "Niger", "Nigeria", "North Korea",
    "North Macedonia", "Norway", "Oman", "Pakistan", "Palau", "Palestine", "Panama",
    "Papua New Guinea", "Paraguay", "Peru", "Philippines", "Poland", "Portugal", "Qatar",
    "Romania", "Russia", "Rwanda", "Saint Kitts and Nevis", "Saint Lucia",
    "Saint Vincent and the Grenadines", "Samoa", "San Marino", "São Tomé and Príncipe",
    "Saudi Arabia", "Senegal", "Serbia", "Seychelles", "Sierra Leone", "Singapore", "Slovakia",
    "Slovenia", "Solomon Islands", "Somalia", "South Africa", "South Korea", "South Sudan",
    "Spain", "Sri Lanka", "Sudan", "Suriname", "Sweden", "Switzerland", "Syria", "Taiwan",
    "Tajikistan", "Tanzania", "Thailand", "Timor-Leste", "Togo", "Tonga",
    "Trinidad and Tobago", "Tunisia", "Türkiye", "Turkmenistan", "Tuvalu", "Uganda", "Ukraine",
    "United Arab Emirates", "United Kingdom", "United States", "Uruguay", "Uzbekistan",
    "Vanuatu", "Venezuela", "Viet Nam", "Yemen", "Zambia", "Zimbabwe",
    # Then territories, as a library's country list holds them too: about 250 in all.
    "American Samoa", "Anguilla", "Aruba", "Bermuda", "Bonaire", "British Virgin Islands",
    "Cayman Islands", "Christmas Island", "Cook Islands", "Curaçao", "Falkland Islands",
    "Faroe Islands", "French Guiana", "French Polynesia", "Gibraltar", "Greenland",
    "Guadeloupe", "Guam", "Guernsey", "Hong Kong", "Isle of Man", "Jersey", "Macao",
    "Martinique", "Mayotte", "Montserrat", "New Caledonia", "Niue", "Norfolk Island",
    "Northern Mariana Islands", "Pitcairn Islands", "Puerto Rico", "Réunion",
    "Saint Barthélemy", "Saint Helena", "Saint Martin", "Saint Pierre and Miquelon",
    "Sint Maarten", "Svalbard", "Tokelau", "Turks and Caicos Islands",
    "United States Virgin Islands", "Wallis and Futuna", "Western Sahara", "Åland Islands",
    "Azores", "Canary Islands", "Ceuta", "Melilla", "Madeira", "Zanzibar", "Kurdistan Region",
    "Transnistria",
]  # fmt: skip
REGIONS = [
    "Worldwide", "Europe", "European Union", "Western Europe", "Central and Eastern Europe",
    "South-Eastern Europe", "Western Balkans", "Baltic States", "Nordic countries",
    "Mediterranean", "North Africa", "West Africa", "East Africa", "Southern Africa",
    "Middle East", "Central Asia", "South Asia", "South-East Asia", "East Asia",
    "Latin America and the Caribbean", "North America", "Oceania", "Caribbean",
    "Central America", "South America", "Sub-Saharan Africa", "Gulf States", "Black Sea region",
    "Pacific Islands", "Arctic",
]  # fmt: skip
CATEGORIES = [
    "Report", "Guide", "Training curriculum", "Policy brief", "Research paper", "Toolkit",
    "Evaluation", "Legislation", "Statistics", "Case study", "Handbook", "Manual",
    "Factsheet", "Infographic", "Video", "Podcast", "Webinar recording", "Position paper",
    "Court decision", "Annual report", "Country report", "Data set", "Journal article",
    "Newsletter", "Presentation",
]  # fmt: skip
SECTIONS = [("news-flash", "News Flash"), ("european-resource-center", "European Resource Center")]
SOURCES = [
    ("Eurojust", "https://www.eurojust.europa.eu"), ("Europol", "https://www.europol.europa.eu"),
    ("UNODC", "https://www.unodc.org"), ("IOM", "https://www.iom.int"),
    ("OSCE", "https://www.osce.org"), ("La Strada International", "https://www.lastradainternational.org"),
    ("Council of Europe", "https://www.coe.int"), ("Associated Press", "https://apnews.com"),
    ("Reuters", "https://www.reuters.com"), ("Balkan Insight", "https://balkaninsight.com"),
]  # fmt: skip
TAGS = [
    "labour exploitation", "sexual exploitation", "forced criminality", "forced begging",
    "child trafficking", "domestic servitude", "debt bondage", "forced marriage",
    "organ removal", "online recruitment", "supply chains", "victim identification",
    "national referral mechanism", "non-punishment principle", "compensation",
    "prosecution", "Eurojust", "Europol", "GRETA", "asylum", "migration", "agriculture",
    "construction", "care work", "fishing", "Ukraine", "Nigeria", "Romania", "Poland",
    "Częstochowa", "data protection", "shelters", "hotlines", "training", "EU Directive",
]  # fmt: skip
GIVEN_NAMES = [
    "Anna", "Markéta", "Arūnė", "Łukasz", "Søren", "Zoë", "José", "María", "Ioana", "Ştefan",
    "Dóra", "Jürgen", "Ahmed", "Fatima", "Chioma", "Olena", "Mykola", "Ewa", "Tomasz", "Lucía",
    "François", "Hélène", "Giulia", "Marco", "Nikola", "Ljiljana", "Eero", "Aino", "Ingrid",
    "Pádraig", "Siobhán", "Ruth", "David", "Amina", "Kofi", "Thi Lan", "Minh", "Priya", "Arjun",
    "Grace", "Peter", "Sofía", "Matteo", "Kateřina", "Jiří", "Agnė", "Jonas", "Elīna", "Mārtiņš",
    "Kristiina", "Björn", "Ágnes", "Gergely", "Nataša", "Bojan", "Emine", "Mehmet", "Sara",
    "Laura", "Ben",
]  # fmt: skip
FAMILY_NAMES = [
    "Novák", "Kowalska", "Petrauskaitė", "Jensen", "García", "Popescu", "Nagy", "Müller",
    "Okafor", "Shevchenko", "Wiśniewski", "Dubois", "Rossi", "Jovanović", "Virtanen", "Larsen",
    "O'Brien", "Murphy", "Cohen", "Mensah", "Nguyen", "Sharma", "Smith", "Fernández", "Bianchi",
    "Dvořák", "Kazlauskas", "Bērziņa", "Tamm", "Lindqvist", "Szabó", "Horvat", "Yılmaz",
    "Von Hagen", "De Vries", "Van den Berg", "Papadopoulou", "Ivanova", "Hoxha", "Kovačević",
    "Sánchez", "Silva", "Pereira", "Schmidt", "Weber", "Fischer", "Lambert", "Moreau", "Conti",
    "Marino", "Zielińska", "Lewandowski", "Stoica", "Dumitrescu", "Kovács", "Tóth", "Berg",
    "Nieminen", "Hansen", "Ødegård",
]  # fmt: skip
PLACES = [
    "Częstochowa", "Łódź", "Brașov", "Plzeň", "Kaunas", "Rīga", "Tartu", "Győr", "Niš",
    "Škofja Loka", "Málaga", "Almería", "Göteborg", "Malmö", "Thessaloniki", "Constanța",
    "Napoli", "Marseille", "Rotterdam", "Antwerp", "Lagos", "Benin City", "Chișinău", "Odesa",
    "Tiranë", "Sarajevo", "Zürich", "Kraków", "Vilnius", "São Paulo",
]  # fmt: skip
TOPICS = [
    "trafficking in human beings", "labour exploitation", "sexual exploitation",
    "forced criminality", "forced begging", "child trafficking", "domestic servitude",
    "debt bondage", "forced marriage", "trafficking for organ removal", "online recruitment",
    "exploitation in supply chains", "trafficking of unaccompanied minors",
]  # fmt: skip
SECTORS = [
    "agriculture", "construction", "the care sector", "hospitality", "the fishing industry",
    "meat processing", "domestic work", "the garment industry", "logistics", "nail bars",
]  # fmt: skip
ACTORS = [
    "labour inspectors", "police officers", "prosecutors", "NGO caseworkers",
    "border guards", "social workers", "health professionals", "judges", "trade unions",
    "cultural mediators", "child protection services",
]  # fmt: skip
PEOPLE = [
    "victims", "presumed victims", "survivors", "migrant workers", "asylum seekers",
    "children in care", "seasonal workers", "young women", "third-country nationals",
]  # fmt: skip
MEASURES = [
    "the national referral mechanism", "early identification", "the reflection period",
    "the non-punishment principle", "compensation for victims", "safe accommodation",
    "joint investigation teams", "financial investigations", "multi-agency cooperation",
    "risk assessment", "residence permits for victims", "victim-centred interviewing",
]  # fmt: skip
DOCUMENTS = [
    "report", "study", "guide", "handbook", "toolkit", "assessment", "evaluation",
    "training manual", "policy brief", "review",
]  # fmt: skip
PUBLISHERS = [
    "La Strada International", "OSCE/ODIHR", "UNODC", "IOM", "Council of Europe – GRETA",
    "European Commission", "ILO", "ICMPD", "EU Agency for Fundamental Rights",
    "Anti-Slavery International", "KOK e.V.", "Fundación Amaranta", "Caritas Europa",
    "Fundacja La Strada", "Arūnė Institute",
]  # fmt: skip
LANGUAGES = ["English"] * 12 + ["French", "German", "Spanish", "Polish", "Romanian", "Czech"]

TITLES = [
    "{Topic} in {sector}: {document} from {place}",
    "Identifying {people} of {topic} in {country}",
    "{Measure} in {country} and {country2}: a {document}",
    "Who protects {people}? {Topic} and {measure}",
    "{Topic} across borders: lessons from {place}",
    "A {document} for {actors} on {measure}",
    "From recruitment to exploitation: {topic} in {country}",
    "{Topic} and the role of {actors} in {place}",
]  # fmt: skip
SENTENCES = [
    "This {document} examines {topic} in {country}, drawing on interviews with {actors}.",
    "It maps how {actors} apply {measure} and where {people} fall through the gaps.",
    "Case files from {place} show that {topic} often begins with recruitment online.",
    "The authors recommend investing in {measure} and in specialised NGOs.",
    "Most {people} interviewed had worked in {sector} before they were identified.",
    "The {document} compares practice in {country} and {country2} between 2015 and 2025.",
    "It closes with a checklist that {actors} can use in their first contact with {people}.",
    "Data from {place} suggest that identification rates remain far below estimates.",
]  # fmt: skip
HEADLINES = [
    "{Actors} in {country} dismantle network exploiting {people} in {sector}",
    "Court in {place} convicts recruiters for {topic}",
    "New {document} on {topic} published in {country}",
    "{Country} adopts plan to strengthen {measure}",
    "Joint operation frees {number} {people} from {topic} in {place}",
    "{Actors} trained on {measure} in {place}",
]  # fmt: skip


class Draw:
    """Draws from a seeded generator; cheaper than random.choice and sample in the hot loops.

    The vocabulary of a template slot is SLOTS[name]; a capitalised slot ({Topic})
    repeats the value of its lower-case twin with a capital first letter.
    """

    SLOTS = {
        "topic": TOPICS, "measure": MEASURES, "actors": ACTORS, "country": COUNTRIES,
        "country2": COUNTRIES, "people": PEOPLE, "sector": SECTORS, "place": PLACES,
        "document": DOCUMENTS, "number": [str(n) for n in range(3, 141)],
    }  # fmt: skip

    def __init__(self, seed: int | None):
        self.random = random.Random(seed).random

    def chance(self, probability: float) -> bool:
        return self.random() < probability

    def pick(self, values: list):
        return values[int(self.random() * len(values))]

    def between(self, low: int, high: int) -> int:
        """Return an integer from low to high, both included."""
        return low + int(self.random() * (high - low + 1))

    def distinct(self, values: list, low: int, high: int) -> list:
        """Return low to high different items of values (which holds no duplicates)."""
        wanted = min(self.between(low, high), len(values))
        chosen = {}  # a dict keeps the order drawn: author positions
        while len(chosen) < wanted:
            chosen[self.pick(values)] = None
        return list(chosen)

    def distinct_skewed(self, values: list, low: int, high: int) -> list:
        """Like distinct(), but the first values come up far more often than the last.

        The index is len(values) * u³ for a uniform u: with 2,000 tags the first carries
        about 8% of all taggings, the first 35 a quarter, as a few tags do on a real site.
        """
        wanted = min(self.between(low, high), len(values))
        chosen = {}
        while len(chosen) < wanted:
            chosen[values[int(len(values) * self.random() ** 3)]] = None
        return list(chosen)

    def fill(self, template: str) -> str:
        """Fill a title or sentence template with words from the field's vocabulary."""
        return template.format_map(_Slots(self))

    def moment(self, now: datetime, *, days_back: int) -> datetime:
        """Return a time in the past days_back days."""
        return now - timedelta(seconds=self.between(60, days_back * 24 * 60 * 60))


class _Slots(dict):
    def __init__(self, draw: Draw):
        super().__init__()
        self.draw = draw

    def __missing__(self, name: str) -> str:
        if name[0].isupper():
            lower = self[name[0].lower() + name[1:]]
            value = lower[0].upper() + lower[1:]
        else:
            value = self.draw.pick(Draw.SLOTS[name])
        self[name] = value
        return value


def seed_bench(
    *,
    resources: int = 0,
    articles: int = 0,
    subscribers: int = 0,
    tags: int = TAG_POOL_SIZE,
    seed: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> tuple[Counter, float]:
    """Add synthetic resources, articles and subscribers in bulk; return row counts and seconds.

    The counts name every kind of row written (resources, authorships, tagged_items, ...).
    """
    draw = Draw(seed)
    counts = Counter(resources=0, articles=0, subscribers=0)
    started = time.perf_counter()
    written: list[type[models.Model]] = []
    with transaction.atomic():
        triggers_off = skip_triggers()
        if resources:
            with indexes_built_after(Resource, LATE_INDEXES if resources >= LATE_INDEX_MIN else []):
                create_resources(resources, draw, batch_size, counts)
            if triggers_off:
                # The triggers that change the library's version did not run: the facet
                # indexes of running processes would hold the library as it was.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT resources_libraryversion_bump()")
            written += [Resource, Resource.countries.through, Resource.regions.through]
            written += [ResourceAuthor, Author]
        if articles:
            create_articles(articles, draw, batch_size, counts, tag_pool=tags)
            written += [Article, TaggedItem, Tag]
        if subscribers:
            create_subscribers(subscribers, draw, batch_size, counts)
            written += [Subscriber]
    analyze(written)
    if resources:
        invalidate_library_cache()  # bulk_create sends no signals (resources/signals.py)
    return counts, time.perf_counter() - started


# GIN indexes of resources, built once after the rows rather than entry by entry (the
# titles' trigrams and the search vectors' lexemes): from LATE_INDEX_MIN resources on.
LATE_INDEXES = ["resource_search_vector", "resource_title_trgm"]
LATE_INDEX_MIN = 20_000


def skip_triggers() -> bool:
    """Turn off the triggers of this transaction's writes, if allowed; return whether so.

    The rows seedbench writes hold valid ids by construction, so the foreign keys' checks
    (1.1 million for 100,000 resources, all run at COMMIT as they are deferred) and the
    library version's triggers (resources migration 0013; bumped once at the end instead)
    are work for nothing. session_replication_role takes a superuser, as the bench database's
    owner usually is; otherwise every check runs, as before.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


@contextmanager
def indexes_built_after(model: type[models.Model], names: list[str]):
    """Drop the named indexes of model's table, and create them again on leaving."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname = ANY(%s)",
            [model._meta.db_table, names],
        )
        definitions = cursor.fetchall()
        for name, _definition in definitions:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in definitions:
            cursor.execute(definition)


def analyze(written: list[type[models.Model]]) -> None:
    """Refresh the planner's statistics of these tables.

    Until autovacuum comes by, a table that just grew by 100,000 rows is planned as if it
    were nearly empty; measured at full size, that made the library page 5x slower.
    """
    if not written:
        return
    quote = connection.ops.quote_name
    tables = ", ".join(quote(model._meta.db_table) for model in written)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def batches(total: int, size: int) -> list[tuple[int, int]]:
    """Return (start, stop) pairs covering range(total) in steps of size."""
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def pipelined(total: int, batch_size: int, build: Callable, write: Callable) -> None:
    """Build batch n + 1 in a thread (pure Python, no database) while batch n is written.

    psycopg2 releases the GIL while PostgreSQL works, so building overlaps writing: about
    12% off the time for 100,000 resources on two cores.
    """
    ranges = batches(total, batch_size)
    if not ranges:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seedbench") as builder:
        upcoming = builder.submit(build, *ranges[0])
        for following in [*ranges[1:], None]:
            batch = upcoming.result()
            if following is not None:
                upcoming = builder.submit(build, *following)
            write(batch)


class Links:
    """Rows of a link table (M2M through rows, authorships, tagged items) for one batch.

    The first field is the owner: rows name it by its index in the batch until insert()
    learns the ids bulk_create returned. Link rows are four in five of the rows seedbench
    writes; as model instances through bulk_create they cost about 45 µs each (instance,
    then SQL compilation), as integer arrays unnested by PostgreSQL next to nothing.
    """

    def __init__(self, model: type[models.Model], owner_field: str, *field_names: str):
        self.model = model
        self.columns = [model._meta.get_field(name).column for name in (owner_field, *field_names)]
        self.values: list[list[int]] = [[] for _ in self.columns]

    def add(self, owner_index: int, *values: int) -> None:
        for column, value in zip(self.values, (owner_index, *values), strict=True):
            column.append(value)

    def insert(self, owner_ids: list[int]) -> int:
        """Insert the rows, owners resolved to owner_ids; return how many."""
        if not self.values[0]:
            return 0
        self.values[0] = [owner_ids[index] for index in self.values[0]]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column) for column in self.columns)
        arrays = ", ".join(["%s::bigint[]"] * len(self.columns))
        # Array literals ('{1,2,3}'): psycopg2 would send ARRAY[1, 2, 3], one parser node each.
        literals = ["{" + ",".join(map(str, column)) + "}" for column in self.values]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(self.model._meta.db_table)} ({columns}) "
                f"SELECT * FROM unnest({arrays})",
                literals,
            )
        return len(self.values[0])


def next_number(queryset: models.QuerySet, field_name: str, prefix: str, suffix: str = "") -> int:
    """Return the counter after the highest `prefix<digits><suffix>` value in field_name."""
    pattern = f"^{re.escape(prefix)}[0-9]{{1,12}}{re.escape(suffix)}$"
    digits = Replace(Replace(field_name, models.Value(prefix)), models.Value(suffix))
    highest = queryset.filter(**{f"{field_name}__regex": pattern}).aggregate(
        highest=models.Max(Cast(digits, models.BigIntegerField()))
    )["highest"]
    return (highest or 0) + 1


def ensure_terms(model: type[models.Model], names: list[str]) -> list[int]:
    """Create the named terms that are missing; return the ids of all of them."""
    slugs = [slugify(name) for name in names]
    model.objects.bulk_create(
        [model(name=name, slug=slug) for name, slug in zip(names, slugs, strict=True)],
        ignore_conflicts=True,  # demo content may already hold some of them
    )
    terms = model.objects.filter(models.Q(name__in=names) | models.Q(slug__in=slugs))
    return list(terms.order_by("pk").values_list("pk", flat=True))


MIDDLE_INITIALS = "ABCDEFGHIJKLMNOPRSTVWZ"


def author_name(index: int) -> tuple[str, str]:
    """Return (name, sort name) of pool author number index; the same index, the same name.

    The first 3,600 are every given name with every family name ("Anna Novák"); the next
    add a middle initial ("Anna K. Novák"), enough for 79,200 different names.
    """
    given = GIVEN_NAMES[index % len(GIVEN_NAMES)]
    family = FAMILY_NAMES[(index // len(GIVEN_NAMES) + index) % len(FAMILY_NAMES)]
    combinations = len(GIVEN_NAMES) * len(FAMILY_NAMES)
    if index >= combinations:
        initial = MIDDLE_INITIALS[(index // combinations - 1) % len(MIDDLE_INITIALS)]
        given = f"{given} {initial}."
    return f"{given} {family}", f"{family}, {given}"


def ensure_author_pool(batch_size: int) -> list[int]:
    """Create the pool authors that are missing; return the ids of the whole pool."""
    slugs = [f"{AUTHOR_PREFIX}{index:05d}" for index in range(1, AUTHOR_POOL_SIZE + 1)]
    existing = set(Author.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    missing = []
    for index, slug in enumerate(slugs, start=1):
        if slug not in existing:
            name, sort_name = author_name(index)
            missing.append(Author(name=name, sort_name=sort_name, slug=slug))
    Author.objects.bulk_create(missing, batch_size=batch_size)
    return list(Author.objects.filter(slug__in=slugs).values_list("pk", flat=True))


def create_resources(total: int, draw: Draw, batch_size: int, counts: Counter) -> None:
    countries = ensure_terms(Country, COUNTRIES)
    regions = ensure_terms(Region, REGIONS)
    categories = ensure_terms(Category, CATEGORIES)
    authors = ensure_author_pool(batch_size)
    counts.update(countries=len(countries), regions=len(regions), categories=len(categories))
    counts.update(author_pool=len(authors))
    number = next_number(Resource.objects.all(), "slug", RESOURCE_PREFIX)
    now = timezone.now()
    # search_terms is filled here, as resources.models.search_terms_expression() would
    # (authors in order, category, countries, regions): refreshing 100k rows afterwards
    # takes longer than the whole seeding.
    name_of = {
        model: dict(model.objects.values_list("pk", "name"))
        for model in (Country, Region, Category, Author)
    }

    def search_terms(author_ids, category_id, country_ids, region_ids) -> str:
        return " ".join(
            [
                " ".join(name_of[Author][pk] for pk in author_ids),
                name_of[Category][category_id],
                " ".join(sorted(name_of[Country][pk] for pk in country_ids)),
                " ".join(sorted(name_of[Region][pk] for pk in region_ids)),
            ]
        )

    def build(start: int, stop: int) -> tuple[list[Resource], list[Links]]:
        rows = []
        country_links = Links(Resource.countries.through, "resource", "country")
        region_links = Links(Resource.regions.through, "resource", "region")
        authorships = Links(ResourceAuthor, "resource", "author", "position")
        for index, counter in enumerate(range(number + start, number + stop)):
            published = not draw.chance(DRAFT_SHARE)
            category_id = draw.pick(categories)
            country_ids = draw.distinct(countries, 1, 3)
            region_ids = draw.distinct(regions, 1, 2)
            author_ids = draw.distinct(authors, 0, 4)
            rows.append(
                Resource(
                    title=draw.fill(draw.pick(TITLES)),
                    slug=f"{RESOURCE_PREFIX}{counter:08d}",
                    summary=" ".join(draw.fill(s) for s in draw.distinct(SENTENCES, 2, 4)),
                    year=draw.between(1995, 2026),
                    category_id=category_id,
                    publisher=draw.pick(PUBLISHERS),
                    language=draw.pick(LANGUAGES),
                    external_url=f"https://example.org/library/{counter}",
                    status=Resource.Status.PUBLISHED if published else Resource.Status.DRAFT,
                    published_at=draw.moment(now, days_back=10 * 365) if published else None,
                    search_terms=search_terms(author_ids, category_id, country_ids, region_ids),
                )
            )
            for country_id in country_ids:
                country_links.add(index, country_id)
            for region_id in region_ids:
                region_links.add(index, region_id)
            for position, author_id in enumerate(author_ids):
                authorships.add(index, author_id, position)
        return rows, [country_links, region_links, authorships]

    def write(batch: tuple[list[Resource], list[Links]]) -> None:
        rows, (country_links, region_links, authorships) = batch
        Resource.objects.bulk_create(rows, batch_size=batch_size)
        ids = [resource.pk for resource in rows]
        counts["resources"] += len(rows)
        counts["resource_countries"] += country_links.insert(ids)
        counts["resource_regions"] += region_links.insert(ids)
        counts["authorships"] += authorships.insert(ids)

    pipelined(total, batch_size, build, write)


def tag_names(count: int) -> list[str]:
    """Return count distinct tag names, the field's own first; the same count, the same names."""
    # Then countries, then topics by country ("labour exploitation in Albania").
    names: dict[str, str] = {}
    combinations = (f"{topic} in {country}" for country in COUNTRIES for topic in TOPICS)
    for name in [*TAGS, *COUNTRIES, *combinations]:
        if len(names) == count:
            break
        names.setdefault(slugify(name), name)
    return list(names.values())


def ensure_news_taxonomy(tag_pool: int) -> tuple[int, int, list[int], list[int]]:
    """Return the ids of the two sections, the sources and the tags, creating what is missing.

    The tag ids come in the order of tag_names(): the first are the most used.
    """
    news_flash, resource_center = (
        Section.objects.get_or_create(slug=slug, defaults={"name": name})[0].pk
        for slug, name in SECTIONS
    )
    sources = [
        Source.objects.get_or_create(name=name, defaults={"home_page": url})[0].pk
        for name, url in SOURCES
    ]
    names = tag_names(tag_pool)
    tag_slugs = [slugify(name) for name in names]
    Tag.objects.bulk_create(
        [Tag(name=name, slug=slug) for name, slug in zip(names, tag_slugs, strict=True)],
        ignore_conflicts=True,
        batch_size=BATCH_SIZE,
    )
    found = Tag.objects.filter(models.Q(name__in=names) | models.Q(slug__in=tag_slugs))
    ids = {}
    for pk, name, slug in found.values_list("pk", "name", "slug"):
        ids.setdefault(name, pk)
        ids.setdefault(slug, pk)
    tags = [ids.get(name) or ids[slug] for name, slug in zip(names, tag_slugs, strict=True)]
    return news_flash, resource_center, sources, list(dict.fromkeys(tags))


def article_body(draw: Draw) -> str:
    paragraphs = [
        f"<p>{' '.join(draw.fill(s) for s in draw.distinct(SENTENCES, 2, 4))}</p>"
        for _ in range(draw.between(3, 6))
    ]
    if draw.chance(0.3):
        paragraphs.insert(1, f"<h2>{draw.fill(draw.pick(TITLES))}</h2>")
    return "\n".join(paragraphs)


def create_articles(
    total: int, draw: Draw, batch_size: int, counts: Counter, *, tag_pool: int = TAG_POOL_SIZE
) -> None:
    news_flash, resource_center, sources, tags = ensure_news_taxonomy(tag_pool)
    counts.update(sections=2, sources=len(sources), tags=len(tags))
    content_type_id = ContentType.objects.get_for_model(Article).pk
    number = next_number(Article.objects.all(), "slug", ARTICLE_PREFIX)
    now = timezone.now()

    def build(start: int, stop: int) -> tuple[list[Article], Links]:
        rows = []
        tagged = Links(TaggedItem, "object_id", "tag", "content_type")
        for index, counter in enumerate(range(number + start, number + stop)):
            # Article.save() sanitizes the body and derives the teaser; bulk_create skips it.
            body = sanitize_html(article_body(draw))
            source_id = draw.pick(sources) if draw.chance(0.8) else None
            published = not draw.chance(DRAFT_SHARE)
            rows.append(
                Article(
                    title=draw.fill(draw.pick(HEADLINES)),
                    slug=f"{ARTICLE_PREFIX}{counter:08d}",
                    standfirst=draw.fill(draw.pick(SENTENCES)),
                    body=body,
                    teaser=excerpt(body, Article.TEASER_LENGTH),
                    source_id=source_id,
                    source_url=f"https://example.org/news/{counter}" if source_id else "",
                    byline=author_name(draw.between(1, AUTHOR_POOL_SIZE))[0],
                    # News Flash carries most stories; the Resource Center picks are fewer.
                    section_id=news_flash if draw.chance(0.7) else resource_center,
                    status=Article.Status.PUBLISHED if published else Article.Status.DRAFT,
                    published_at=draw.moment(now, days_back=6 * 365),
                )
            )
            for tag_id in draw.distinct_skewed(tags, 1, 4):
                tagged.add(index, tag_id, content_type_id)
        return rows, tagged

    def write(batch: tuple[list[Article], Links]) -> None:
        rows, tagged = batch
        Article.objects.bulk_create(rows, batch_size=batch_size)
        counts["articles"] += len(rows)
        counts["tagged_items"] += tagged.insert([article.pk for article in rows])

    pipelined(total, batch_size, build, write)


def subscriber_status(draw: Draw) -> str:
    """Return a status: three in four confirmed, the rest pending or unsubscribed."""
    roll = draw.random()
    if roll < 0.75:
        return Subscriber.Status.CONFIRMED
    return Subscriber.Status.PENDING if roll < 0.9 else Subscriber.Status.UNSUBSCRIBED


def create_subscribers(total: int, draw: Draw, batch_size: int, counts: Counter) -> None:
    number = next_number(Subscriber.objects.all(), "email", SUBSCRIBER_PREFIX, SUBSCRIBER_DOMAIN)
    now = timezone.now()

    def build(start: int, stop: int) -> list[Subscriber]:
        rows = []
        for counter in range(number + start, number + stop):
            status = subscriber_status(draw)
            consented_at = draw.moment(now, days_back=5 * 365)
            confirmed_at = min(now, consented_at + timedelta(minutes=draw.between(1, 2880)))
            # Only the fields every version of Subscriber has: the model is still growing.
            rows.append(
                Subscriber(
                    email=f"{SUBSCRIBER_PREFIX}{counter:07d}{SUBSCRIBER_DOMAIN}",
                    name=author_name(draw.between(1, AUTHOR_POOL_SIZE))[0]
                    if draw.chance(0.6)
                    else "",
                    status=status,
                    consent_text="I agree to receive the TraffickingWatch newsletter.",
                    consented_at=consented_at,
                    confirmed_at=None if status == Subscriber.Status.PENDING else confirmed_at,
                )
            )
        return rows

    def write(rows: list[Subscriber]) -> None:
        Subscriber.objects.bulk_create(rows, batch_size=batch_size)
        counts["subscribers"] += len(rows)

    pipelined(total, batch_size, build, write)
