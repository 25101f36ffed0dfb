# The site search over articles: a stored search vector with the library's text search
# configuration (english_unaccent, created by resources 0003) and a trigram index on the
# title for the near-miss suggestion.

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('news', '0002_article_image'),
        ('resources', '0003_search'),
        ('trafficwatch', '0001_postgres_extensions'),
        ('taggit', '0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx'),
    ]

    operations = [
        migrations.AddField(
            model_name='article',
            name='search_vector',
            field=models.GeneratedField(db_persist=True, expression=django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.SearchVector('title', config='english_unaccent', weight='A'), '||', django.contrib.postgres.search.SearchVector('standfirst', 'teaser', config='english_unaccent', weight='B'), django.contrib.postgres.search.SearchConfig('english_unaccent')), '||', django.contrib.postgres.search.SearchVector('body', config='english_unaccent', weight='C'), django.contrib.postgres.search.SearchConfig('english_unaccent')), output_field=django.contrib.postgres.search.SearchVectorField()),
        ),
        migrations.AddIndex(
            model_name='article',
            index=django.contrib.postgres.indexes.GinIndex(fields=['search_vector'], name='article_search_vector'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass('title', name='gin_trgm_ops'), name='article_title_trgm'),
        ),
    ]
