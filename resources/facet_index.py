"""The library's facet counts from an index of the published resources held in memory.

Counting the links of the filtered resources in PostgreSQL took 30-260 ms a request at
100,000 resources (a search of a common word matches 38,000 of them). Here the published
resources, their category, year and publication time, and their country, region and
author links are read once into numpy arrays; any combination of filters is then a few
boolean masks and np.bincount() over the links of the resources in the mask. A search
still runs in PostgreSQL, which sends the matching ids and their ranks only.

The same query serves the page of results (Ranking): the filters keep matches by the
masks, and a key of rank and year picks the matches that can be on the page, so the
page's own query reads those few rows, not every match again (3,500 heap blocks for
?q=Częstochowa). Titles are ordered there, in PostgreSQL's collation (a title's change
does not change the version).

The index is rebuilt when the library's version (migration 0013: changed by triggers in
every transaction that writes what the index holds, whichever code writes) is not the
one it was built from. The version is read by every request that counts, in the query
that also finds the search's matches, so a change committed by any process is seen by
the next request of every other.
"""

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import connection
from django.utils import timezone

from .models import Author, Category, Country, Region, Resource, ResourceAuthor

LINK_FACETS = {
    "country": (Resource.countries.through, Country),
    "region": (Resource.regions.through, Region),
    "author": (ResourceAuthor, Author),
}
TERM_MODELS = {**{facet: model for facet, (_, model) in LINK_FACETS.items()}, "category": Category}
VERSION_SQL = "SELECT number FROM resources_libraryversion"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def microseconds(moment: datetime) -> int:
    """Return moment as microseconds since 1970 (UTC), as the index keeps times."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_bytes(data, dtype: str) -> np.ndarray:
    """Return the big-endian numbers of a bytea built with int8send()/int4send()."""
    return np.frombuffer(bytes(data or b""), dtype=dtype).astype(dtype.lstrip(">"))


def positions_in(
    ids: np.ndarray,
    positions_by_id: np.ndarray | None,
    wanted: np.ndarray,
    *,
    with_found: bool = False,
):
    """Return the positions in ids (ascending) of the wanted ids it holds; with_found,
    also the mask of the wanted ids held."""
    if positions_by_id is not None:
        positions = positions_by_id[np.minimum(wanted, len(positions_by_id) - 1)]
        found = (positions >= 0) & (wanted < len(positions_by_id))
    elif len(ids):
        positions = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
        found = ids[positions] == wanted
    else:
        positions, found = np.zeros(len(wanted), dtype=np.intp), np.zeros(len(wanted), dtype=bool)
    return (positions[found], found) if with_found else positions[found]


@dataclass(frozen=True)
class Terms:
    """One facet's terms, by dense index (the order of their ids)."""

    ids: np.ndarray  # int64, ascending
    slugs: list[str]
    names: list[str]
    by_name: np.ndarray  # each term's place in ORDER BY name (PostgreSQL's collation)

    def indexes(self, ids) -> np.ndarray:
        """Return the dense indexes of the term ids that the index knows."""
        ids = np.asarray(list(ids), dtype=np.int64)
        found = np.searchsorted(self.ids, ids)
        found = found[found < len(self.ids)]
        return found[np.isin(self.ids[found], ids)]

    def options(self, counts: np.ndarray, limit: int | None) -> list[tuple[str, str, int]]:
        """Return (slug, name, count) of the terms counted: the largest `limit` (ties by
        id), most first, ties by name."""
        counted = np.flatnonzero(counts)
        if limit is not None and len(counted) > limit:
            # Only the terms counted at least as often as the limit-th largest can be in;
            # then the ties at that count are cut by id (lexsort: the last key first).
            values = counts[counted]
            least = np.partition(values, len(values) - limit)[len(values) - limit]
            counted = counted[values >= least]
            counted = counted[np.lexsort((counted, -counts[counted]))[:limit]]
        counted = counted[np.lexsort((self.by_name[counted], -counts[counted]))]
        return [(self.slugs[i], self.names[i], int(counts[i])) for i in counted]


@dataclass(frozen=True)
class Links:
    """The (resource, term) pairs of a many-to-many facet, in positions of the index."""

    # The pairs by resource, for counting: reading the mask in order is several times
    # faster than at random.
    resources: np.ndarray  # int32 positions of resources, ascending
    terms: np.ndarray  # int32 dense term indexes
    # Where each resource's pairs begin in resources and terms, one more than resources.
    resource_starts: np.ndarray
    # The pairs by term, for the masks: each term's resources (CSR).
    by_term: np.ndarray  # int32 positions of resources
    starts: np.ndarray  # where each term's resources begin in by_term, one more than terms

    def having(self, term_indexes: np.ndarray, size: int) -> np.ndarray:
        """Return the mask of resources linked to any of the terms."""
        mask = np.zeros(size, dtype=bool)
        for term in term_indexes:
            mask[self.by_term[self.starts[term] : self.starts[term + 1]]] = True
        return mask

    def counts(self, mask: np.ndarray, terms: int) -> np.ndarray:
        """Return how many of the resources in mask each term is linked to."""
        chosen = np.flatnonzero(mask)
        if len(chosen) * FEW_RESOURCES > len(mask):
            return np.bincount(self.terms[mask[self.resources]], minlength=terms)
        # Fewer resources (a search, a filter): read their pairs only, not all of them; a
        # search of 3,500 matches reads 7,000 pairs instead of 200,000.
        firsts = self.resource_starts[chosen]
        lengths = self.resource_starts[chosen + 1] - firsts
        # Each pair's place: its resource's first pair, plus its rank among that resource's.
        places = np.repeat(firsts - np.cumsum(lengths) + lengths, lengths)
        places += np.arange(len(places))
        return np.bincount(self.terms[places], minlength=terms)


# Counting gathers the pairs of the chosen resources when they are fewer than 1 in this
# many; with more, reading every pair in order is faster. Measured at 100,000 resources
# (the author pairs): 1% chosen 0.72 -> 0.09 ms, 20% 1.26 -> 0.64 ms, 60% 1.64 -> 1.80 ms.
FEW_RESOURCES = 2


@dataclass(frozen=True)
class Ranking:
    """The resources a search finds, each with a key that orders them as the page does
    but for titles: resources with equal keys tie on every column before the title, and
    the page orders those in SQL (titles in PostgreSQL's collation)."""

    ids: np.ndarray  # int64
    keys: np.ndarray  # int64, the first in the page's order the least

    def candidates(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Return the ids and keys of the resources whose keys are those of places start to
        stop - 1 of the order, in no order, and the place of start among them."""
        stop = min(stop, len(self.ids))
        if start >= stop:
            return self.ids[:0], self.keys[:0], 0
        # Selecting two places is linear; sorting every match is not needed.
        placed = np.partition(self.keys, [start, stop - 1])
        first, last = placed[start], placed[stop - 1]
        within = (self.keys >= first) & (self.keys <= last)
        return self.ids[within], self.keys[within], int(start - np.count_nonzero(self.keys < first))


@dataclass(frozen=True)
class LibraryIndex:
    """The resources with the status "published" and a publication time, by id."""

    version: int | None
    ids: np.ndarray  # int64, ascending
    published_at: np.ndarray  # int64 microseconds since 1970
    categories: np.ndarray  # int32 dense index into terms["category"], -1 for none
    years: np.ndarray  # int16, 0 for none
    positions_by_id: np.ndarray | None  # int32 position of each id, -1 if not held
    links: dict[str, Links]
    terms: dict[str, Terms]
    build_seconds: float = 0.0

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Return the positions of the ids that the index holds."""
        return positions_in(self.ids, self.positions_by_id, ids)

    def masks(
        self, query, matches: np.ndarray | None = None, now: datetime | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Return the mask of the resources public at now (and matching, if matches), and
        each chosen facet's mask (and "year"'s for the years chosen)."""
        size = len(self.ids)
        now = now or timezone.now()
        base = self.published_at <= microseconds(now)
        if matches is not None:
            searched = np.zeros(size, dtype=bool)
            searched[self.positions(matches)] = True
            base &= searched
        if query.year_from is not None or query.year_to is not None:
            base &= self.years > 0  # as in SQL, a resource without a year is in no range
        if query.year_from is not None:
            base &= self.years >= query.year_from
        if query.year_to is not None:
            base &= self.years <= query.year_to
        chosen: dict[str, np.ndarray] = {}
        for facet, terms in self.terms.items():
            picked = query.terms.get(facet)
            if not picked:
                continue
            indexes = terms.indexes(term.pk for term in picked)
            if facet == "category":
                chosen[facet] = np.isin(self.categories, indexes)
            else:
                chosen[facet] = self.links[facet].having(indexes, size)
        if query.years:
            chosen["year"] = np.isin(self.years, np.asarray(query.years, dtype=np.int16))
        return base, chosen

    def ranking(self, query, matches: np.ndarray, ranks: np.ndarray) -> Ranking:
        """Return the matches kept by query's filters, keyed by what orders them by relevance
        before the title: rank, year (ResourceQuerySet.search(), LibraryQuery.ordered())."""
        base, chosen = self.masks(query, matches)
        for mask in chosen.values():
            base &= mask
        positions, found = positions_in(self.ids, self.positions_by_id, matches, with_found=True)
        kept = base[positions]
        positions, ranks = positions[kept], ranks[found][kept]
        # The year descending as 0 to 32,767 (PostgreSQL sorts NULL first descending), under
        # the rank descending: a float4 >= 0, whose bits order as the numbers do (IEEE 754;
        # + 0 turns a -0.0 into 0.0).
        years = self.years[positions].astype(np.int64)
        keys = np.where(years == 0, 0, np.iinfo(np.int16).max - years)
        bits = (ranks.astype(np.float32) + np.float32(0)).view(np.int32).astype(np.int64)
        keys |= (np.iinfo(np.int32).max - bits) << 16
        return Ranking(ids=self.ids[positions], keys=keys)

    def counts(
        self,
        query,
        names: list[str],
        *,
        matches: np.ndarray | None = None,
        now: datetime | None = None,
        limits: dict[str, int | None] | None = None,
    ) -> dict:
        """Return the figures `names` of filters.counts_and_ranking() for query (a LibraryQuery).

        matches: the ids the search found, if query searches. Each facet is counted over
        the resources matching every other facet's choices (disjunctive faceting).
        """
        limits = limits or {}
        base, chosen = self.masks(query, matches, now)
        everything = base.copy()
        for mask in chosen.values():
            everything &= mask

        def without(name: str) -> np.ndarray:
            if name not in chosen:
                return everything
            mask = base.copy()
            for other, other_mask in chosen.items():
                if other != name:
                    mask &= other_mask
            return mask

        figures = {}
        for name in names:
            if name == "count":
                figures[name] = int(np.count_nonzero(everything))
            elif name == "year":
                years = self.years[without(name)]
                counted = np.bincount(years[years > 0])
                figures[name] = [
                    (str(year), str(year), int(counted[year]))
                    for year in np.flatnonzero(counted)[::-1]
                ]
            elif name == "category":
                categories = self.categories[without(name)]
                terms = self.terms[name]
                counted = np.bincount(categories[categories >= 0], minlength=len(terms.ids))
                figures[name] = terms.options(counted, limits.get(name))
            else:
                terms = self.terms[name]
                counted = self.links[name].counts(without(name), len(terms.ids))
                figures[name] = terms.options(counted, limits.get(name))
        return figures


def build() -> LibraryIndex:
    """Read the library into a LibraryIndex, in one statement (one snapshot): the version
    it is labelled with is that of the rows it holds, whatever commits meanwhile."""
    started = time.perf_counter()
    resources = Resource._meta.db_table
    # The numbers as big-endian bytes, one bytea per column: psycopg2 turns 700,000
    # numbers into Python ints many times slower. The aggregates of one SELECT read the
    # rows in the same order, so the columns line up.
    parts = [
        f"(SELECT ({VERSION_SQL}) AS version) AS version",
        "(SELECT string_agg(int8send(r.id), '') AS ids, "
        "string_agg(int8send(coalesce(r.category_id, 0)), '') AS categories, "
        "string_agg(int4send(coalesce(r.year, 0)), '') AS years, "
        "string_agg(int8send((extract(epoch FROM r.published_at) * 1000000)::bigint), '') "
        f"AS published_at FROM {resources} AS r "
        "WHERE r.status = %s AND r.published_at IS NOT NULL) AS resources",
    ]
    for facet, (through, _) in LINK_FACETS.items():
        # Every link: those of resources not in the index are dropped below, which is
        # cheaper than joining 200,000 links to the resources here.
        parts.append(
            f"(SELECT string_agg(int8send(resource_id), '') AS resources, "
            f"string_agg(int8send({facet}_id), '') AS terms "
            f"FROM {through._meta.db_table}) AS {facet}"
        )
    for facet, model in TERM_MODELS.items():
        # Ordered by name: each term's place there is the order of ties PostgreSQL gave.
        parts.append(
            "(SELECT string_agg(int8send(id), '' ORDER BY name, id) AS ids, "
            "json_agg(slug ORDER BY name, id) AS slugs, "
            "json_agg(name ORDER BY name, id) AS names "
            f"FROM {model._meta.db_table}) AS {facet}_terms"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {', '.join(parts)}", [Resource.Status.PUBLISHED])
        version, ids, categories, years, published_at, *rows = cursor.fetchone()
    link_rows = [rows[2 * i : 2 * i + 2] for i in range(len(LINK_FACETS))]
    term_rows = [rows[2 * len(LINK_FACETS) + 3 * i :][:3] for i in range(len(TERM_MODELS))]

    terms = {}
    for facet, (term_ids, slugs, names) in zip(TERM_MODELS, term_rows, strict=True):
        by_name_ids = from_bytes(term_ids, ">i8")
        order = np.argsort(by_name_ids, kind="stable")
        terms[facet] = Terms(
            ids=by_name_ids[order],
            slugs=[(slugs or [])[i] for i in order],
            names=[(names or [])[i] for i in order],
            by_name=order.astype(np.int32),
        )

    ids = from_bytes(ids, ">i8")
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    positions_by_id = None
    if len(ids) and ids[-1] < 4 * len(ids) + 1_000_000:  # ids as a sequence gives them
        positions_by_id = np.full(ids[-1] + 1, -1, dtype=np.int32)
        positions_by_id[ids] = np.arange(len(ids), dtype=np.int32)
    category_ids = from_bytes(categories, ">i8")[order]
    category_indexes = np.searchsorted(terms["category"].ids, category_ids).astype(np.int32)
    category_indexes[category_ids == 0] = -1
    links = {}
    for facet, (resource_ids, term_ids) in zip(LINK_FACETS, link_rows, strict=True):
        resource_ids = from_bytes(resource_ids, ">i8")
        resource_positions, indexed = positions_in(
            ids, positions_by_id, resource_ids, with_found=True
        )
        term_indexes = np.searchsorted(terms[facet].ids, from_bytes(term_ids, ">i8")[indexed])
        by_resource = np.argsort(resource_positions, kind="stable")
        by_term = np.argsort(term_indexes, kind="stable")
        pairs_by_resource = resource_positions[by_resource].astype(np.int32)
        resource_starts = np.searchsorted(pairs_by_resource, np.arange(len(ids) + 1))
        links[facet] = Links(
            resources=pairs_by_resource,
            terms=term_indexes[by_resource].astype(np.int32),
            resource_starts=resource_starts.astype(np.int32),
            by_term=resource_positions[by_term].astype(np.int32),
            starts=np.searchsorted(term_indexes[by_term], np.arange(len(terms[facet].ids) + 1)),
        )
    return LibraryIndex(
        version=version,
        ids=ids,
        published_at=from_bytes(published_at, ">i8")[order],
        categories=category_indexes,
        years=from_bytes(years, ">i4")[order].astype(np.int16),
        positions_by_id=positions_by_id,
        links=links,
        terms=terms,
        build_seconds=time.perf_counter() - started,
    )


_current: tuple[str, LibraryIndex] | None = None  # (database name, index)
_building = threading.Lock()  # one build at a time in a process


def library_index(version: int | None) -> LibraryIndex:
    """Return the index of this process if built from version, or build it again.

    The index built may be of a newer version than asked (a commit came in between):
    it is returned all the same, and the next request's version will match it.
    """
    global _current
    database = connection.settings_dict["NAME"]
    held = _current
    if held is not None and held[0] == database and held[1].version == version:
        return held[1]
    with _building:
        held = _current
        if held is None or held[0] != database or held[1].version != version:
            held = _current = (database, build())
    return held[1]


def search_matches(q: str, *, ranked: bool) -> tuple[str, list]:
    """Return the SQL and parameters of the ids of the published resources matching q, and
    if ranked their rank as ResourceQuerySet.search() ranks them."""
    found = Resource.objects.filter(status=Resource.Status.PUBLISHED).search(q).order_by()
    columns = ("id", "rank") if ranked else ("id",)
    return found.values(*columns).query.sql_with_params()


def current() -> tuple[LibraryIndex, None]:
    """Return the current index (one query: the version), and None for no search's matches."""
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    return library_index(row[0] if row else None), None


def search(q: str, *, ranked: bool) -> tuple[LibraryIndex, np.ndarray, np.ndarray | None]:
    """Return the current index, the ids of the resources matching q and if ranked their
    ranks (float4, the very numbers PostgreSQL orders by), in one query.

    Ranking computes ts_rank() of every match: ask for it when the page sorts by relevance.
    """
    sql, params = search_matches(q, ranked=ranked)
    ranks = "string_agg(float4send(rank), '')" if ranked else "NULL"
    with connection.cursor() as cursor:
        # The aggregates of one SELECT read the rows in the same order: ids and ranks line up.
        cursor.execute(
            f"SELECT ({VERSION_SQL}), found.ids, found.ranks FROM ("
            f"SELECT string_agg(int8send(id), '') AS ids, {ranks} AS ranks "
            f"FROM ({sql}) AS matching) AS found",
            params,
        )
        version, ids, ranks = cursor.fetchone()
    ranks = from_bytes(ranks, ">f4") if ranked else None
    return library_index(version), from_bytes(ids, ">i8"), ranks
