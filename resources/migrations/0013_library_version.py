"""A version of the published library, changed by every write to what the facet index
holds (resources/facet_index.py), in the writing transaction.

Each change takes a new number from a sequence rather than adding one: a sequence never
hands a number out twice, even to a transaction rolled back, so an index built from a
change that was rolled back can never carry the number of a later, different change.
Statement-level triggers, as in 0012: one row update per statement, whatever its size.
Updates of resources count only when a column the index reads changed (status,
publication time, category, year): refreshing the search terms of 100,000 resources
must not throw the index away. Terms count when renamed, as the index holds the names.
"""

from django.db import migrations

# (table, the columns whose change matters on UPDATE; none: every statement counts).
WATCHED = [
    ("resources_resource", ["status", "published_at", "category_id", "year"]),
    ("resources_resource_countries", []),
    ("resources_resource_regions", []),
    ("resources_resourceauthor", []),
    ("resources_country", ["name", "slug"]),
    ("resources_region", ["name", "slug"]),
    ("resources_category", ["name", "slug"]),
    ("resources_author", ["name", "slug"]),
]


def triggers(table: str, columns: list[str]) -> str:
    sql = f"""
CREATE TRIGGER resources_libraryversion_write AFTER INSERT OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION resources_libraryversion_changed();
"""
    if not columns:
        return sql + (
            f"CREATE TRIGGER resources_libraryversion_update AFTER UPDATE ON {table}\n"
            "    FOR EACH STATEMENT EXECUTE FUNCTION resources_libraryversion_changed();\n"
        )
    old = ", ".join(f"o.{column}" for column in columns)
    new = ", ".join(f"n.{column}" for column in columns)
    return (
        sql
        + f"""
CREATE FUNCTION {table}_libraryversion_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT FROM old_rows o JOIN new_rows n USING (id)
        WHERE ({old}) IS DISTINCT FROM ({new})
    ) THEN
        PERFORM resources_libraryversion_bump();
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER resources_libraryversion_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {table}_libraryversion_update();
"""
    )


FORWARD = """
CREATE SEQUENCE resources_libraryversion_number;
CREATE TABLE resources_libraryversion (
    id smallint PRIMARY KEY CHECK (id = 1),
    number bigint NOT NULL
);
INSERT INTO resources_libraryversion VALUES (1, nextval('resources_libraryversion_number'));

-- An upsert: a test database flushed between tests loses the row.
CREATE FUNCTION resources_libraryversion_bump() RETURNS void
LANGUAGE sql AS $$
    INSERT INTO resources_libraryversion (id, number)
    VALUES (1, nextval('resources_libraryversion_number'))
    ON CONFLICT (id) DO UPDATE SET number = EXCLUDED.number
$$;

CREATE FUNCTION resources_libraryversion_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM resources_libraryversion_bump();
    RETURN NULL;
END $$;
""" + "".join(triggers(table, columns) for table, columns in WATCHED)

BACKWARD = (
    "".join(
        f"DROP TRIGGER resources_libraryversion_write ON {table};\n"
        f"DROP TRIGGER resources_libraryversion_update ON {table};\n"
        + (f"DROP FUNCTION {table}_libraryversion_update();\n" if columns else "")
        for table, columns in WATCHED
    )
    + """
DROP FUNCTION resources_libraryversion_changed();
DROP FUNCTION resources_libraryversion_bump();
DROP TABLE resources_libraryversion;
DROP SEQUENCE resources_libraryversion_number;
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0012_facet_counts"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
