from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    """The extensions the full-text search needs: accent-insensitive and near-miss matching."""

    initial = True
    dependencies = []
    operations = [UnaccentExtension(), TrigramExtension()]
