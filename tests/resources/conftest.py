from dataclasses import dataclass, field

import pytest

from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    CountryFactory,
    RegionFactory,
    ResourceFactory,
)


@dataclass
class Record:
    """What a test knows of a resource, to compute expected results without the database."""

    resource: object
    country: set = field(default_factory=set)
    region: set = field(default_factory=set)
    category: set = field(default_factory=set)
    author: set = field(default_factory=set)
    year: set = field(default_factory=set)


@pytest.fixture
def library(db) -> list[Record]:
    """Sixteen published resources spread over 3 countries, 2 regions, 2 categories,
    3 authors and 4 years, some with two countries or authors (a pattern, not random)."""
    countries = [CountryFactory(name=f"Country {c}", slug=f"country-{c}") for c in "abc"]
    regions = [RegionFactory(name=f"Region {r}", slug=f"region-{r}") for r in "xy"]
    categories = [CategoryFactory(name=f"Category {c}", slug=f"category-{c}") for c in "pq"]
    authors = [AuthorFactory(name=f"Author {a}", slug=f"author-{a}") for a in "lmn"]
    records = []
    for n in range(16):
        chosen_countries = [countries[n % 3]] + ([countries[(n + 1) % 3]] if n % 4 == 0 else [])
        chosen_regions = [regions[n % 2]] if n % 5 else []
        chosen_authors = [authors[n % 3]] + ([authors[(n + 2) % 3]] if n % 3 == 1 else [])
        category = categories[(n // 2) % 2]
        year = 2018 + n % 4
        resource = ResourceFactory(
            title=f"Library resource {n}",
            countries=chosen_countries,
            regions=chosen_regions,
            authors=chosen_authors,
            category=category,
            year=year,
        )
        records.append(
            Record(
                resource,
                country={c.slug for c in chosen_countries},
                region={r.slug for r in chosen_regions},
                category={category.slug},
                author={a.slug for a in chosen_authors},
                year={str(year)},
            )
        )
    return records
