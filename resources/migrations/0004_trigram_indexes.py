# Trigram indexes for the near-miss suggestion of the library search (word_similarity).

import django.contrib.postgres.indexes
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('resources', '0003_search'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='author',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass('name', name='gin_trgm_ops'), name='author_name_trgm'),
        ),
        migrations.AddIndex(
            model_name='category',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass('name', name='gin_trgm_ops'), name='resources_category_name_trgm'),
        ),
        migrations.AddIndex(
            model_name='country',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass('name', name='gin_trgm_ops'), name='resources_country_name_trgm'),
        ),
        migrations.AddIndex(
            model_name='region',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass('name', name='gin_trgm_ops'), name='resources_region_name_trgm'),
        ),
        migrations.AddIndex(
            model_name='resource',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass('title', name='gin_trgm_ops'), name='resource_title_trgm'),
        ),
    ]
