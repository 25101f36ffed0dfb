"""Drop FacetCount (0012): the facet index (resources/facet_index.py, 0013) now gives every
count, and the table's triggers ran on every write for nothing.

Reversible: going back creates the empty table, then runs 0012's SQL again, which creates
the functions and triggers and fills the table from the resources.
"""

from importlib import import_module

from django.db import migrations

facet_counts = import_module("resources.migrations.0012_facet_counts")

DROP_TRIGGERS_AND_FUNCTIONS = (
    "".join(
        f"DROP TRIGGER IF EXISTS resources_facetcount_{event} ON {table};\n"
        for table in ["resources_resource", *(table for _, table, _ in facet_counts.LINKS)]
        for event in ("insert", "update", "delete")
    )
    + """
DROP FUNCTION IF EXISTS resources_facetcount_rebuild();
DROP FUNCTION IF EXISTS resources_facetcount_link();
DROP FUNCTION IF EXISTS resources_facetcount_resource();
DROP FUNCTION IF EXISTS resources_facetcount_add(text, integer);
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0013_library_version"),
    ]

    operations = [
        migrations.RunSQL(DROP_TRIGGERS_AND_FUNCTIONS, facet_counts.FORWARD),
        migrations.DeleteModel(name="FacetCount"),
    ]
