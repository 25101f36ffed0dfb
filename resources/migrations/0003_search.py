import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

# English stemming after unaccent, for the words with letters outside ASCII; asciiword
# needs no unaccent. https://www.postgresql.org/docs/current/unaccent.html
CREATE_CONFIG = """
CREATE TEXT SEARCH CONFIGURATION english_unaccent (COPY = english);
ALTER TEXT SEARCH CONFIGURATION english_unaccent
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('resources', '0002_resource_publication_index'),
        ('trafficwatch', '0001_postgres_extensions'),
    ]

    operations = [
        migrations.RunSQL(CREATE_CONFIG, "DROP TEXT SEARCH CONFIGURATION english_unaccent;"),
        migrations.AddField(
            model_name='resource',
            name='file_text',
            field=models.TextField(blank=True, editable=False, verbose_name='text of the file'),
        ),
        migrations.AddField(
            model_name='resource',
            name='search_terms',
            field=models.TextField(blank=True, editable=False, verbose_name='search terms'),
        ),
        migrations.AddField(
            model_name='resource',
            name='search_vector',
            field=models.GeneratedField(db_persist=True, expression=django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.SearchVector('title', config='english_unaccent', weight='A'), '||', django.contrib.postgres.search.SearchVector('summary', config='english_unaccent', weight='B'), django.contrib.postgres.search.SearchConfig('english_unaccent')), '||', django.contrib.postgres.search.SearchVector('search_terms', 'publisher', config='english_unaccent', weight='C'), django.contrib.postgres.search.SearchConfig('english_unaccent')), '||', django.contrib.postgres.search.SearchVector('file_text', config='english_unaccent', weight='D'), django.contrib.postgres.search.SearchConfig('english_unaccent')), output_field=django.contrib.postgres.search.SearchVectorField()),
        ),
        migrations.AddIndex(
            model_name='resource',
            index=django.contrib.postgres.indexes.GinIndex(fields=['search_vector'], name='resource_search_vector'),
        ),
        # Fill search_terms for the resources already there.
        migrations.RunSQL(
            """
            UPDATE resources_resource r SET search_terms = concat_ws(' ',
                (SELECT string_agg(a.name, ' ' ORDER BY ra.position) FROM resources_resourceauthor ra
                 JOIN resources_author a ON a.id = ra.author_id WHERE ra.resource_id = r.id),
                (SELECT c.name FROM resources_category c WHERE c.id = r.category_id),
                (SELECT string_agg(c.name, ' ' ORDER BY c.name) FROM resources_resource_countries rc
                 JOIN resources_country c ON c.id = rc.country_id WHERE rc.resource_id = r.id),
                (SELECT string_agg(g.name, ' ' ORDER BY g.name) FROM resources_resource_regions rg
                 JOIN resources_region g ON g.id = rg.region_id WHERE rg.resource_id = r.id));
            """,
            migrations.RunSQL.noop,
        ),
    ]
