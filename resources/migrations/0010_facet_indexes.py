# Indexes for the library's facet counts, filters and default order at 100,000 resources
# (bench/README.md). The link tables of countries and regions are Django's own, with no
# model to declare an index on, hence RunSQL: (term, resource) lets a filter by country
# or region read the resource ids from the index alone.

from django.db import migrations, models

LINK_INDEXES = [
    ("resources_resource_countries", "country_id", "resource_countries_country_cover"),
    ("resources_resource_regions", "region_id", "resource_regions_region_cover"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0005_resource_slug_not_reserved"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="resource",
            index=models.Index(
                fields=["status", "published_at"],
                include=["id", "category", "year"],
                name="resource_published_cover",
            ),
        ),
        migrations.AddIndex(
            model_name="resource",
            index=models.Index(fields=["-year", "title", "id"], name="resource_library_order"),
        ),
        migrations.AddIndex(
            model_name="resourceauthor",
            index=models.Index(fields=["author", "resource"], name="resourceauthor_author_cover"),
        ),
        *(
            migrations.RunSQL(
                f"CREATE INDEX {name} ON {table} ({column}, resource_id)",
                reverse_sql=f"DROP INDEX {name}",
            )
            for table, column, name in LINK_INDEXES
        ),
    ]
