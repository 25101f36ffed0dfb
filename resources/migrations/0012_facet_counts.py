"""Per-term counts of the published resources, kept by triggers (resources.FacetCount).

Statement-level triggers with transition tables: one grouped upsert per statement, so a
bulk insert of 10,000 links (seedbench) costs one small aggregate, not 10,000 updates.
A resource counts when its status is "published", whatever its publication time: the
few published resources not public yet are subtracted when counting (filters.py), so
the table needs no change when a scheduled time passes.
"""

from django.db import migrations, models

# (facet, link table, term column) of the many-to-many facets.
LINKS = [
    ("country", "resources_resource_countries", "country_id"),
    ("region", "resources_resource_regions", "region_id"),
    ("author", "resources_resourceauthor", "author_id"),
]

# What the resource rows of the query %1$s (in a trigger, of a transition table) add:
# (facet, term, n) rows. Their links are read from the link tables as they are now.
CONTRIBUTIONS = """
    WITH r AS MATERIALIZED (%1$s)
    SELECT 'all' AS facet, 0::bigint AS term, count(*) AS n FROM r
        WHERE r.status = 'published' GROUP BY 1, 2
    UNION ALL
    SELECT 'category', r.category_id, count(*) FROM r
        WHERE r.status = 'published' AND r.category_id IS NOT NULL GROUP BY 1, 2
    UNION ALL
    SELECT 'year', r.year, count(*) FROM r
        WHERE r.status = 'published' AND r.year IS NOT NULL GROUP BY 1, 2
""" + "".join(
    f"""
    UNION ALL
    SELECT '{facet}', l.{column}, count(*) FROM r
        JOIN {table} l ON l.resource_id = r.id
        WHERE r.status = 'published' GROUP BY 1, 2"""
    for facet, table, column in LINKS
)

FORWARD = f"""
-- Returns the statement rather than running it: a trigger's transition tables are
-- visible to the trigger function's own statements only.
CREATE FUNCTION resources_facetcount_add(delta_sql text, sign integer) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    -- Ordered by key, so that concurrent writers lock the counter rows in one order.
    RETURN format(
        'INSERT INTO resources_facetcount (facet, term, count) '
        'SELECT facet, term, %s * sum(n) FROM (%s) AS delta GROUP BY facet, term '
        'ORDER BY facet, term '
        'ON CONFLICT (facet, term) DO UPDATE SET count = resources_facetcount.count + EXCLUDED.count',
        sign, delta_sql
    );
END $$;

CREATE FUNCTION resources_facetcount_resource() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    contributions text := $c${CONTRIBUTIONS}$c$;
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE resources_facetcount_add(format(contributions, 'SELECT * FROM new_rows'), 1);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE resources_facetcount_add(format(contributions, 'SELECT * FROM old_rows'), -1);
    ELSE
        -- Only the rows whose status, category or year changed: refreshing the search
        -- terms of 100,000 resources must not count all their links twice.
        EXECUTE resources_facetcount_add(format(contributions,
            'SELECT o.* FROM old_rows o JOIN new_rows n USING (id) '
            'WHERE (o.status, o.category_id, o.year) '
            'IS DISTINCT FROM (n.status, n.category_id, n.year)'), -1);
        EXECUTE resources_facetcount_add(format(contributions,
            'SELECT n.* FROM old_rows o JOIN new_rows n USING (id) '
            'WHERE (o.status, o.category_id, o.year) '
            'IS DISTINCT FROM (n.status, n.category_id, n.year)'), 1);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION resources_facetcount_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    -- TG_ARGV: the facet, the term column.
    counted text := 'SELECT %L AS facet, l.%I AS term, count(*) AS n FROM %I l '
        'JOIN resources_resource r ON r.id = l.resource_id '
        'WHERE r.status = ''published'' GROUP BY 1, 2';
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        EXECUTE resources_facetcount_add(
            format(counted, TG_ARGV[0], TG_ARGV[1], 'old_rows'), -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE resources_facetcount_add(
            format(counted, TG_ARGV[0], TG_ARGV[1], 'new_rows'), 1);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION resources_facetcount_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM resources_facetcount;
    EXECUTE resources_facetcount_add(
        format($c${CONTRIBUTIONS}$c$, 'SELECT * FROM resources_resource'), 1);
END $$;

CREATE TRIGGER resources_facetcount_insert AFTER INSERT ON resources_resource
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION resources_facetcount_resource();
CREATE TRIGGER resources_facetcount_update AFTER UPDATE ON resources_resource
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION resources_facetcount_resource();
CREATE TRIGGER resources_facetcount_delete AFTER DELETE ON resources_resource
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION resources_facetcount_resource();
""" + "".join(
    f"""
CREATE TRIGGER resources_facetcount_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION resources_facetcount_link('{facet}', '{column}');
CREATE TRIGGER resources_facetcount_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION resources_facetcount_link('{facet}', '{column}');
CREATE TRIGGER resources_facetcount_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION resources_facetcount_link('{facet}', '{column}');
"""
    for facet, table, column in LINKS
) + """
SELECT resources_facetcount_rebuild();
"""

BACKWARD = (
    "".join(
        f"DROP TRIGGER resources_facetcount_{event} ON {table};\n"
        for table in ["resources_resource", *(table for _, table, _ in LINKS)]
        for event in ("insert", "update", "delete")
    )
    + """
DROP FUNCTION resources_facetcount_rebuild();
DROP FUNCTION resources_facetcount_link();
DROP FUNCTION resources_facetcount_resource();
DROP FUNCTION resources_facetcount_add(text, integer);
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0011_publish_permission"),
    ]

    operations = [
        migrations.CreateModel(
            name="FacetCount",
            fields=[
                ("pk", models.CompositePrimaryKey("facet", "term", blank=True, editable=False, primary_key=True, serialize=False)),
                ("facet", models.CharField(max_length=10)),
                ("term", models.BigIntegerField()),
                ("count", models.IntegerField(default=0)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["facet", "-count", "term"], name="facetcount_largest"),
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
